// Training a learned router from outcome data. Version 2 (the default) fits, per candidate, a
// logistic model, a cluster rate table and a cost regression over features-v2 (./train-v2.ts);
// version 1 fits the logistic models over the version-1 features only.
// The default quality knob is chosen on an internal validation split (see chooseDefaultQuality),
// then the final model is trained on all rows.
import { seededRandom } from '../../core/random.js';
import { featurize, STAT_FEATURES, type SparseVector } from './features.js';
import { featurizeV2, STATS_V2 } from './features-v2.js';
import { calibrateThreshold, DEFAULT_DOMAIN_OPTIONS, DomainCheck, fitCentroids, type Domain, type DomainOptions } from './domain.js';
import { fitLogistic, shuffle, type LogisticOptions } from './logistic.js';
import { LearnedRouter, MODEL_FORMAT, type RouterModel } from './model.js';
import { fitV2, type V2Options } from './train-v2.js';
import type { OutcomeDataset } from './data.js';

export { shuffle } from './logistic.js';

export interface TrainOptions extends Partial<V2Options> {
  /** Model file version to produce (default 2). */
  version?: 1 | 2;
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
  /** Version-1 decision rule stored in the model (default 'relative', see model.ts). */
  rule?: 'absolute' | 'relative';
  /** Out-of-domain detector options (./domain.ts); false = none. */
  domain?: Partial<DomainOptions> | false;
}

export const DEFAULT_DIM = 1 << 15;

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

export function meanCosts(ds: OutcomeDataset): number[] {
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

export const KNOB_GRID: readonly number[] = Array.from({ length: 21 }, (_, i) => Math.round(i * 5) / 100);
/** The evaluation curve's knobs: twice as fine, so operating points between grid knobs show. */
export const EVAL_KNOBS: readonly number[] = Array.from({ length: 41 }, (_, i) => Math.round(i * 25) / 1000);

/**
 * The default knob: on validation rows, the cheapest grid knob whose accuracy is within one point of
 * the most accurate single model's; if no knob gets there, the knob with the highest accuracy.
 */
export function chooseDefaultQuality(router: LearnedRouter, val: OutcomeDataset): number {
  const names = router.candidateNames;
  const col = names.map((n) => val.models.indexOf(n));
  const est = val.rows.map((r) => router.estimate(r.prompt));
  const acc = (pick: (r: number) => number): number => val.rows.reduce((s, r, i) => s + (r.scores[col[pick(i)] ?? -1] ?? 0), 0) / Math.max(1, val.rows.length);
  const bestSingle = Math.max(...names.map((_, m) => acc(() => m)));
  let fallback = { knob: 1, acc: -1 };
  for (const knob of KNOB_GRID) {
    const a = acc((i) => router.choose(est[i]?.probabilities ?? [], knob, est[i]?.costs).index);
    if (a >= bestSingle - 0.01) return knob;
    if (a > fallback.acc) fallback = { knob, acc: a };
  }
  return fallback.knob;
}

interface Fitted {
  build: (defaultQuality: number) => RouterModel;
}

function fit(ds: OutcomeDataset, xs: readonly SparseVector[], opts: TrainOptions, o: LogisticOptions & { dim: number }, tick: () => void): Fitted {
  const training = { rows: ds.rows.length, sources: opts.sources ?? [], ...(opts.note ? { note: opts.note } : {}) };
  if ((opts.version ?? 2) === 2) {
    const body = fitV2(ds, xs, { ...o, ...opts }, tick);
    return { build: (defaultQuality) => ({ ...body, defaultQuality, training }) };
  }
  const costs = meanCosts(ds);
  const weights = ds.models.map((_, m) =>
    fitLogistic(
      xs,
      ds.rows.map((r) => r.scores[m] ?? null),
      o.dim,
      o,
      tick,
    ),
  );
  return {
    build: (defaultQuality) => ({
      format: MODEL_FORMAT,
      version: 1,
      dim: o.dim,
      defaultQuality,
      rule: opts.rule ?? 'relative',
      candidates: ds.models.map((name, m) => ({ name, costPerCall: costs[m] ?? 0, weights: Array.from(weights[m] ?? []) })),
      training,
    }),
  };
}

export function trainRouter(ds: OutcomeDataset, opts: TrainOptions = {}): RouterModel {
  const dim = opts.dim ?? DEFAULT_DIM;
  const o = { dim, epochs: opts.epochs ?? 8, learningRate: opts.learningRate ?? 0.5, l2: opts.l2 ?? 1e-5, seed: opts.seed ?? 1 };
  const withDefault = opts.defaultQuality === undefined;
  const total = (ds.models.length * o.epochs + 1) * (withDefault ? 1.8 : 1) + 1;
  let done = 0;
  const tick = (): void => {
    done++;
    opts.onProgress?.(Math.min(done, total), total);
  };
  const featurizeRow = (opts.version ?? 2) === 2 ? featurizeV2 : featurize;
  const xs = ds.rows.map((r) => featurizeRow(r.prompt, dim));
  tick();
  let q = opts.defaultQuality ?? 0.5;
  const needSplit = withDefault || opts.domain !== false;
  const { train, test } = needSplit
    ? stratifiedSplit(
        ds.rows.map((r) => r.group),
        0.2,
        o.seed + 7,
      )
    : { train: [], test: [] };
  const domain =
    opts.domain === false
      ? undefined
      : fitDomain(xs, train, test, { statSlots: (opts.version ?? 2) === 2 ? STATS_V2 : STAT_FEATURES, dim, seed: o.seed, ...opts.domain });
  if (withDefault) {
    const part = fit(
      subset(ds, train),
      train.map((i) => xs[i] as SparseVector),
      opts,
      o,
      () => {
        done += 0.8;
        opts.onProgress?.(Math.min(done, total), total);
      },
    );
    q = chooseDefaultQuality(new LearnedRouter(part.build(0.5)), subset(ds, test));
  }
  const model = fit(ds, xs, opts, o, tick).build(q);
  opts.onProgress?.(total, total);
  return domain ? { ...model, domain } : model;
}

/**
 * Centroids from the training part, threshold from the held-out part (in domain by construction);
 * the centroids are not refitted on all rows, so the calibrated false-alarm rate stays true.
 */
function fitDomain(
  xs: readonly SparseVector[],
  train: readonly number[],
  test: readonly number[],
  o: Partial<DomainOptions> & { statSlots: number; dim: number; seed: number },
): Domain | undefined {
  if (train.length === 0 || test.length === 0) return undefined;
  const opts = { ...DEFAULT_DOMAIN_OPTIONS, ...o };
  const centroids = fitCentroids(
    train.map((i) => xs[i] as SparseVector),
    o.statSlots,
    o.dim,
    opts,
  );
  const check = new DomainCheck({ statSlots: o.statSlots, centroids }, o.dim);
  const threshold = calibrateThreshold(
    test.map((i) => check.familiarity(xs[i] as SparseVector)),
    opts.falseAlarmRate,
  );
  return { statSlots: o.statSlots, centroids, threshold, falseAlarmRate: opts.falseAlarmRate };
}
