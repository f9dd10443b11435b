// Cache hit rates that follow the traffic: requests draw keys (exact-cache keys, shared prefixes)
// from a Zipf popularity over a catalogue of `size` keys, p_i ∝ i^(−s), and arrive as a Poisson
// stream of λ requests a second, so key i arrives at λ·p_i. Each key is treated on its own (Che's
// approximation: a TTL cache has no capacity coupling between keys).
//
//  - A TTL that restarts on every hit (the providers' prompt caches): a request hits when the key's
//    previous request came less than T ago, so hit_i = 1 − e^(−λ·p_i·T).
//  - A TTL that runs from the write (costwise's response cache): after a miss the entry answers the
//    key's arrivals for T, then the next arrival misses again. A cycle has λ·p_i·T hits and one
//    miss, so hit_i = λ·p_i·T ÷ (1 + λ·p_i·T).
//
// The hit rate is Σ p_i·hit_i. Large catalogues are summed exactly over the first ranks and in
// log-spaced buckets beyond (p_i is smooth there), so a month costs a few thousand terms.

export interface Popularity {
  zipfExponent: number;
  catalogueSize: number;
}

export type TtlKind = 'refresh-on-hit' | 'from-write';

export const SECONDS_PER_MONTH = 30 * 86_400;

/** Ranks summed one by one; the rest of the catalogue goes in BUCKETS log-spaced buckets. */
export const EXACT_RANKS = 2_000;
export const BUCKETS = 2_000;

/** Groups of ranks lo+1 … hi: rank i alone up to EXACT_RANKS, then the buckets. */
export interface Terms {
  lo: Float64Array;
  hi: Float64Array;
  /** i^(−s) of one key of the group (at the bucket's geometric middle), before normalising. */
  weight: Float64Array;
  /** Probability of one key of the group. */
  p: Float64Array;
  /** How many keys share it. */
  count: Float64Array;
}

const memo = new Map<string, Terms>();

/** The groups the hit rate is summed over (the spreadsheet export writes the same arithmetic). */
export function terms(pop: Popularity): Terms {
  const key = `${pop.zipfExponent}:${pop.catalogueSize}`;
  const hit = memo.get(key);
  if (hit) return hit;
  const n = Math.max(1, Math.floor(pop.catalogueSize));
  const s = pop.zipfExponent;
  const p: number[] = [];
  const count: number[] = [];
  const los: number[] = [];
  const his: number[] = [];
  const exact = Math.min(n, EXACT_RANKS);
  for (let i = 1; i <= exact; i++) {
    p.push(Math.pow(i, -s));
    count.push(1);
    los.push(i - 1);
    his.push(i);
  }
  if (n > exact) {
    // Ranks exact+1 … n in log-spaced buckets, each weighted by its size at its geometric middle.
    const ratio = Math.pow(n / exact, 1 / BUCKETS);
    let lo = exact;
    for (let b = 1; b <= BUCKETS && lo < n; b++) {
      const hi = b === BUCKETS ? n : Math.min(n, Math.max(lo + 1, Math.floor(exact * Math.pow(ratio, b))));
      const size = hi - lo;
      if (size <= 0) continue;
      p.push(Math.pow(Math.sqrt((lo + 1) * hi), -s));
      count.push(size);
      los.push(lo);
      his.push(hi);
      lo = hi;
    }
  }
  let total = 0;
  for (let i = 0; i < p.length; i++) total += p[i]! * count[i]!;
  const out: Terms = {
    lo: Float64Array.from(los),
    hi: Float64Array.from(his),
    weight: Float64Array.from(p),
    p: Float64Array.from(p, (v) => v / total),
    count: Float64Array.from(count),
  };
  if (memo.size > 64) memo.clear();
  memo.set(key, out);
  return out;
}

/** The share of requests that hit, at `ratePerSecond` requests a second and a TTL of `ttlSeconds`. */
export function ttlHitRate(pop: Popularity, ratePerSecond: number, ttlSeconds: number, kind: TtlKind): number {
  if (ratePerSecond <= 0 || ttlSeconds <= 0) return 0;
  const { p, count } = terms(pop);
  const lt = ratePerSecond * ttlSeconds;
  let hit = 0;
  for (let i = 0; i < p.length; i++) {
    const x = lt * p[i]!;
    const h = kind === 'refresh-on-hit' ? -Math.expm1(-x) : x / (1 + x);
    hit += count[i]! * p[i]! * h;
  }
  return Math.min(1, Math.max(0, hit));
}

/** Requests a second of `requests` spread over a 30-day month. */
export function monthlyRate(requests: number): number {
  return requests / SECONDS_PER_MONTH;
}
