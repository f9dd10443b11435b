// Training: per-candidate L2-regularised logistic regression by SGD over hashed prompt features
// (seeded shuffles, learning rate decaying per epoch). Rows whose score for a model is missing are
// skipped for that model; fractional scores are used as soft labels.
// The default quality knob is chosen on an internal validation split (see chooseDefaultQuality),
// then the final model is trained on all rows.
import { seededRandom } from '../../core/random.js';
import { featurize, type SparseVector } from './features.js';
import { LearnedRouter, MODEL_FORMAT, type RouterModel } from './model.js';
import type { OutcomeDataset } from './data.js';

export interface TrainOptions {
  dim?: number;
  epochs?: number;
  learningRate?: number;
  l2?: number;
  seed?: number;
  sources?: string[];
  note?: string;
  /** Called with (done, total) work units. */
  onProgress?: (done: number, total: number) => void;
  /** Skip the validation run that picks defaultQuality (use this value instead). */
  defaultQuality?: number;
  /** Decision rule stored in the model (default 'relative', see model.ts). */
  rule?: 'absolute' | 'relative';
}

export const DEFAULT_DIM = 1 << 15;


export function shuffle<T>(xs: T[], rand: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = xs[i] as T;
    xs[i] = xs[j] as T;
    xs[j] = t;
  }
  return xs;
}

/** Split row indices into (train, test) with `testFraction` of every group held out. */
export function stratifiedSplit(groups: readonly string[], testFraction: number, seed: number): { train: number[]; test: number[] } {
  const byGroup = new Map<string, number[]>();
  groups.forEach((g, i) => {
    const list = byGroup.get(g) ?? [];
    list.push(i);
    byGroup.set(g, list);
  });
  const rand = seededRandom(seed);
  const train: number[] = [];
  const test: number[] = [];
  for (const g of [...byGroup.keys()].sort()) {
    const idx = shuffle([...(byGroup.get(g) ?? [])], rand);
    const cut = Math.round(idx.length * testFraction);
    test.push(...idx.slice(0, cut));
    train.push(...idx.slice(cut));
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}

export function subset(ds: OutcomeDataset, idx: readonly number[]): OutcomeDataset {
  return { models: ds.models, rows: idx.map((i) => ds.rows[i]).filter((r) => r !== undefined) };
}

function meanCosts(ds: OutcomeDataset): number[] {
  return ds.models.map((_, m) => {
    let s = 0;
    let n = 0;
    for (const r of ds.rows) {
      const c = r.costs[m];
      if (c !== null && c !== undefined) {
        s += c;
        n++;
      }
    }
    return n ? s / n : 0;
  });
}

function fitLogistic(xs: readonly SparseVector[], ys: readonly (number | null)[], dim: number, o: Required<Pick<TrainOptions, 'epochs' | 'learningRate' | 'l2' | 'seed'>>, tick: () => void): Float64Array {
  const w = new Float64Array(dim);
  const rows = xs.map((_, i) => i).filter((i) => ys[i] !== null && ys[i] !== undefined);
  // start the bias at the base rate's log-odds
  const base = rows.reduce((s, i) => s + (ys[i] ?? 0), 0) / Math.max(1, rows.length);
  const clipped = Math.min(0.99, Math.max(0.01, base));
  w[0] = Math.log(clipped / (1 - clipped));
  const rand = seededRandom(o.seed);
  for (let e = 0; e < o.epochs; e++) {
    const lr = o.learningRate / (1 + e);
    shuffle(rows, rand);
    for (const i of rows) {
      const x = xs[i] as SparseVector;
      let z = 0;
      for (let k = 0; k < x.idx.length; k++) z += (w[x.idx[k] as number] as number) * (x.val[k] as number);
      const p = 1 / (1 + Math.exp(-z));
      const g = p - (ys[i] ?? 0);
      for (let k = 0; k < x.idx.length; k++) {
        const j = x.idx[k] as number;
        const wj = w[j] as number;
        w[j] = wj - lr * (g * (x.val[k] as number) + (j === 0 ? 0 : o.l2 * wj));
      }
    }
    tick();
  }
  return w;
}

function fitAll(ds: OutcomeDataset, xs: readonly SparseVector[], dim: number, o: Required<Pick<TrainOptions, 'epochs' | 'learningRate' | 'l2' | 'seed'>>, tick: () => void): Float64Array[] {
  return ds.models.map((_, m) => fitLogistic(xs, ds.rows.map((r) => r.scores[m] ?? null), dim, o, tick));
}

export const KNOB_GRID: readonly number[] = Array.from({ length: 21 }, (_, i) => Math.round(i * 5) / 100);

/**
 * The default knob: on validation rows, the cheapest grid knob whose accuracy is within one point of
 * the most accurate single model's; if no knob gets there, the knob with the highest accuracy.
 */
export function chooseDefaultQuality(router: LearnedRouter, val: OutcomeDataset): number {
  const names = router.candidateNames;
  const col = names.map((n) => val.models.indexOf(n));
  const probs = val.rows.map((r) => router.predict(r.prompt));
  const acc = (pick: (r: number) => number): number =>
    val.rows.reduce((s, r, i) => s + (r.scores[col[pick(i)] ?? -1] ?? 0), 0) / Math.max(1, val.rows.length);
  const bestSingle = Math.max(...names.map((_, m) => acc(() => m)));
  let fallback = { knob: 1, acc: -1 };
  for (const knob of KNOB_GRID) {
    const a = acc((i) => router.choose(probs[i] ?? [], knob).index);
    if (a >= bestSingle - 0.01) return knob;
    if (a > fallback.acc) fallback = { knob, acc: a };
  }
  return fallback.knob;
}

export function trainRouter(ds: OutcomeDataset, opts: TrainOptions = {}): RouterModel {
  const dim = opts.dim ?? DEFAULT_DIM;
  const o = { epochs: opts.epochs ?? 8, learningRate: opts.learningRate ?? 0.5, l2: opts.l2 ?? 1e-5, seed: opts.seed ?? 1 };
  const withDefault = opts.defaultQuality === undefined;
  const total = ds.models.length * o.epochs * (withDefault ? 1.8 : 1) + 1;
  let done = 0;
  const tick = (): void => {
    done++;
    opts.onProgress?.(Math.min(done, total), total);
  };
  const xs = ds.rows.map((r) => featurize(r.prompt, dim));
  tick();
  const costs = meanCosts(ds);
  const build = (weights: Float64Array[], q: number, rows: number): RouterModel => ({
    format: MODEL_FORMAT,
    version: 1,
    dim,
    defaultQuality: q,
    rule: opts.rule ?? 'relative',
    candidates: ds.models.map((name, m) => ({ name, costPerCall: costs[m] ?? 0, weights: Array.from(weights[m] ?? []) })),
    training: { rows, sources: opts.sources ?? [], ...(opts.note ? { note: opts.note } : {}) },
  });
  let q = opts.defaultQuality ?? 0.5;
  if (withDefault) {
    const { train, test } = stratifiedSplit(ds.rows.map((r) => r.group), 0.2, o.seed + 7);
    const sub = subset(ds, train);
    const w = fitAll(sub, train.map((i) => xs[i] as SparseVector), dim, o, () => {
      done += 0.8;
      opts.onProgress?.(Math.min(done, total), total);
    });
    q = chooseDefaultQuality(new LearnedRouter(build(w, 0.5, sub.rows.length)), subset(ds, test));
  }
  const weights = fitAll(ds, xs, dim, o, tick);
  opts.onProgress?.(total, total);
  return build(weights, q, ds.rows.length);
}
