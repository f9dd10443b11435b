// The latency-cost report's sample and percentiles, the same on every backend.
import type { Percentiles } from './dashboard-types.js';

/** Ids read together in a percentile sample: one index descent and mostly one page for each run. */
const SAMPLE_RUN = 4;

/**
 * A sample of at most `maxSample` of `span` (> maxSample) consecutive ids: runs of `run` ids, one
 * starting every `stride` ids. Runs of 4 rather than single ids make the 20k-row sample of a 30-day
 * range on PostgreSQL 6× faster (a fifth of the index descents and pages); a run is 4 requests
 * that arrived together, so the sample has 5,000 independent places instead of 20,000.
 */
export function sampleRuns(span: number, maxSample: number): { stride: number; run: number } {
  const run = Math.min(SAMPLE_RUN, maxSample);
  return { stride: Math.ceil(span / Math.floor(maxSample / run)), run };
}

/** Nearest-rank percentiles of a non-empty list. */
export function percentilesOf(values: number[]): Percentiles {
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
  return { p50: at(50), p90: at(90), p99: at(99), max: sorted[sorted.length - 1] ?? 0 };
}
