// Prompt clusters with per-cluster outcome rates: spherical k-means over the feature vectors (bias
// slot excluded), then, per cluster and candidate, the share of good answers smoothed toward the
// candidate's overall rate. A prompt's estimate is the similarity-weighted mean over its nearest
// clusters plus a fixed weight on the overall rate, so a prompt unlike anything seen in training
// falls back to the overall rates instead of trusting a far-away cluster.
// Centroids are pruned to their largest entries: decisions touch a few thousand numbers.
import { seededRandom } from '../../core/random.js';
import type { SparseVector } from './features.js';
import { shuffle } from './logistic.js';

export interface Cluster {
  idx: number[];
  val: number[];
  /** Smoothed good-answer rate per candidate. */
  rates: number[];
  size: number;
}

export interface ClusterModel {
  clusters: Cluster[];
  /** Overall good-answer rate per candidate. */
  prior: number[];
  /** Nearest clusters used per prompt. */
  top: number;
  /** Similarity exponent of the cluster weights. */
  power: number;
  /** Weight of the overall rates (a cluster at cosine s weighs s^power). */
  priorWeight: number;
}

export interface ClusterOptions {
  k: number;
  iterations: number;
  seed: number;
  /** Entries kept per centroid. */
  keep: number;
  /** Pseudo-count pulling each cluster's rates toward the overall rate. */
  smoothing: number;
  top: number;
  power: number;
  priorWeight: number;
}

export const DEFAULT_CLUSTER_OPTIONS: ClusterOptions = { k: 48, iterations: 8, seed: 1, keep: 600, smoothing: 4, top: 3, power: 2, priorWeight: 0.05 };

/** Unit-length copy of x without the bias slot. */
function unit(x: SparseVector): { idx: Int32Array; val: Float64Array } {
  let n = 0;
  let count = 0;
  for (let k = 0; k < x.idx.length; k++) {
    if (x.idx[k] === 0) continue;
    n += (x.val[k] as number) ** 2;
    count++;
  }
  const norm = Math.sqrt(n) || 1;
  const idx = new Int32Array(count);
  const val = new Float64Array(count);
  let j = 0;
  for (let k = 0; k < x.idx.length; k++) {
    if (x.idx[k] === 0) continue;
    idx[j] = x.idx[k] as number;
    val[j++] = (x.val[k] as number) / norm;
  }
  return { idx, val };
}

function dotDense(c: Float64Array, x: { idx: Int32Array; val: Float64Array }): number {
  let s = 0;
  for (let k = 0; k < x.idx.length; k++) s += (c[x.idx[k] as number] as number) * (x.val[k] as number);
  return s;
}

function normaliseDense(c: Float64Array): void {
  let n = 0;
  for (let i = 0; i < c.length; i++) n += (c[i] as number) ** 2;
  const norm = Math.sqrt(n);
  if (norm > 0) for (let i = 0; i < c.length; i++) c[i] = (c[i] as number) / norm;
}

function nearest(centroids: readonly Float64Array[], x: ReturnType<typeof unit>): number {
  let best = 0;
  let bestSim = -Infinity;
  centroids.forEach((c, j) => {
    const s = dotDense(c, x);
    if (s > bestSim) {
      bestSim = s;
      best = j;
    }
  });
  return best;
}

/** Seeds by k-means++ on cosine distance, then Lloyd iterations; returns each row's cluster. */
function kmeans(xs: ReturnType<typeof unit>[], dim: number, o: ClusterOptions): { centroids: Float64Array[]; assign: Int32Array } {
  const rand = seededRandom(o.seed);
  const k = Math.min(o.k, xs.length);
  const centroids: Float64Array[] = [];
  const place = (x: ReturnType<typeof unit>): void => {
    const c = new Float64Array(dim);
    for (let j = 0; j < x.idx.length; j++) c[x.idx[j] as number] = x.val[j] as number;
    centroids.push(c);
  };
  place(xs[Math.floor(rand() * xs.length)] as ReturnType<typeof unit>);
  const dist = xs.map((x) => 1 - dotDense(centroids[0] as Float64Array, x));
  while (centroids.length < k) {
    const total = dist.reduce((a, b) => a + Math.max(0, b) ** 2, 0);
    let r = rand() * total;
    let pick = xs.length - 1;
    for (let i = 0; i < xs.length; i++) {
      r -= Math.max(0, dist[i] as number) ** 2;
      if (r <= 0) {
        pick = i;
        break;
      }
    }
    place(xs[pick] as ReturnType<typeof unit>);
    const c = centroids[centroids.length - 1] as Float64Array;
    xs.forEach((x, i) => (dist[i] = Math.min(dist[i] as number, 1 - dotDense(c, x))));
  }
  const assign = new Int32Array(xs.length);
  for (let it = 0; it < o.iterations; it++) {
    xs.forEach((x, i) => (assign[i] = nearest(centroids, x)));
    const sums = centroids.map(() => new Float64Array(dim));
    xs.forEach((x, i) => {
      const c = sums[assign[i] as number] as Float64Array;
      for (let j = 0; j < x.idx.length; j++) c[x.idx[j] as number] = (c[x.idx[j] as number] as number) + (x.val[j] as number);
    });
    sums.forEach((s, j) => {
      normaliseDense(s);
      // an emptied cluster keeps its previous centroid
      if (s.some((v) => v !== 0)) centroids[j] = s;
    });
  }
  return { centroids, assign };
}

function prune(c: Float64Array, keep: number): { idx: number[]; val: number[] } {
  const order: number[] = [];
  for (let i = 0; i < c.length; i++) if (c[i] !== 0) order.push(i);
  order.sort((a, b) => Math.abs(c[b] as number) - Math.abs(c[a] as number));
  const kept = order.slice(0, keep).sort((a, b) => a - b);
  const norm = Math.sqrt(kept.reduce((s, i) => s + (c[i] as number) ** 2, 0)) || 1;
  return { idx: kept, val: kept.map((i) => (c[i] as number) / norm) };
}

/** `scores[row][candidate]`: 0..1, or null when missing. */
export function trainClusters(
  xs: readonly SparseVector[],
  scores: readonly (readonly (number | null)[])[],
  dim: number,
  o: ClusterOptions = DEFAULT_CLUSTER_OPTIONS,
  maxRows = Infinity,
): ClusterModel {
  if (xs.length === 0) throw new Error('no rows to cluster');
  const m = scores[0]?.length ?? 0;
  const units = xs.map(unit);
  const sample = units.length > maxRows ? shuffle(units.slice(), seededRandom(o.seed + 1)).slice(0, maxRows) : units;
  const { centroids } = kmeans(sample, dim, o);
  const assign = Int32Array.from(units.map((x) => nearest(centroids, x)));
  const rate = (rows: number[], c: number): { s: number; n: number } => {
    let s = 0;
    let n = 0;
    for (const i of rows) {
      const y = scores[i]?.[c];
      if (y === null || y === undefined) continue;
      s += y;
      n++;
    }
    return { s, n };
  };
  const all = xs.map((_, i) => i);
  const prior = Array.from({ length: m }, (_, c) => {
    const { s, n } = rate(all, c);
    return n ? s / n : 0.5;
  });
  const members = centroids.map(() => [] as number[]);
  assign.forEach((a, i) => members[a]?.push(i));
  const clusters = centroids
    .map((c, j) => {
      const rows = members[j] ?? [];
      const rates = prior.map((p, cand) => {
        const { s, n } = rate(rows, cand);
        return (s + o.smoothing * p) / (n + o.smoothing);
      });
      return { ...prune(c, o.keep), rates, size: rows.length };
    })
    .filter((c) => c.size > 0);
  return { clusters, prior, top: o.top, power: o.power, priorWeight: o.priorWeight };
}

/** Fast scoring: centroids as typed arrays, a dense scratch row for the query. */
export class ClusterScorer {
  private readonly idx: Int32Array[];
  private readonly val: Float32Array[];
  private readonly scratch: Float64Array;

  constructor(
    private readonly model: ClusterModel,
    dim: number,
  ) {
    this.idx = model.clusters.map((c) => Int32Array.from(c.idx));
    this.val = model.clusters.map((c) => Float32Array.from(c.val));
    this.scratch = new Float64Array(dim);
  }

  /** Estimated good-answer rate per candidate. */
  predict(x: SparseVector): number[] {
    const u = unit(x);
    const q = this.scratch;
    for (let k = 0; k < u.idx.length; k++) q[u.idx[k] as number] = u.val[k] as number;
    const sims = this.idx.map((ids, c) => {
      const vals = this.val[c] as Float32Array;
      let s = 0;
      for (let k = 0; k < ids.length; k++) s += (q[ids[k] as number] as number) * (vals[k] as number);
      return s;
    });
    for (let k = 0; k < u.idx.length; k++) q[u.idx[k] as number] = 0;
    const nearest = sims
      .map((s, c) => ({ s, c }))
      .sort((a, b) => b.s - a.s)
      .slice(0, this.model.top);
    const { prior, priorWeight, power } = this.model;
    const out = prior.map((p) => p * priorWeight);
    let total = priorWeight;
    for (const { s, c } of nearest) {
      const w = Math.max(0, s) ** power;
      const rates = this.model.clusters[c]?.rates ?? [];
      for (let m = 0; m < out.length; m++) out[m] = (out[m] as number) + w * (rates[m] ?? 0);
      total += w;
    }
    return out.map((v) => v / total);
  }
}
