// Cache-aware elision on the agent trace (agent-trace.ts): the sessions replayed through the
// planner with continuation signals, once as sent and once with tool results older than N steps
// replaced by a short stub whenever the elision gate (optimize/elision-gate.ts) says it pays,
// judged on what the planner believes is cached. Once elided, a tool result stays elided for the
// rest of its session, so later requests share the edited prefix.
import { AutoCachePlanner } from '../auto.js';
import { blockEnds, type PromptBlock } from '../blocks.js';
import { ContinuationModel } from '../continuation.js';
import { unitPrices } from '../cost-model.js';
import { elisionNetPico } from '../optimize/elision-gate.js';
import { PrefixStats } from '../prefix-stats.js';
import { blocksOfTraceRequest, MOONCAKE_BLOCK_TOKENS } from '../trace.js';
import { hashSegments, generateAgentSessions, type AgentRequest, type AgentTraceOptions, type Segment } from './agent-trace.js';
import { NAMESPACE, simulate, type PolicyOutcome, type ReplayOptions } from './replay.js';

/** Tokens of the stub that replaces an elided tool result. */
export const STUB_TOKENS = 24;

export interface ElisionEvalResult {
  requests: number;
  plannerAlone: PolicyOutcome;
  withElision: PolicyOutcome;
  /** Tool results elided, and the ones the gate refused because they would forfeit more cache reads than they save. */
  elided: number;
  refused: number;
}

export interface ElisionOptions {
  olderThanSteps: number;
  /** Elide whatever qualifies, without the gate (what a cache-blind policy does). */
  ungated?: boolean;
}

export function evaluateElision(trace: AgentTraceOptions, opts: ReplayOptions & ElisionOptions): ElisionEvalResult {
  const sessions = generateAgentSessions(trace);
  const ids = new Map<string, number>();
  const blocksOf = (prompt: readonly Segment[], r: AgentRequest): PromptBlock[] =>
    blocksOfTraceRequest({ timestamp: r.timestamp, outputLength: r.outputTokens, ...hashSegments(prompt, ids) });
  const plain = sessions.map((r) => ({ blocks: blocksOf(r.prompt, r), time: r.timestamp }));

  let elided = 0;
  let refused = 0;
  const elidedKeys = new Set<string>();
  const auto = new AutoCachePlanner({ reuse: new PrefixStats() });
  const decideElision = (r: AgentRequest): PromptBlock[] => {
    const edited = (): Segment[] => r.prompt.map((s) => (elidedKeys.has(s.key) ? { key: `${s.key}/stub`, tokens: STUB_TOKENS, role: s.role } : s));
    const current = blocksOf(edited(), r);
    const tools = r.prompt.filter((s) => s.role === 'tool');
    const candidates = tools.slice(0, Math.max(0, tools.length - opts.olderThanSteps)).filter((s) => !elidedKeys.has(s.key) && s.tokens > STUB_TOKENS);
    if (candidates.length === 0) return current;
    const cached = auto.tracker.cachedPrefixes(NAMESPACE, opts.model, current, r.timestamp);
    const ends = blockEnds(current);
    let cachedTokens = 0;
    current.forEach((b, i) => {
      if (cached.has(b.hash)) cachedTokens = ends[i]!;
    });
    let offset = 0;
    let firstEditAt = -1;
    for (const s of edited()) {
      if (s.key === candidates[0]!.key) firstEditAt = offset;
      offset += s.tokens;
    }
    const removed = candidates.reduce((a, s) => a + s.tokens - STUB_TOKENS, 0);
    const net = elisionNetPico({ removedTokens: removed, firstEditAt, cachedPrefixTokens: cachedTokens, prices: unitPrices(opts.pricing, offset) });
    if (net <= 0 && opts.ungated !== true) {
      refused += candidates.length;
      return current;
    }
    for (const s of candidates) elidedKeys.add(s.key);
    elided += candidates.length;
    return blocksOf(edited(), r);
  };

  const plannerAlone = simulate(plain, opts, plannerWithSignals(new AutoCachePlanner({ reuse: new PrefixStats() }), sessions, opts));
  // The elided replay decides each request's prompt as it arrives, so its blocks are built lazily.
  const lazy = sessions.map((r) => ({ request: r, time: r.timestamp, blocks: [] as PromptBlock[] }));
  const decideAndPlan = plannerWithSignals(auto, sessions, opts);
  const withElision = simulate(
    lazy.map((l) => ({
      time: l.time,
      get blocks() {
        return l.blocks.length ? l.blocks : (l.blocks = decideElision(l.request));
      },
    })),
    opts,
    decideAndPlan,
  );
  return { requests: sessions.length, plannerAlone, withElision, elided, refused };
}

function plannerWithSignals(auto: AutoCachePlanner, sessions: readonly AgentRequest[], opts: ReplayOptions) {
  const continuation = new ContinuationModel();
  const lastStop = new Map<string, string>();
  let index = 0;
  return (blocks: readonly PromptBlock[], now: number) => {
    const r = sessions[index++]!;
    const reads = continuation.arrive({ conversation: r.session, previousStop: lastStop.get(r.session), now });
    lastStop.set(r.session, r.stopReason);
    const last = blocks.length - 1;
    const { plan, commit } = auto.plan({
      namespace: NAMESPACE,
      model: opts.model,
      blocks,
      pricing: opts.pricing,
      minCacheableTokens: opts.minCacheableTokens,
      mode: opts.mode,
      now,
      continuation: reads && { expectedReads: reads, throughBlock: blocks[last]!.tokens < MOONCAKE_BLOCK_TOKENS ? last - 1 : last },
    });
    return { breakpoints: plan.breakpoints, commit };
  };
}
