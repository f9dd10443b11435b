// The dashboard's read queries on PostgreSQL (types: dashboard-types.ts), answer for answer the same
// as SQLite's (sqlite-dashboard.ts) on the same rows. What keeps each one cheap:
// - timeseries (series.ts), routing mix: the rollups, hours × groups rows (days × groups for whole days);
// - request search: the (ts, id) index walked newest first, stopping at `limit` matches; the cache
//   filter uses ledger_cache, a request-id prefix the request_id unique index (COLLATE "C", so a
//   range on it is a prefix);
// - one request: the request_id index, its sub-calls through ledger_parent;
// - percentiles: at most `maxSample` rows, in runs of a few ids spread evenly over the range;
// - cache hit, fallback and escalation counts: counts_hourly, hours × 5 rows.
import type { Sql } from 'postgres';
import { percentilesOf, sampleRuns } from '../dashboard-sample.js';
import {
  checkTop,
  type CacheCounts,
  type CountByKey,
  type DashboardQuery,
  type DashboardResult,
  type DashboardValue,
  type PercentileQuery,
  type PercentileReport,
  type RequestDetail,
  type RequestSearchQuery,
  type RoutingStats,
  type SeriesCell,
  type TimeRange,
  type TimeseriesQuery,
} from '../dashboard-types.js';
import type { LedgerRow } from '../types.js';
import { COLUMNS, HOUR_MS, type Tables } from './schema.js';
import { big, decode, type PgRow } from './rows.js';
import { rollupBounds, rollupCells } from './rollup.js';
import { seriesStatement } from './series.js';

const DEFAULT_SAMPLE = 20_000;
const MAX_SAMPLE = 200_000;
const SELECT_ROW = COLUMNS.join(', ');

type Run = <T>(text: string, params: unknown[]) => Promise<T[]>;
type Thunk<T> = () => Promise<T>;

/** Like spendQuery: validates a query at once (throwing on a bad one) and hands back the thunk that runs it. */
export function dashboardQuery(sql: Sql, t: Tables): <Q extends DashboardQuery>(query: Q) => Thunk<DashboardResult<Q>> {
  const run: Run = (text, params) => sql.unsafe(text, params as never[], { prepare: true }) as unknown as Promise<never[]>;
  // Planned for each call's bounds: after five calls a prepared statement may switch to a generic
  // plan, and for the top series that is a nested loop over every cell (7 days by key: 260 ms, not 65).
  const runPlanned: Run = (text, params) => sql.unsafe(text, params as never[], { prepare: false }) as unknown as Promise<never[]>;
  const pick = (query: DashboardQuery): Thunk<DashboardValue> => {
    switch (query.kind) {
      case 'timeseries':
        return timeseries(runPlanned, t, query);
      case 'requests':
        return search(run, t, query);
      case 'request':
        return detail(run, t, query.requestId);
      case 'percentiles':
        return percentiles(run, t, query);
      case 'routing':
        return routing(run, t, query);
      case 'cacheCounts':
        return cacheCounts(run, t, query);
      default: {
        const unknown: never = query;
        throw new Error(`costwise: unknown dashboard query ${JSON.stringify(unknown)}`);
      }
    }
  };
  return <Q extends DashboardQuery>(query: Q) => pick(query) as Thunk<DashboardResult<Q>>;
}

/** [from, to) checked and widened outward to whole hours (as sqlite-dashboard.ts). */
function hourRange(range: TimeRange): { hStart: number; hEnd: number; from: number; to: number } {
  for (const [name, value] of [
    ['from', range.from],
    ['to', range.to],
  ] as const) {
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
      throw new Error(`costwise: ${name} must be a finite number of epoch ms, got ${String(value)}`);
    }
  }
  const hStart = Math.floor(Math.max(range.from ?? 0, 0) / HOUR_MS);
  const hEnd = Math.ceil(Math.min(range.to ?? Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER) / HOUR_MS);
  return { hStart, hEnd, from: hStart * HOUR_MS, to: Math.min(hEnd * HOUR_MS, Number.MAX_SAFE_INTEGER) };
}

/** An epoch-ms bound as an int8 parameter: ts is an integer, so ts >= x ⟺ ts >= ⌈x⌉ and ts < x ⟺ ts < ⌈x⌉. */
const bound = (ms: number): number => Math.ceil(ms);

type MoneyRow = { requests: string | null; cost_pico: string | null; baseline_pico: string | null; prompt_cache_pico: string | null };

function timeseries(run: Run, t: Tables, query: TimeseriesQuery): Thunk<SeriesCell[]> {
  const { bucket, groupBy }: { bucket: unknown; groupBy: unknown } = query; // checked: callers may send anything
  if (bucket !== 'hour' && bucket !== 'day') throw new Error(`costwise: unknown bucket ${String(bucket)}`);
  if (!['technique', 'model', 'key', 'tag'].includes(groupBy as string)) throw new Error(`costwise: unknown series grouping ${String(groupBy)}`);
  checkTop(query.top);
  const { text, params } = seriesStatement(t, query, hourRange(query));
  return async () =>
    (await run<MoneyRow & { hour: string; key: string }>(text, params)).map((r) => ({
      t: Number(r.hour) * HOUR_MS,
      key: r.key,
      requests: Number(r.requests ?? 0),
      costPico: big(r.cost_pico),
      baselinePico: big(r.baseline_pico),
      promptCachePico: big(r.prompt_cache_pico),
    }));
}

/** `%`, `_` and `\` taken literally in a LIKE pattern (ESCAPE '\'). */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function search(run: Run, t: Tables, q: RequestSearchQuery): Thunk<LedgerRow[]> {
  if (!Number.isSafeInteger(q.limit) || q.limit < 0) throw new Error(`costwise: invalid limit ${q.limit}`);
  if (!Number.isSafeInteger(q.offset) || q.offset < 0) throw new Error(`costwise: invalid offset ${q.offset}`);
  hourRange(q); // validates the bounds
  const where: string[] = [];
  const params: unknown[] = [q.limit, q.offset];
  const param = (value: unknown, type: string): string => {
    params.push(value);
    return `$${params.length}::${type}`;
  };
  if (q.from !== undefined) where.push(`ts >= ${param(bound(q.from), 'int8')}`);
  if (q.to !== undefined) where.push(`ts < ${param(bound(q.to), 'int8')}`);
  if (q.model !== undefined) {
    const model = param(q.model, 'text');
    where.push(`(served_model = ${model} OR requested_model = ${model})`);
  }
  if (q.status === 'ok') where.push('status < 400');
  else if (q.status === 'error') where.push('status >= 400');
  else if (typeof q.status === 'number') where.push(`status = ${param(q.status, 'float8')}`);
  if (q.technique === 'none') where.push('technique IS NULL');
  else if (q.technique !== undefined) where.push(`technique = ${param(q.technique, 'text')}`);
  if (q.cache === 'none') where.push('cache IS NULL');
  else if (q.cache !== undefined) where.push(`cache = ${param(q.cache, 'text')}`);
  if (q.topLevel === true) where.push('parent_id IS NULL');
  const select = (extra: string[], extraParams: unknown[]) => {
    const all = [...where, ...extra];
    return {
      text: `SELECT ${SELECT_ROW} FROM ${t.ledger} ${all.length ? `WHERE ${all.join(' AND ')}` : ''}
        ORDER BY ts DESC, id DESC LIMIT $1::int8 OFFSET $2::int8`,
      params: [...params, ...extraParams],
    };
  };
  const rows = async (query: { text: string; params: unknown[] }) => (await run<PgRow>(query.text, query.params)).map(decode);
  if (q.text === undefined || q.text === '') {
    const all = select([], []);
    return () => rows(all);
  }
  // Text is a request-id prefix when any id starts with it, else a substring of the route, compared
  // ignoring ASCII case like SQLite's LIKE (ILIKE under COLLATE "C" folds only ASCII).
  const n = params.length;
  const byId = select([`request_id >= $${n + 1}::text AND request_id < $${n + 2}::text`], [q.text, `${q.text}\u{10ffff}`]);
  const byRoute = select([`route ILIKE $${n + 1}::text ESCAPE '\\'`], [`%${likeLiteral(q.text)}%`]);
  const probe = `SELECT EXISTS (SELECT 1 FROM ${t.ledger} WHERE request_id >= $1::text AND request_id < $2::text) AS found`;
  return async () => {
    const [hit] = await run<{ found: boolean }>(probe, [q.text, `${q.text}\u{10ffff}`]);
    return rows(hit?.found === true ? byId : byRoute);
  };
}

function detail(run: Run, t: Tables, requestId: string): Thunk<RequestDetail | null> {
  if (typeof requestId !== 'string' || requestId === '') throw new Error('costwise: a request id is required');
  return async () => {
    const [row] = await run<PgRow>(`SELECT ${SELECT_ROW} FROM ${t.ledger} WHERE request_id = $1::text`, [requestId]);
    if (row === undefined) return null;
    const subCalls = await run<PgRow>(`SELECT ${SELECT_ROW} FROM ${t.ledger} WHERE parent_id = $1::text ORDER BY ts, id`, [requestId]);
    return { row: decode(row), subCalls: subCalls.map(decode) };
  };
}

type SampleRow = { served_model: string; cost_pico: string; latency_ms: number };

function percentiles(run: Run, t: Tables, q: PercentileQuery): Thunk<PercentileReport> {
  const maxSample = Math.floor(q.maxSample ?? DEFAULT_SAMPLE);
  if (!Number.isSafeInteger(maxSample) || maxSample < 1 || maxSample > MAX_SAMPLE) throw new Error(`costwise: maxSample must be 1..${MAX_SAMPLE}`);
  hourRange(q);
  const from = bound(Math.max(q.from ?? 0, 0));
  const to = bound(Math.min(q.to ?? Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
  return async () => {
    // The ids of the range's first and last rows bound it; the sample reads every `stride`-th id.
    const [ends] = await run<{ first: string | null; last: string | null }>(
      `SELECT (SELECT id FROM ${t.ledger} WHERE ts >= $1::int8 AND ts < $2::int8 ORDER BY ts, id LIMIT 1) AS first,
              (SELECT id FROM ${t.ledger} WHERE ts >= $1::int8 AND ts < $2::int8 ORDER BY ts DESC, id DESC LIMIT 1) AS last`,
      [from, to],
    );
    if (ends?.first == null || ends.last == null) return { population: 0, sampled: false, groups: [] };
    const lo = Math.min(Number(ends.first), Number(ends.last));
    const hi = Math.max(Number(ends.first), Number(ends.last));
    if (hi - lo + 1 <= maxSample) {
      const rows = await run<SampleRow>(
        `SELECT served_model, cost_pico, latency_ms FROM ${t.ledger} WHERE ts >= $1::int8 AND ts < $2::int8 AND parent_id IS NULL`,
        [from, to],
      );
      return { population: rows.length, sampled: false, groups: groupPercentiles(rows) };
    }
    const { stride, run: length } = sampleRuns(hi - lo + 1, maxSample);
    // A run of ids is one index descent (LIMIT keeps it a nested loop whatever the estimates).
    const rows = await run<SampleRow>(
      `SELECT l.served_model, l.cost_pico, l.latency_ms FROM generate_series($1::int8, $2::int8, $3::int8) AS pick(id)
         CROSS JOIN LATERAL (SELECT served_model, cost_pico, latency_ms, ts, parent_id FROM ${t.ledger}
           WHERE id >= pick.id AND id < pick.id + $4::int8 ORDER BY id LIMIT $4::int8) l
       WHERE l.ts >= $5::int8 AND l.ts < $6::int8 AND l.parent_id IS NULL`,
      [lo, hi, stride, length, from, to],
    );
    return { population: Math.round((rows.length * stride) / length), sampled: true, groups: groupPercentiles(rows) };
  };
}

function groupPercentiles(rows: readonly SampleRow[]): PercentileReport['groups'] {
  const byModel = new Map<string, SampleRow[]>();
  for (const r of rows) {
    const list = byModel.get(r.served_model);
    if (list === undefined) byModel.set(r.served_model, [r]);
    else list.push(r);
  }
  const group = (model: string, list: readonly SampleRow[]) => ({
    model,
    requests: list.length,
    costPico: percentilesOf(list.map((r) => Number(r.cost_pico))),
    latencyMs: percentilesOf(list.map((r) => r.latency_ms)),
  });
  if (rows.length === 0) return [];
  const models = [...byModel].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]));
  return [group('(all)', rows), ...models.map(([model, list]) => group(model, list))];
}

async function rollupTotals(run: Run, t: Tables, dim: 'model' | 'technique', hStart: number, hEnd: number): Promise<CountByKey[]> {
  const rows = await run<{ key: string; requests: string | null; cost_pico: string | null }>(
    `SELECT key, sum(requests)::text AS requests, sum(cost_pico)::text AS cost_pico
     FROM (${rollupCells(t, '$1', 2, { daily: 'key, requests, cost_pico', hourly: 'key, requests, cost_pico', blocks: true })}) c GROUP BY key`,
    [dim, ...rollupBounds(hStart, hEnd)],
  );
  return rows
    .map((r) => ({ key: r.key, requests: Number(r.requests ?? 0), costPico: big(r.cost_pico) }))
    .sort((a, b) => b.requests - a.requests || a.key.localeCompare(b.key));
}

/** Rows counted in counts_hourly (schema.ts, migration 3) under `what` in the whole hours [hStart, hEnd). */
const counted = (t: Tables, what: string) => `(SELECT coalesce(sum(rows), 0) FROM ${t.counts} WHERE what = '${what}' AND hour >= $1::int8 AND hour < $2::int8)`;

function routing(run: Run, t: Tables, q: TimeRange): Thunk<RoutingStats> {
  const { hStart, hEnd } = hourRange(q);
  return async () => {
    const [byModel, byTechnique, [counts]] = await Promise.all([
      rollupTotals(run, t, 'model', hStart, hEnd),
      rollupTotals(run, t, 'technique', hStart, hEnd),
      run<{ fallbacks: string; escalations: string }>(`SELECT ${counted(t, 'fallback')} AS fallbacks, ${counted(t, 'escalated')} AS escalations`, [
        hStart,
        hEnd,
      ]),
    ]);
    return { byModel, byTechnique, fallbacks: Number(counts?.fallbacks ?? 0), escalations: Number(counts?.escalations ?? 0) };
  };
}

function cacheCounts(run: Run, t: Tables, q: TimeRange): Thunk<CacheCounts> {
  const { hStart, hEnd } = hourRange(q);
  return async () => {
    const [r] = await run<{ exact: string; semantic: string; miss: string }>(
      `SELECT ${counted(t, 'cache:hit-exact')} AS exact, ${counted(t, 'cache:hit-semantic')} AS semantic, ${counted(t, 'cache:miss')} AS miss`,
      [hStart, hEnd],
    );
    return { hitExact: Number(r?.exact ?? 0), hitSemantic: Number(r?.semantic ?? 0), miss: Number(r?.miss ?? 0) };
  };
}
