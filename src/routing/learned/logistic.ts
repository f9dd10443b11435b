// L2-regularised logistic regression by SGD over sparse features (seeded shuffles, learning rate
// decaying per epoch). Rows with a missing label are skipped; fractional labels are soft labels.
import { seededRandom } from '../../core/random.js';
import type { SparseVector } from './features.js';

export interface LogisticOptions {
  epochs: number;
  learningRate: number;
  l2: number;
  seed: number;
}

export function shuffle<T>(xs: T[], rand: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = xs[i] as T;
    xs[i] = xs[j] as T;
    xs[j] = t;
  }
  return xs;
}

export function fitLogistic(
  xs: readonly SparseVector[],
  ys: readonly (number | null)[],
  dim: number,
  o: LogisticOptions,
  tick: () => void = () => {},
): Float64Array {
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
