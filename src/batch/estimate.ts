// The cost of a batch before it runs. Input tokens are counted with the tokenizer
// (src/tokens/count.ts); output is estimated per model from the output lengths the ledger has
// observed for it (mean of its recent answers), or DEFAULT_EXPECTED_OUTPUT when it has none, and
// never above the request's max tokens. Worst case: every item writes its max tokens.
import { costPico } from '../cost/calculate.js';
import { formatUsd } from '../cost/money.js';
import { ZERO_USAGE, type Usage } from '../core/canonical.js';
import { countCanonicalInputTokens } from '../tokens/count.js';
import { DEFAULT_MAX_TOKENS } from '../wire/anthropic/request-body.js';
import type { DurableStore } from '../storage/types.js';
import { batchPricing } from '../cost/batch.js';
import type { Planned } from './plan.js';
import type { Estimate } from './types.js';

/** Expected output tokens of a model the ledger has never seen answer. */
export const DEFAULT_EXPECTED_OUTPUT = 256;
/** How many recent ledger rows the observed output lengths come from. */
const OBSERVED_ROWS = 2_000;

export type ObservedOutput = ReadonlyMap<string, { mean: number; n: number }>;

/** Mean output tokens per served model over the recent successful top-level ledger rows. */
export async function observedOutput(store: DurableStore): Promise<ObservedOutput> {
  await store.flush();
  const rows = await store.ledgerRows({ limit: OBSERVED_ROWS });
  const sums = new Map<string, { total: number; n: number }>();
  for (const r of rows) {
    if (r.status !== 200 || r.parentId !== null || r.outputTokens <= 0 || (r.cache !== null && r.cache !== 'miss')) continue;
    const s = sums.get(r.servedModel) ?? { total: 0, n: 0 };
    s.total += r.outputTokens;
    s.n += 1;
    sums.set(r.servedModel, s);
  }
  return new Map([...sums].map(([model, s]) => [model, { mean: Math.round(s.total / s.n), n: s.n }]));
}

function usage(input: number, output: number): Usage {
  return { ...ZERO_USAGE, inputTokens: input, outputTokens: output };
}

export function estimateBatch(planned: readonly Planned[], observed: ObservedOutput): Estimate {
  let input = 0;
  let expectedOut = 0;
  let worstOut = 0;
  let expected = 0n;
  let worst = 0n;
  let sync = 0n;
  const basis: Record<string, string> = {};
  const models: Record<string, { requests: number; input_tokens: number; expected: bigint; worst: bigint; batch_rates: boolean }> = {};
  for (const p of planned) {
    if (!p.request || !p.deployment) continue;
    const d = p.deployment;
    const native = p.item.route === 'native';
    const pricing = native ? batchPricing(d.pricing) : d.pricing;
    const inTokens = countCanonicalInputTokens(p.request, d.upstreamModel);
    const worstTokens = p.request.maxTokens ?? d.capabilities.maxOutputTokens ?? DEFAULT_MAX_TOKENS;
    const seen = observed.get(d.name);
    basis[d.name] = seen ? `observed:${seen.n}` : 'default';
    const outTokens = Math.min(worstTokens, seen?.mean ?? DEFAULT_EXPECTED_OUTPUT);
    const e = BigInt(costPico(usage(inTokens, outTokens), pricing));
    const w = BigInt(costPico(usage(inTokens, worstTokens), pricing));
    input += inTokens;
    expectedOut += outTokens;
    worstOut += worstTokens;
    expected += e;
    worst += w;
    sync += BigInt(costPico(usage(inTokens, outTokens), d.pricing));
    const m = (models[d.name] ??= { requests: 0, input_tokens: 0, expected: 0n, worst: 0n, batch_rates: native });
    m.requests += 1;
    m.input_tokens += inTokens;
    m.expected += e;
    m.worst += w;
  }
  return {
    requests: planned.length,
    input_tokens: input,
    expected_output_tokens: expectedOut,
    worst_output_tokens: worstOut,
    expected_usd: formatUsd(expected),
    worst_usd: formatUsd(worst),
    sync_expected_usd: formatUsd(sync),
    saving_usd: formatUsd(sync - expected),
    output_basis: basis,
    models: Object.fromEntries(
      Object.entries(models).map(([k, m]) => [
        k,
        { requests: m.requests, input_tokens: m.input_tokens, expected_usd: formatUsd(m.expected), worst_usd: formatUsd(m.worst), batch_rates: m.batch_rates },
      ]),
    ),
  };
}

/** Decimal USD string → pico-dollars (exact). */
export function usdToPico(usd: string): bigint {
  const m = /^(-?)(\d+)(?:\.(\d{1,12}))?$/.exec(usd);
  if (!m) throw new Error(`not a decimal USD amount: ${usd}`);
  const pico = BigInt(m[2]!) * 1_000_000_000_000n + BigInt((m[3] ?? '').padEnd(12, '0') || '0');
  return m[1] ? -pico : pico;
}
