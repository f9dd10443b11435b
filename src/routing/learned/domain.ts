// Out-of-domain detection for the learned router. A router trained on one kind of prompt can rank
// another kind worse than a coin (trained on MMLU, it routed GSM8K at APGR 0.44), so the model file
// carries a sketch of its training prompts: spherical k-means centroids of their word and n-gram
// features (the dense prompt statistics are left out: they make every prompt look alike). A prompt's
// familiarity is its best cosine to a centroid; below `threshold` it is out of domain and the router
// uses its declared fallback instead of its prediction.
//
// The threshold is calibrated on held-out in-domain prompts (centroids fitted without them) as the
// familiarity that `falseAlarmRate` of them fall below, so in domain the router gives up that share
// of its decisions and no more.
import { z } from 'zod';
import type { SparseVector } from './features.js';
import { DEFAULT_CLUSTER_OPTIONS, trainClusters } from './clusters.js';

export const DomainSchema = z.strictObject({
  /** Feature slots [0, statSlots) (bias and prompt statistics) take no part. */
  statSlots: z.number().int().nonnegative(),
  centroids: z.array(z.strictObject({ idx: z.array(z.number().int().nonnegative()), val: z.array(z.number()) })).min(1),
  threshold: z.number(),
  falseAlarmRate: z.number().min(0).max(1),
});

export type Domain = z.infer<typeof DomainSchema>;

export interface DomainOptions {
  /** Share of held-out in-domain prompts allowed to count as out of domain (default 0.005). */
  falseAlarmRate: number;
  k: number;
  /** Entries kept per centroid. */
  keep: number;
  seed: number;
}

export const DEFAULT_DOMAIN_OPTIONS: DomainOptions = { falseAlarmRate: 0.005, k: 48, keep: 400, seed: 1 };

/** The word and n-gram part of a feature vector. */
function wordsOnly(x: SparseVector, statSlots: number): SparseVector {
  let n = 0;
  for (let k = 0; k < x.idx.length; k++) if ((x.idx[k] as number) >= statSlots) n++;
  const idx = new Int32Array(n);
  const val = new Float32Array(n);
  let j = 0;
  for (let k = 0; k < x.idx.length; k++) {
    if ((x.idx[k] as number) < statSlots) continue;
    idx[j] = x.idx[k] as number;
    val[j++] = x.val[k] as number;
  }
  return { idx, val };
}

/** Centroids of the training prompts' word features (threshold still to calibrate). */
export function fitCentroids(xs: readonly SparseVector[], statSlots: number, dim: number, o: DomainOptions): Domain['centroids'] {
  const words = xs.map((x) => wordsOnly(x, statSlots));
  const model = trainClusters(
    words,
    xs.map(() => []),
    dim,
    { ...DEFAULT_CLUSTER_OPTIONS, k: o.k, keep: o.keep, seed: o.seed },
    4000,
  );
  return model.clusters.map((c) => ({ idx: c.idx, val: c.val }));
}

/** The familiarity below which `rate` of the given (held-out, in-domain) familiarities lie. */
export function calibrateThreshold(familiarities: readonly number[], rate: number): number {
  if (familiarities.length === 0) return -Infinity;
  const sorted = [...familiarities].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(rate * sorted.length))] as number;
}

/** Familiarity scoring with typed-array centroids and a reusable dense scratch row. */
export class DomainCheck {
  private readonly idx: Int32Array[];
  private readonly val: Float32Array[];
  private readonly scratch: Float64Array;

  constructor(
    private readonly domain: Pick<Domain, 'statSlots' | 'centroids'> & { threshold?: number },
    dim: number,
  ) {
    this.idx = domain.centroids.map((c) => Int32Array.from(c.idx));
    this.val = domain.centroids.map((c) => Float32Array.from(c.val));
    this.scratch = new Float64Array(dim);
  }

  /** Best cosine between the prompt's word features and a training centroid (0 for no words). */
  familiarity(x: SparseVector): number {
    const q = this.scratch;
    const from = this.domain.statSlots;
    let norm = 0;
    for (let k = 0; k < x.idx.length; k++) if ((x.idx[k] as number) >= from) norm += (x.val[k] as number) ** 2;
    if (norm === 0) return 0;
    norm = Math.sqrt(norm);
    for (let k = 0; k < x.idx.length; k++) if ((x.idx[k] as number) >= from) q[x.idx[k] as number] = (x.val[k] as number) / norm;
    let best = 0;
    for (let c = 0; c < this.idx.length; c++) {
      const ids = this.idx[c] as Int32Array;
      const vals = this.val[c] as Float32Array;
      let s = 0;
      for (let k = 0; k < ids.length; k++) s += (q[ids[k] as number] as number) * (vals[k] as number);
      if (s > best) best = s;
    }
    for (let k = 0; k < x.idx.length; k++) q[x.idx[k] as number] = 0;
    return best;
  }

  outOfDomain(x: SparseVector): boolean {
    return this.familiarity(x) < (this.domain.threshold ?? -Infinity);
  }
}
