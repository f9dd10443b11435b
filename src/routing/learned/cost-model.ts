// Per-prompt cost of each candidate, predicted from the dense prompt statistics of features-v2:
// ridge regression of log(cost), times a smearing factor so predicted costs average to the observed
// mean. Output length drives cost as much as input (a code request costs far more than a
// one-letter answer), which the task-shape statistics capture and a per-model mean cannot.
import type { SparseVector } from './features.js';

export interface CostModel {
  /** Regression weights over the first `weights.length` (dense) feature slots. */
  weights: number[];
  /** exp(prediction) × smear = USD per call. */
  smear: number;
}

const RIDGE = 1e-3;

function dense(x: SparseVector, n: number): number[] {
  const out = new Array<number>(n).fill(0);
  for (let k = 0; k < x.idx.length; k++) {
    const i = x.idx[k] as number;
    if (i < n) out[i] = x.val[k] as number;
  }
  return out;
}

/** Solve A w = b in place (Gaussian elimination, partial pivoting); A is n×n. */
export function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]?.[col] ?? 0) > Math.abs(a[piv]?.[col] ?? 0)) piv = r;
    [a[col], a[piv]] = [a[piv] as number[], a[col] as number[]];
    [b[col], b[piv]] = [b[piv] as number, b[col] as number];
    const p = a[col]?.[col] ?? 0;
    if (Math.abs(p) < 1e-12) continue;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = (a[r]?.[col] ?? 0) / p;
      if (f === 0) continue;
      for (let c = col; c < n; c++) (a[r] as number[])[c] = (a[r]?.[c] ?? 0) - f * (a[col]?.[c] ?? 0);
      b[r] = (b[r] ?? 0) - f * (b[col] ?? 0);
    }
  }
  return b.map((v, i) => {
    const p = a[i]?.[i] ?? 0;
    return Math.abs(p) < 1e-12 ? 0 : v / p;
  });
}

/** `costs[i]`: USD of row i, null when missing. Falls back to the mean when there is no spread. */
export function fitCostModel(xs: readonly SparseVector[], costs: readonly (number | null)[], nDense: number): CostModel {
  const rows = xs.map((x, i) => ({ x: dense(x, nDense), c: costs[i] })).filter((r): r is { x: number[]; c: number } => typeof r.c === 'number' && r.c > 0);
  if (rows.length === 0) return { weights: new Array<number>(nDense).fill(0), smear: 0 };
  const a = Array.from({ length: nDense }, (_, i) => Array.from({ length: nDense }, (_, j) => (i === j && i > 0 ? RIDGE * rows.length : 0)));
  const b = new Array<number>(nDense).fill(0);
  for (const { x, c } of rows) {
    const y = Math.log(c);
    for (let i = 0; i < nDense; i++) {
      const xi = x[i] as number;
      if (xi === 0) continue;
      b[i] = (b[i] as number) + xi * y;
      const ai = a[i] as number[];
      for (let j = 0; j < nDense; j++) ai[j] = (ai[j] as number) + xi * (x[j] as number);
    }
  }
  const weights = solve(a, b);
  const linear = (x: number[]): number => x.reduce((s, v, i) => s + v * (weights[i] ?? 0), 0);
  const observed = rows.reduce((s, r) => s + r.c, 0);
  const predicted = rows.reduce((s, r) => s + Math.exp(linear(r.x)), 0);
  return { weights, smear: predicted > 0 ? observed / predicted : 0 };
}

export function predictCost(model: CostModel, x: SparseVector): number {
  let z = 0;
  for (let k = 0; k < x.idx.length; k++) {
    const i = x.idx[k] as number;
    if (i < model.weights.length) z += (model.weights[i] as number) * (x.val[k] as number);
  }
  return Math.exp(Math.min(50, z)) * model.smear;
}
