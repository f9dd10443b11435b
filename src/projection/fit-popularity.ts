// Key popularity fitted on observed traffic. The ledger records whether each request hit a cache but
// not which key it asked for, so the popularity is read from how the hit rate moves with the
// request rate: the window is cut into hours, hours of similar rate are pooled, and for each Zipf
// exponent on a grid the catalogue size is solved so that the model gives exactly the observed hits
// (hits fall as the catalogue grows, so bisection finds it). The exponent whose curve best follows
// the pooled hours wins. With flat traffic every exponent fits equally and the one nearest 1 is
// kept: the observed rate is then matched exactly, and growth is extrapolated on that exponent.
import { ttlHitRate, type Popularity, type TtlKind } from './popularity.js';

export interface CacheEvent {
  ts: number;
  hit: boolean;
}

export interface FitOptions {
  ttlSeconds: number;
  kind: TtlKind;
  /** Width of one observation bin (default one hour). */
  binMs?: number;
}

/** Fewer events or hits than this and the stated rate is kept (a fit would be noise). */
export const MIN_EVENTS = 100;
export const MIN_HITS = 10;

const EXPONENTS = [0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5];
const MAX_CATALOGUE = 1e8;
const POOLS = 12;

interface Pool {
  rate: number;
  requests: number;
  hits: number;
}

/** Bins of `binMs`, pooled into up to POOLS groups of similar request rate. */
function pools(events: readonly CacheEvent[], binMs: number): Pool[] {
  const bins = new Map<number, { n: number; hits: number }>();
  for (const e of events) {
    const b = Math.floor(e.ts / binMs);
    const bin = bins.get(b) ?? { n: 0, hits: 0 };
    bin.n++;
    if (e.hit) bin.hits++;
    bins.set(b, bin);
  }
  const sorted = [...bins.values()].sort((a, b) => a.n - b.n);
  const out: Pool[] = [];
  const per = Math.ceil(sorted.length / POOLS);
  for (let i = 0; i < sorted.length; i += per) {
    const group = sorted.slice(i, i + per);
    const requests = group.reduce((s, g) => s + g.n, 0);
    out.push({ rate: requests / (group.length * (binMs / 1000)), requests, hits: group.reduce((s, g) => s + g.hits, 0) });
  }
  return out;
}

const predicted = (pop: Popularity, ps: readonly Pool[], o: FitOptions): number =>
  ps.reduce((s, p) => s + p.requests * ttlHitRate(pop, p.rate, o.ttlSeconds, o.kind), 0);

/** The catalogue size at which exponent `s` predicts `hits` (log-space bisection). */
function solveCatalogue(s: number, hits: number, ps: readonly Pool[], o: FitOptions): number {
  let lo = 0; // log10 of the catalogue size
  let hi = Math.log10(MAX_CATALOGUE);
  if (predicted({ zipfExponent: s, catalogueSize: 1 }, ps, o) <= hits) return 1;
  if (predicted({ zipfExponent: s, catalogueSize: MAX_CATALOGUE }, ps, o) >= hits) return MAX_CATALOGUE;
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    if (predicted({ zipfExponent: s, catalogueSize: Math.round(10 ** mid) }, ps, o) > hits) lo = mid;
    else hi = mid;
  }
  return Math.max(1, Math.round(10 ** ((lo + hi) / 2)));
}

/** The popularity that explains the events' hits, or null when there are too few to fit. */
export function fitPopularity(events: readonly CacheEvent[], o: FitOptions): Popularity | null {
  const hits = events.reduce((n, e) => n + (e.hit ? 1 : 0), 0);
  if (events.length < MIN_EVENTS || hits < MIN_HITS) return null;
  const ps = pools(events, o.binMs ?? 3_600_000);
  let best: { pop: Popularity; error: number } | null = null;
  for (const s of EXPONENTS) {
    const pop = { zipfExponent: s, catalogueSize: solveCatalogue(s, hits, ps, o) };
    let error = 0;
    for (const p of ps) {
      const diff = p.requests * ttlHitRate(pop, p.rate, o.ttlSeconds, o.kind) - p.hits;
      error += (diff * diff) / p.requests;
    }
    // A clearly better fit replaces the best; a tie goes to the exponent nearer 1.
    if (!best || error < best.error * 0.98 || (error <= best.error * 1.02 && Math.abs(s - 1) < Math.abs(best.pop.zipfExponent - 1))) best = { pop, error };
  }
  return best!.pop;
}
