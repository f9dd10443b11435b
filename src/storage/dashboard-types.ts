// The read-only queries behind the dashboard's admin endpoints (src/server/admin-dashboard.ts).
// One tagged union, answered by DurableStore.dashboard(): a new query is a new variant here and a
// new case in each store, and the worker protocol carries it unchanged.
//
// Ranges: epoch ms, `from` inclusive, `to` exclusive. Queries answered from the hourly rollup
// (timeseries, routing, cache) widen the range outward to whole UTC hours.
import type { LedgerRow } from './types.js';

export interface TimeRange {
  from?: number;
  to?: number;
}

export type SeriesDim = 'technique' | 'model' | 'key' | 'tag';

export interface TimeseriesQuery extends TimeRange {
  kind: 'timeseries';
  bucket: 'hour' | 'day';
  groupBy: SeriesDim;
  /**
   * Keep the `top` groups of the range by cost (then by key), and fold the rest into one series,
   * OTHER_SERIES, summed exactly. Absent: every group.
   */
  top?: number;
}

/** The series that the groups beyond a timeseries query's `top` are summed into. */
export const OTHER_SERIES = '(other)';
/** At most this many groups are kept one by one (`top`). */
export const MAX_TOP = 1_000;

/** Checks a query's `top` (callers may send anything). */
export function checkTop(top: unknown): void {
  if (top !== undefined && (typeof top !== 'number' || !Number.isSafeInteger(top) || top < 1 || top > MAX_TOP)) {
    throw new Error(`costwise: top must be an integer from 1 to ${MAX_TOP}, got ${JSON.stringify(top)}`);
  }
}

/** One (bucket, group) cell of a time series. Money exact (bigint pico-dollars). */
export interface SeriesCell {
  /** Bucket start, epoch ms (UTC hour or day). */
  t: number;
  key: string;
  requests: number;
  costPico: bigint;
  baselinePico: bigint;
  promptCachePico: bigint;
}

export type StatusFilter = 'ok' | 'error' | number;

export interface RequestSearchQuery extends TimeRange {
  kind: 'requests';
  limit: number;
  offset: number;
  /** Served or requested model. */
  model?: string;
  status?: StatusFilter;
  /** A technique, or 'none' for requests served as asked. */
  technique?: string;
  /** hit-exact | hit-semantic | miss, or 'none' when the cache was not consulted. */
  cache?: string;
  /** A request-id prefix, or text in the route (case-insensitive). */
  text?: string;
  /** Leave out billed sub-calls (rows with a parentId). */
  topLevel?: boolean;
}

export interface RequestDetailQuery {
  kind: 'request';
  requestId: string;
}

export interface RequestDetail {
  row: LedgerRow;
  /** Billed sub-calls made for this request (a cascade's rejected steps, judge calls), oldest first. */
  subCalls: LedgerRow[];
}

export interface PercentileQuery extends TimeRange {
  kind: 'percentiles';
  /** Largest number of rows read; a longer range is sampled evenly (default 20,000). */
  maxSample?: number;
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface PercentileGroup {
  /** Served model, or '(all)'. */
  model: string;
  /** Rows in the sample. */
  requests: number;
  costPico: Percentiles;
  latencyMs: Percentiles;
}

export interface PercentileReport {
  /** Top-level requests the sample was drawn from (an estimate when sampled). */
  population: number;
  sampled: boolean;
  groups: PercentileGroup[];
}

export interface RoutingQuery extends TimeRange {
  kind: 'routing';
}

export interface CountByKey {
  key: string;
  requests: number;
  costPico: bigint;
}

export interface RoutingStats {
  byModel: CountByKey[];
  byTechnique: CountByKey[];
  /** Top-level requests whose route records a fallback. */
  fallbacks: number;
  /** Cascade requests that escalated past their first step. */
  escalations: number;
}

export interface CacheCountsQuery extends TimeRange {
  kind: 'cacheCounts';
}

export interface CacheCounts {
  hitExact: number;
  hitSemantic: number;
  miss: number;
}

export type DashboardQuery = TimeseriesQuery | RequestSearchQuery | RequestDetailQuery | PercentileQuery | RoutingQuery | CacheCountsQuery;

export interface DashboardResults {
  timeseries: SeriesCell[];
  requests: LedgerRow[];
  request: RequestDetail | null;
  percentiles: PercentileReport;
  routing: RoutingStats;
  cacheCounts: CacheCounts;
}

export type DashboardResult<Q extends DashboardQuery> = DashboardResults[Q['kind']];
export type DashboardValue = DashboardResults[keyof DashboardResults];
