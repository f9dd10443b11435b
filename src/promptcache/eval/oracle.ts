// The clairvoyant reuse model behind `oracle_cost_usd`. It knows every future arrival: for block b
// of the current request and TTL T, expected reads = the exact number of later requests that
// contain b's prefix in an unbroken chain of gaps < T (each hit refreshes the entry, so that is
// how many reads an entry written now with TTL T would serve if every one of them read it).
// The planner's optimiser then runs on these exact counts instead of estimates, so the oracle is
// the best per-request choice of ≤ 4 breakpoints and TTLs under the same cost model with perfect
// knowledge of the future. It is not a global optimum over all joint decisions across requests;
// `lowerBoundPico` (bound.ts) is the true floor no policy can beat.
import type { PromptBlock } from '../blocks.js';
import { TTL_MS, type Ttl } from '../cost-model.js';
import { NO_REUSE, type ReuseEstimate, type ReuseModel } from '../reuse.js';

interface Occurrences {
  times: number[];
  chain: Record<Ttl, Int32Array>;
  /** Index of the current request's occurrence (advanced by observe). */
  cursor: number;
}

export class FutureReuse implements ReuseModel {
  private readonly byHash = new Map<string, Occurrences>();

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
