// `costwise promptcache eval`: a trace replayed through four caching policies, each against its
// own instance of the emulator's Anthropic prompt cache on a simulated clock (the trace
// timestamps), priced at the model's catalog prices. Input side only: output is the same under
// every policy.
//   baseline — no breakpoints;
//   naive    — one 5m breakpoint on the last block of every request;
//   planned  — AutoCachePlanner with PrefixStats, fed only the past as requests arrive;
//   oracle   — AutoCachePlanner with FutureReuse (oracle.ts): the same optimiser, exact future;
//   repeatOracle — the same, but blind to whether a new prefix will come back (RepeatOracle).
// Entries are committed at the arrival time (zero time to first token).
import { AnthropicPromptCache, DEFAULT_MIN_CACHE_TOKENS } from '../../providers/anthropic-cache-rules.js';
import { costPico } from '../../cost/calculate.js';
import type { ModelPricing } from '../../cost/prices.js';
import { ZERO_USAGE } from '../../core/canonical.js';
import { AutoCachePlanner } from '../auto.js';
import type { PromptBlock } from '../blocks.js';
import type { Breakpoint, PlannerMode } from '../planner.js';
import { PrefixStats } from '../prefix-stats.js';
import { segmentsOf } from '../segments.js';
import { blocksOfTraceRequest, MOONCAKE_BLOCK_TOKENS, type TraceRequest } from '../trace.js';
import { lowerBoundPico } from './bound.js';
import { ContinuationModel } from '../continuation.js';
import type { Ttl } from '../cost-model.js';
import { FutureReuse, RepeatOracle } from './oracle.js';

export type PolicyName = 'baseline' | 'naive' | 'planned' | 'oracle' | 'repeatOracle';
export const POLICIES: readonly PolicyName[] = ['baseline', 'naive', 'planned', 'oracle', 'repeatOracle'];

export interface TokenTotals {
  input: number;
  cacheRead: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
}

export interface PolicyOutcome {
  costPico: bigint;
  tokens: TokenTotals;
  /** Breakpoints sent, summed over requests. */
  breakpoints: number;
}

export interface ReplayOptions {
  /** Upstream model id (minimum cacheable length, emulator cache keys). */
  model: string;
  pricing: ModelPricing;
  minCacheableTokens: number;
  mode: PlannerMode;
  /** Minimum-length overrides, as configured for the deployment. */
  minCacheTokens?: Readonly<Record<string, number>>;
}

export interface ReplayResult {
  requests: number;
  inputTokens: number;
  outcomes: Record<PolicyName, PolicyOutcome>;
  lowerBoundPico: bigint;
}

export type Decide = (blocks: readonly PromptBlock[], now: number) => { breakpoints: Breakpoint[]; commit?: () => void };

export const NAMESPACE = 'trace';

export function simulate(arrivals: ReadonlyArray<{ blocks: PromptBlock[]; time: number }>, opts: ReplayOptions, decide: Decide): PolicyOutcome {
  let clock = 0;
  const provider = new AnthropicPromptCache(() => clock, { ...DEFAULT_MIN_CACHE_TOKENS, ...opts.minCacheTokens });
  const tokens: TokenTotals = { input: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0 };
  let cost = 0n;
  let breakpoints = 0;
  for (const { blocks, time } of arrivals) {
    clock = time;
    const d = decide(blocks, time);
    breakpoints += d.breakpoints.length;
    const plan = provider.plan(opts.model, segmentsOf(blocks, d.breakpoints));
    plan.commit();
    d.commit?.();
    const u = plan.usage;
    tokens.input += u.inputTokens;
    tokens.cacheRead += u.cacheReadTokens;
    tokens.cacheWrite5m += u.cacheWrite5mTokens;
    tokens.cacheWrite1h += u.cacheWrite1hTokens;
    cost += BigInt(costPico({ ...ZERO_USAGE, ...u }, opts.pricing));
  }
  return { costPico: cost, tokens, breakpoints };
}

export function plannerPolicy(
  auto: AutoCachePlanner,
  opts: ReplayOptions,
  continuation?: (index: number) => Readonly<Record<Ttl, number>> | undefined,
): Decide {
  let index = 0;
  return (blocks, now) => {
    const reads = continuation?.(index++);
    // The conversation's next request repeats the prompt but for a partial last block (its hash
    // names the token count; the next request holds that block full, with more in it).
    const last = blocks.length - 1;
    const floor = reads && { expectedReads: reads, throughBlock: blocks[last]!.tokens < MOONCAKE_BLOCK_TOKENS ? last - 1 : last };
    const { plan, commit } = auto.plan({
      namespace: NAMESPACE,
      model: opts.model,
      blocks,
      pricing: opts.pricing,
      minCacheableTokens: opts.minCacheableTokens,
      mode: opts.mode,
      now,
      continuation: floor,
    });
    return { breakpoints: plan.breakpoints, commit };
  };
}

export function replayTrace(trace: readonly TraceRequest[], opts: ReplayOptions): ReplayResult {
  const arrivals = trace.map((r) => ({ blocks: blocksOfTraceRequest(r), time: r.timestamp }));
  const naive: Decide = (blocks) => {
    let last = blocks.length - 1;
    while (last >= 0 && !blocks[last]!.cacheable) last--;
    return { breakpoints: last >= 0 ? [{ blockIndex: last, ttl: '5m' }] : [] };
  };
  const outcomes: Record<PolicyName, PolicyOutcome> = {
    baseline: simulate(arrivals, opts, () => ({ breakpoints: [] })),
    naive: simulate(arrivals, opts, naive),
    planned: simulate(arrivals, opts, plannerPolicy(new AutoCachePlanner({ reuse: new PrefixStats() }), opts, continuationSignals(trace))),
    oracle: simulate(arrivals, opts, plannerPolicy(new AutoCachePlanner({ reuse: new FutureReuse(arrivals) }), opts)),
    repeatOracle: simulate(arrivals, opts, plannerPolicy(new AutoCachePlanner({ reuse: new RepeatOracle(arrivals) }), opts)),
  };
  return {
    requests: trace.length,
    inputTokens: trace.reduce((a, r) => a + r.inputLength, 0),
    outcomes,
    lowerBoundPico: lowerBoundPico(arrivals, opts.pricing, opts.minCacheableTokens),
  };
}

/**
 * The planner's continuation signals from a trace that records sessions and stop reasons: each
 * request's conversation and its previous response's stop reason (the past only). Undefined for
 * a trace without them (Mooncake), which the planner then replays exactly as before.
 */
export function continuationSignals(trace: readonly TraceRequest[]): ((index: number) => Readonly<Record<Ttl, number>> | undefined) | undefined {
  if (!trace.some((r) => r.sessionId !== undefined && r.stopReason !== undefined)) return undefined;
  const model = new ContinuationModel();
  const lastStop = new Map<string, string | undefined>();
  return (index) => {
    const r = trace[index]!;
    if (r.sessionId === undefined) return undefined;
    const floor = model.arrive({ conversation: r.sessionId, previousStop: lastStop.get(r.sessionId), now: r.timestamp });
    lastStop.set(r.sessionId, r.stopReason);
    return floor;
  };
}
