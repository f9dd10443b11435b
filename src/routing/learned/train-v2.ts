// The version-2 model's parts, fitted on featurised rows: per candidate a logistic model of a good
// answer and a cost regression, plus the prompt clusters' outcome rates shared by all candidates.
import type { OutcomeDataset } from './data.js';
import type { SparseVector } from './features.js';
import { STATS_V2 } from './features-v2.js';
import { DEFAULT_CLUSTER_OPTIONS, trainClusters, type ClusterOptions } from './clusters.js';
import { fitCostModel } from './cost-model.js';
import { fitLogistic, type LogisticOptions } from './logistic.js';
import { MODEL_FORMAT, type RouterModelV2 } from './model.js';

export interface V2Options {
  /** Weight of the cluster estimate in P (default 0.5). */
  blend: number;
  clusters: Partial<ClusterOptions>;
  /** Rows used to place the cluster centroids (all rows are then counted); bounds training time. */
  clusterRows: number;
}

export const DEFAULT_BLEND = 0.5;
const DEFAULT_CLUSTER_ROWS = 4000;

export function fitV2(
  ds: OutcomeDataset,
  xs: readonly SparseVector[],
  o: LogisticOptions & { dim: number } & Partial<V2Options>,
  tick: () => void,
): Omit<RouterModelV2, 'defaultQuality' | 'training'> {
  const scores = ds.rows.map((r) => r.scores);
  const clusterOpts = { ...DEFAULT_CLUSTER_OPTIONS, seed: o.seed, ...o.clusters };
  const clusters = trainClusters(xs, scores, o.dim, clusterOpts, o.clusterRows ?? DEFAULT_CLUSTER_ROWS);
  const candidates = ds.models.map((name, m) => {
    const weights = fitLogistic(
      xs,
      scores.map((s) => s[m] ?? null),
      o.dim,
      o,
      tick,
    );
    const costs = ds.rows.map((r) => r.costs[m] ?? null);
    const known = costs.filter((c): c is number => c !== null);
    const costPerCall = known.length ? known.reduce((a, b) => a + b, 0) / known.length : 0;
    return { name, costPerCall, weights: Array.from(weights), cost: fitCostModel(xs, costs, STATS_V2) };
  });
  return { format: MODEL_FORMAT, version: 2, features: 'v2', dim: o.dim, rule: 'utility', blend: o.blend ?? DEFAULT_BLEND, candidates, clusters };
}
