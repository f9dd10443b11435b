// `costwise optimize eval`: the lossless rewrite over a set of requests — prompt tokens before and
// after with the model's tokenizer, and the equivalence check on every rewrite.
import type { CanonicalRequest } from '../../core/canonical.js';
import { countCanonicalInputTokens } from '../../tokens/count.js';
import { losslessEquivalent } from './equivalence.js';
import { optimizeLossless, type LosslessOptions } from './lossless.js';

export interface OptimizeEvalRow {
  /** 1-based line of the input. */
  line: number;
  input_tokens_before: number;
  input_tokens_after: number;
  lossless: boolean;
}

export interface OptimizeEvalTotals {
  requests: number;
  input_tokens_before: number;
  input_tokens_after: number;
  /** Percent of input tokens removed, two decimals. */
  saving_pct: number;
  lossless_violations: number;
}

export function evaluateLossless(
  requests: ReadonlyArray<{ line: number; request: CanonicalRequest }>,
  model: string,
  opts: LosslessOptions,
): { requests: OptimizeEvalRow[]; totals: OptimizeEvalTotals } {
  const rows: OptimizeEvalRow[] = [];
  let before = 0;
  let after = 0;
  let violations = 0;
  for (const { line, request } of requests) {
    const out = optimizeLossless(request, opts);
    const b = countCanonicalInputTokens(request, model);
    const a = out === request ? b : countCanonicalInputTokens(out, model);
    const lossless = out === request || losslessEquivalent(request, out);
    if (!lossless) violations++;
    before += b;
    after += a;
    rows.push({ line, input_tokens_before: b, input_tokens_after: a, lossless });
  }
  const saving = before > 0 ? Math.round(((before - after) / before) * 10_000) / 100 : 0;
  return {
    requests: rows,
    totals: { requests: rows.length, input_tokens_before: before, input_tokens_after: after, saving_pct: saving, lossless_violations: violations },
  };
}
