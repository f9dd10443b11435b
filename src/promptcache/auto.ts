// The one entry point the gateway and the eval share: observe the request, look up what is
// believed cached, plan, and (on commit) record what was sent.
import type { ModelPricing } from '../cost/prices.js';
import { blockEnds, type PromptBlock } from './blocks.js';
import { CacheTracker } from './cache-tracker.js';
import type { PlannerEvent } from './observations.js';
import { planBreakpoints, type BreakpointPlan, type PlannerMode } from './planner.js';
import { PrefixStats } from './prefix-stats.js';
import type { ReuseEstimate, ReuseModel } from './reuse.js';
import type { Ttl } from './cost-model.js';

export interface AutoPlanInput {
  /** Scope of the provider's cache and of the statistics: e.g. deployment key (+ tenant). */
  namespace: string;
  /** Upstream model id (for the minimum-length table inside the tracker). */
  model: string;
  blocks: readonly PromptBlock[];
  pricing: ModelPricing;
  minCacheableTokens: number;
  mode: PlannerMode;
  now: number;
  /**
   * Expected reads by the conversation's next request (continuation.ts) of every prefix up to
   * block `throughBlock` (the ones that request will contain): a floor under the statistics.
   */
  continuation?: { expectedReads: Readonly<Record<Ttl, number>>; throughBlock: number } | undefined;
  /** The TTLs the endpoint can carry; default both. */
  ttls?: readonly Ttl[];
}

export interface AutoPlan {
  plan: BreakpointPlan;
  /** Call when the upstream response has started (entries are usable only from then). */
  commit: (at?: number) => void;
}

export interface AutoCachePlannerOptions {
  reuse?: ReuseModel;
  tracker?: CacheTracker;
  /** Receives this planner's arrivals and sent requests, for other replicas to `merge`. */
  publish?: (event: PlannerEvent) => void;
}

export class AutoCachePlanner {
  readonly reuse: ReuseModel;
  readonly tracker: CacheTracker;
  private readonly publish: ((event: PlannerEvent) => void) | undefined;

  constructor(opts: AutoCachePlannerOptions = {}) {
    this.reuse = opts.reuse ?? new PrefixStats();
    this.tracker = opts.tracker ?? new CacheTracker();
    this.publish = opts.publish;
  }

  /** Another replica's arrival or sent request, applied at its own time (never re-published). */
  merge(event: PlannerEvent): void {
    if (event.kind === 'arrival') this.reuse.observe(event.namespace, event.blocks, event.at);
    else this.tracker.record(event.namespace, event.model, event.blocks, event.breakpoints, event.at);
  }

  plan(input: AutoPlanInput): AutoPlan {
    const { namespace, model, blocks, now } = input;
    this.reuse.observe(namespace, blocks, now);
    this.publish?.({ kind: 'arrival', namespace, blocks, at: now });
    const plan = planBreakpoints(blocks, {
      pricing: input.pricing,
      minCacheableTokens: input.minCacheableTokens,
      mode: input.mode,
      now,
      stats: input.continuation ? withFloor(this.reuse, input.continuation) : this.reuse,
      namespace,
      existingCachedPrefixes: this.tracker.cachedPrefixes(namespace, model, blocks, now),
      ...(input.ttls ? { ttls: input.ttls } : {}),
    });
    anchorStablePrefix(plan, blocks, input.minCacheableTokens);
    const commit = (at = now): void => {
      this.tracker.record(namespace, model, blocks, plan.breakpoints, at);
      const last = plan.breakpoints[plan.breakpoints.length - 1];
      if (last && this.publish)
        this.publish({ kind: 'sent', namespace, model, blocks: blocks.slice(0, last.blockIndex + 1), breakpoints: plan.breakpoints, at });
    };
    return { plan, commit };
  }
}

/**
 * When the plan writes past the stable prefix (tools and system), a breakpoint at the prefix's
 * end costs nothing more — every token is written once, whatever the number of markers — and it
 * lets the next request with another question read the system prompt. The planner cannot see
 * that from reuse statistics on a prefix it has no history for (all blocks look alike); block
 * kinds show which blocks are tools and system. Trace blocks are all messages: no anchor there.
 */
function anchorStablePrefix(plan: { breakpoints: Array<{ blockIndex: number; ttl: '5m' | '1h' }> }, blocks: readonly PromptBlock[], min: number): void {
  const first = plan.breakpoints[0];
  if (!first || plan.breakpoints.length >= 4) return;
  let stable = -1;
  for (let i = 0; i < blocks.length; i++) if (blocks[i]!.kind !== 'message') stable = i;
  if (stable < 0 || first.blockIndex <= stable || !blocks[stable]!.cacheable || blockEnds(blocks)[stable]! < min) return;
  plan.breakpoints.unshift({ blockIndex: stable, ttl: first.ttl });
}

/** The statistics' estimates, each cacheable block's up to `throughBlock` raised to at least the floor. */
function withFloor(stats: ReuseModel, c: { expectedReads: Readonly<Record<Ttl, number>>; throughBlock: number }): Pick<ReuseModel, 'estimate'> {
  const floor = c.expectedReads;
  return {
    estimate(namespace, blocks, now, opts): ReuseEstimate[] {
      return stats.estimate(namespace, blocks, now, opts).map((e, i) => {
        if (i > c.throughBlock || !blocks[i]!.cacheable || (e.expectedReads['5m'] >= floor['5m'] && e.expectedReads['1h'] >= floor['1h'])) return e;
        const expectedReads = { '5m': Math.max(e.expectedReads['5m'], floor['5m']), '1h': Math.max(e.expectedReads['1h'], floor['1h']) };
        return e.arrivals === undefined ? { expectedReads } : { expectedReads, arrivals: e.arrivals };
      });
    },
  };
}
