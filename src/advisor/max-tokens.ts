// `max_tokens` notes. A cap far above what a scope's answers use costs nothing (output is billed as
// generated), so that alone is not advice. Two things are: answers routinely cut at the cap (the
// caller paid for a partial answer, and often pays again to retry), and scopes whose requests set
// no cap, where one from the observed p99 bounds a runaway answer's cost. Neither is a saving at
// current traffic, so both state 0 and say what is at stake.
import { formatUsd } from '../cost/money.js';
import { ledgerCost, pct, round, type ScopeModel } from './scope.js';
import type { Recommendation } from './types.js';

/** Share of answers cut at the cap from which truncation is reported. */
export const TRUNCATED_SHARE = 0.05;
/** Answers needed before a p99 is worth stating. */
export const MIN_ANSWERS = 100;
/** Share of requests without a cap from which a cap is proposed. */
export const UNCAPPED_SHARE = 0.5;

export function maxTokensNote(g: ScopeModel, days: number): Recommendation | undefined {
  const answered = g.rows.filter((r) => r.stopReason !== null);
  if (answered.length < MIN_ANSWERS || g.tag === null) return undefined;
  const truncated = answered.filter((r) => r.stopReason === 'max_tokens');
  const whole = answered.filter((r) => r.stopReason !== 'max_tokens');
  const p99 =
    percentile(
      whole.map((r) => r.outputTokens),
      0.99,
    ) ?? 0;
  const caps = answered.map((r) => r.maxTokens);
  const typicalCap = percentile(
    caps.filter((c): c is number => c !== null),
    0.5,
  );
  const share = truncated.length / answered.length;
  const output = {
    answers: answered.length,
    truncated: truncated.length,
    truncated_share: round(share),
    output_p99_tokens: p99,
    uncapped: caps.filter((c) => c === null).length,
    median_cap_tokens: typicalCap ?? null,
  };
  const current = formatUsd(ledgerCost(g.rows));
  const note = (text: string, rule: string): Recommendation => ({
    kind: 'max_tokens',
    scope: g.scope,
    current_model: g.served,
    recommended_model: g.served,
    monthly_saving_usd: '0',
    evidence: { requests: g.rows.length, window_days: days, current_cost_usd: current, repriced_cost_usd: current, output, note: text },
    rule,
  });
  if (share >= TRUNCATED_SHARE)
    return note(
      `${truncated.length} of ${answered.length} answers (${pct(share)}) stopped at their max_tokens cap (median cap ${typicalCap ?? '-'}); ${formatUsd(ledgerCost(truncated))} USD went on cut answers in the window. Raise the cap, or ask for shorter answers`,
      `# Callers of tag ${g.tag}: ${pct(share)} of answers are cut at max_tokens ${typicalCap ?? ''}.\n# Raise max_tokens, or ask for a shorter answer in the prompt.\n`,
    );
  const uncapped = output.uncapped / answered.length;
  if (uncapped < UNCAPPED_SHARE) return undefined;
  const suggested = roundUp(Math.ceil(p99 * 1.25), 16);
  return note(
    `answers use at most ${p99} output tokens at p99, while ${pct(uncapped)} of requests set no cap; a cap of ${suggested} bounds a runaway answer and leaves 99% of answers whole (it saves nothing on current traffic)`,
    `# Callers of tag ${g.tag}: set max_tokens: ${suggested} (p99 of the answers' output is ${p99} tokens).\n`,
  );
}

/** Nearest-rank percentile; undefined for no values. */
function percentile(values: number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

function roundUp(n: number, step: number): number {
  return Math.max(step, Math.ceil(n / step) * step);
}
