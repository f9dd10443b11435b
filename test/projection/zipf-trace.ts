// Seeded traffic for the scale-effect tests: Poisson arrivals whose keys (questions, shared
// prefixes) are drawn from a Zipf popularity, the model the projection's derived rates assume.

/** A seeded PRNG (mulberry32), so a trace is the same on every run. */
export function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Arrival {
  ts: number;
  /** 0-based rank of the key drawn. */
  key: number;
}

export interface ZipfTraffic {
  seed: number;
  /** Epoch ms of the trace's start. */
  start: number;
  spanSeconds: number;
  ratePerSecond: number;
  keys: number;
  exponent: number;
}

/** Poisson arrivals at `ratePerSecond` over `spanSeconds`, each with a key drawn with p_i ∝ i^(−exponent). */
export function zipfArrivals(t: ZipfTraffic): Arrival[] {
  const rnd = prng(t.seed);
  const weights = Array.from({ length: t.keys }, (_, i) => Math.pow(i + 1, -t.exponent));
  const total = weights.reduce((a, b) => a + b, 0);
  const cdf: number[] = [];
  weights.reduce((acc, w, i) => (cdf[i] = acc + w / total), 0);
  const out: Arrival[] = [];
  for (let s = 0; ;) {
    s += -Math.log(1 - rnd()) / t.ratePerSecond;
    if (s >= t.spanSeconds) break;
    const u = rnd();
    out.push({ ts: t.start + Math.round(s * 1000), key: cdf.findIndex((c) => c >= u) });
  }
  return out;
}

/** The 1× trace of a 3× one: each arrival kept with probability 1/3 (a thinned Poisson stream is Poisson). */
export function thinToOneThird(list: readonly Arrival[], seed: number): Arrival[] {
  const keep = prng(seed);
  return list.filter(() => keep() < 1 / 3);
}
