// The clairvoyant reuse model behind `oracle_cost_usd`. It knows every future arrival: for block b
// of the current request and TTL T, expected reads = the exact number of later requests that
// contain b's prefix in an unbroken chain of gaps < T (each hit refreshes the entry, so that is
// how many reads an entry written now with TTL T would serve if every one of them read it).
// The planner's optimiser then runs on these exact counts instead of estimates, so the oracle is
// the best per-request choice of ≤ 4 breakpoints and TTLs under the same cost model with perfect
// knowledge of the future. It is not a global optimum over all joint decisions across requests;
// `lowerBoundPico` (bound.ts) is the true floor no policy can beat.
import type { PromptBlock } from '../blocks.js';
import { creditedReads, TTL_MS, type Ttl } from '../cost-model.js';
import { MAX_OFFSET, sizeBucketOf } from '../prefix-stats.js';
import { NO_REUSE, type EstimateOptions, type ReuseEstimate, type ReuseModel } from '../reuse.js';

interface Occurrences {
  times: number[];
  chain: Record<Ttl, Int32Array>;
  /** Index of the current request's occurrence (advanced by observe). */
  cursor: number;
}

export class FutureReuse implements ReuseModel {
  protected readonly byHash = new Map<string, Occurrences>();

  /** `arrivals` in replay order; the namespace is ignored (one trace = one namespace). */
  constructor(arrivals: ReadonlyArray<{ blocks: readonly PromptBlock[]; time: number }>) {
    for (const a of arrivals) {
      for (const b of a.blocks) {
        if (!b.cacheable) continue;
        let o = this.byHash.get(b.hash);
        if (!o) {
          o = { times: [], chain: { '5m': new Int32Array(0), '1h': new Int32Array(0) }, cursor: -1 };
          this.byHash.set(b.hash, o);
        }
        o.times.push(a.time);
      }
    }
    for (const o of this.byHash.values()) {
      for (const ttl of ['5m', '1h'] as const) {
        const c = new Int32Array(o.times.length);
        for (let k = o.times.length - 2; k >= 0; k--) c[k] = o.times[k + 1]! - o.times[k]! < TTL_MS[ttl] ? 1 + c[k + 1]! : 0;
        o.chain[ttl] = c;
      }
    }
  }

  observe(_namespace: string, blocks: readonly PromptBlock[], _now: number): void {
    for (const b of blocks) {
      const o = b.cacheable ? this.byHash.get(b.hash) : undefined;
      if (o) o.cursor++;
    }
  }

  estimate(_namespace: string, blocks: readonly PromptBlock[], _now: number): ReuseEstimate[] {
    return blocks.map((b) => {
      const o = b.cacheable ? this.byHash.get(b.hash) : undefined;
      if (!o || o.cursor < 0) return NO_REUSE;
      return { expectedReads: { '5m': o.chain['5m'][o.cursor]!, '1h': o.chain['1h'][o.cursor]! } };
    });
  }
}

/** First occurrences of prefixes in one (prompt size bucket, distance from the prompt's end) cell. */
interface FirstArrivalCell {
  n: number;
  followed: Record<Ttl, number>;
  laterSum: Record<Ttl, number>;
}

const tokensOf = (blocks: readonly PromptBlock[]): number => blocks.reduce((a, b) => a + b.tokens, 0);
const cellKey = (promptTokens: number, blocks: number, i: number): number =>
  sizeBucketOf(promptTokens) * (MAX_OFFSET + 1) + Math.min(blocks - 1 - i, MAX_OFFSET);

/**
 * Behind `repeat_oracle_cost_usd`: clairvoyant like FutureReuse about every prefix that has been
 * seen before, but at a prefix's FIRST arrival it knows only what the whole trace says about first
 * arrivals like it (same prompt-size bucket and distance from the end, as PrefixStats' contexts):
 * the share followed within 5m / 1h and the mean chain after that, credited as the planner credits
 * estimates (creditedReads). Those statistics are taken from the whole trace in hindsight, so
 * this is an upper bound on any planner that cannot tell which new prompts will come back.
 */
export class RepeatOracle extends FutureReuse {
  private readonly cells = new Map<number, FirstArrivalCell>();

  constructor(arrivals: ReadonlyArray<{ blocks: readonly PromptBlock[]; time: number }>) {
    super(arrivals);
    const seen = new Map<string, number>();
    for (const a of arrivals) {
      const tokens = tokensOf(a.blocks);
      a.blocks.forEach((b, i) => {
        if (!b.cacheable) return;
        const k = seen.get(b.hash) ?? 0;
        seen.set(b.hash, k + 1);
        if (k > 0) return;
        const o = this.byHash.get(b.hash)!;
        const key = cellKey(tokens, a.blocks.length, i);
        let c = this.cells.get(key);
        if (!c) this.cells.set(key, (c = { n: 0, followed: { '5m': 0, '1h': 0 }, laterSum: { '5m': 0, '1h': 0 } }));
        c.n++;
        for (const ttl of ['5m', '1h'] as const) {
          const chain = o.chain[ttl][0]!;
          if (chain > 0) {
            c.followed[ttl]++;
            c.laterSum[ttl] += chain - 1;
          }
        }
      });
    }
  }

  override estimate(namespace: string, blocks: readonly PromptBlock[], now: number, opts: EstimateOptions = {}): ReuseEstimate[] {
    const exact = super.estimate(namespace, blocks, now);
    const tokens = tokensOf(blocks);
    return exact.map((e, i) => {
      const b = blocks[i]!;
      if (!b.cacheable || this.byHash.get(b.hash)?.cursor !== 0) return e;
      const c = this.cells.get(cellKey(tokens, blocks.length, i))!;
      const ratio = (ttl: Ttl): number => (c.followed[ttl] > 0 ? c.laterSum[ttl] / c.followed[ttl] : 0);
      const outlook = { pWithin: { '5m': c.followed['5m'] / c.n, '1h': c.followed['1h'] / c.n }, laterReads: { '5m': ratio('5m'), '1h': ratio('1h') } };
      return { expectedReads: creditedReads(outlook, opts.deferralCredit) };
    });
  }
}
