// The dashboard's read queries on SQLite (types: dashboard-types.ts). What keeps each one cheap on a
// ledger of millions of rows:
// - timeseries, routing mix: the hourly rollup (spend_hourly), hours × groups rows;
// - request search: the ts index walked newest first, stopping at `limit` matches (a filter that
//   matches almost nothing reads the whole range); the cache filter walks ledger_cache instead,
//   a request-id prefix the request_id index;
// - one request: the request_id unique index, its sub-calls through ledger_parent;
// - percentiles: at most `maxSample` rows, in runs of a few ids spread evenly over the range;
// - cache hit counts, fallback and escalation counts: partial indexes (migration 5).
import type Database from 'better-sqlite3';
import { COLUMNS, HOUR_MS, SUMS } from './sqlite-schema.js';
import { percentilesOf, sampleRuns } from './dashboard-sample.js';
import { decode, type DbRow } from './sqlite-rows.js';
import {
  checkTop,
  OTHER_SERIES,
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
} from './dashboard-types.js';
import type { LedgerRow } from './types.js';

const DEFAULT_SAMPLE = 20_000;
const MAX_SAMPLE = 200_000;
/** Up to this many ids sharing a searched prefix are read by id and sorted; more, in time order. */
const FEW_IDS = 10_000;

type Sql = Record<string, number | string | null>;
type Thunk<T> = () => T;

/**
 * Dashboard queries on one connection. Like spendQueries, the returned function validates a query
 * at once (throwing on a bad one) and hands back the thunk that runs it.
 */
export function dashboardQueries(db: Database.Database): <Q extends DashboardQuery>(query: Q) => Thunk<DashboardResult<Q>> {
  const cache = new Map<string, Database.Statement>();
  const stmt = (sql: string, big = false): Database.Statement => {
    const id = `${big ? 'big' : 'num'}:${sql}`;
    let s = cache.get(id);
    if (s === undefined) {
      s = db.prepare(sql);
      if (big) s.safeIntegers(true);
      cache.set(id, s);
    }
    return s;
  };
  const run = (query: DashboardQuery): Thunk<DashboardValue> => {
    switch (query.kind) {
      case 'timeseries':
        return timeseries(stmt, query);
      case 'requests':
        return search(stmt, query);
      case 'request':
        return detail(stmt, query.requestId);
      case 'percentiles':
        return percentiles(stmt, query);
      case 'routing':
        return routing(stmt, query);
      case 'cacheCounts':
        return cacheCounts(stmt, query);
      default: {
        const unknown: never = query;
        throw new Error(`costwise: unknown dashboard query ${JSON.stringify(unknown)}`);
      }
    }
  };
  return <Q extends DashboardQuery>(query: Q) => run(query) as Thunk<DashboardResult<Q>>;
}

type Prepare = (sql: string, big?: boolean) => Database.Statement;

/** [from, to) checked and widened outward to whole hours. */
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

const pico = (micro: bigint | null, rem: bigint | null): bigint => (micro ?? 0n) * 1_000_000n + (rem ?? 0n);

type RollupRow = { key: string | bigint; requests: bigint | null } & Record<
  'cost_micro' | 'cost_rem' | 'baseline_micro' | 'baseline_rem' | 'prompt_cache_micro' | 'prompt_cache_rem',
  bigint | null
>;

function timeseries(prepare: Prepare, query: TimeseriesQuery): Thunk<SeriesCell[]> {
  const bucket: unknown = query.bucket; // queries come from callers: checked, not trusted
  if (bucket !== 'hour' && bucket !== 'day') throw new Error(`costwise: unknown bucket ${String(bucket)}`);
  const groupBy: unknown = query.groupBy;
  if (!['technique', 'model', 'key', 'tag'].includes(query.groupBy)) throw new Error(`costwise: unknown series grouping ${String(groupBy)}`);
  checkTop(query.top);
  const { hStart, hEnd } = hourRange(query);
  const hours = query.bucket === 'day' ? 24 : 1;
  const money = SUMS.filter((c) => c !== 'requests' && !c.endsWith('_tokens'));
  const sums = `sum(requests) AS requests, ${money.map((c) => `sum(${c}) AS ${c}`).join(', ')}`;
  const where = 'dim = @dim AND hour >= @hStart AND hour < @hEnd';
  // With `top`, the rest are summed as OTHER_SERIES. Ranked by exact cost: Σmicro + ⌊Σrem / 10⁶⌋,
  // then Σrem mod 10⁶ (never past int64, as Σmicro · 10⁶ could be).
  const sql =
    query.top === undefined
      ? `SELECT (hour / ${hours}) * ${hours} AS hour, key, ${sums} FROM spend_hourly WHERE ${where} GROUP BY 1, 2 ORDER BY 1, 2`
      : `WITH top AS (SELECT key FROM spend_hourly WHERE ${where} GROUP BY key
           ORDER BY sum(cost_micro) + sum(cost_rem) / 1000000 DESC, sum(cost_rem) % 1000000 DESC, key LIMIT @top)
         SELECT (hour / ${hours}) * ${hours} AS hour, CASE WHEN key IN (SELECT key FROM top) THEN key ELSE '${OTHER_SERIES}' END AS key, ${sums}
         FROM spend_hourly WHERE ${where} GROUP BY 1, 2 ORDER BY 1, 2`;
  const params = { dim: query.groupBy, hStart, hEnd, ...(query.top === undefined ? {} : { top: query.top }) };
  return () =>
    (prepare(sql, true).all(params) as Array<RollupRow & { hour: bigint }>).map((r) => ({
      t: Number(r.hour) * HOUR_MS,
      key: String(r.key),
      requests: Number(r.requests ?? 0n),
      costPico: pico(r.cost_micro, r.cost_rem),
      baselinePico: pico(r.baseline_micro, r.baseline_rem),
      promptCachePico: pico(r.prompt_cache_micro, r.prompt_cache_rem),
    }));
}

/** `%`, `_` and `\` taken literally in a LIKE pattern (ESCAPE '\'). */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function search(prepare: Prepare, q: RequestSearchQuery): Thunk<LedgerRow[]> {
  if (!Number.isSafeInteger(q.limit) || q.limit < 0) throw new Error(`costwise: invalid limit ${q.limit}`);
  if (!Number.isSafeInteger(q.offset) || q.offset < 0) throw new Error(`costwise: invalid offset ${q.offset}`);
  hourRange(q); // validates the bounds
  const where: string[] = [];
  const params: Sql = { limit: q.limit, offset: q.offset };
  let index = '';
  if (q.from !== undefined) {
    where.push('ts >= @from');
    params['from'] = q.from;
  }
  if (q.to !== undefined) {
    where.push('ts < @to');
    params['to'] = q.to;
  }
  if (q.model !== undefined) {
    where.push('(served_model = @model OR requested_model = @model)');
    params['model'] = q.model;
  }
  if (q.status === 'ok') where.push('status < 400');
  else if (q.status === 'error') where.push('status >= 400');
  else if (typeof q.status === 'number') {
    where.push('status = @status');
    params['status'] = q.status;
  }
  if (q.technique === 'none') where.push('technique IS NULL');
  else if (q.technique !== undefined) {
    where.push('technique = @technique');
    params['technique'] = q.technique;
  }
  if (q.cache === 'none') where.push('cache IS NULL');
  else if (q.cache !== undefined) {
    where.push('cache = @cache');
    params['cache'] = q.cache;
    index = 'INDEXED BY ledger_cache';
  }
  if (q.topLevel === true) where.push('parent_id IS NULL');
  const select = (extra: string[], from = index) => {
    const all = [...where, ...extra];
    return `SELECT ${COLUMNS} FROM ledger ${from} ${all.length ? `WHERE ${all.join(' AND ')}` : ''}
      ORDER BY ts DESC, id DESC LIMIT @limit OFFSET @offset`;
  };
  if (q.text === undefined || q.text === '') return () => (prepare(select([])).all(params) as DbRow[]).map(decode);
  // Text is a request-id prefix when any id starts with it, else a substring of the route (a scan:
  // no index helps a substring). A prefix few ids share reads them through the request_id index and
  // sorts them; a prefix most ids share ("cw_") walks the time index and stops at a page.
  const idTest = ['request_id >= @text AND request_id < @textEnd'];
  const byFewIds = select(idTest, 'INDEXED BY sqlite_autoindex_ledger_1');
  const byManyIds = select(idTest, index === '' ? 'INDEXED BY ledger_ts' : index);
  const byRoute = select([`route LIKE @textLike ESCAPE '\\'`]);
  const idParams = { ...params, text: q.text, textEnd: `${q.text}\u{10ffff}` };
  const routeParams = { ...params, textLike: `%${likeLiteral(q.text)}%` };
  return () => {
    const ids = (
      prepare(`SELECT count(*) AS n FROM (SELECT 1 FROM ledger WHERE request_id >= @text AND request_id < @textEnd LIMIT ${FEW_IDS + 1})`).get({
        text: idParams.text,
        textEnd: idParams.textEnd,
      }) as { n: number }
    ).n;
    if (ids === 0) return (prepare(byRoute).all(routeParams) as DbRow[]).map(decode);
    return (prepare(ids > FEW_IDS ? byManyIds : byFewIds).all(idParams) as DbRow[]).map(decode);
  };
}

function detail(prepare: Prepare, requestId: string): Thunk<RequestDetail | null> {
  if (typeof requestId !== 'string' || requestId === '') throw new Error('costwise: a request id is required');
  return () => {
    const row = prepare(`SELECT ${COLUMNS} FROM ledger WHERE request_id = ?`).get(requestId) as DbRow | undefined;
    if (row === undefined) return null;
    const subCalls = prepare(`SELECT ${COLUMNS} FROM ledger INDEXED BY ledger_parent WHERE parent_id = ? ORDER BY ts, id`).all(requestId) as DbRow[];
    return { row: decode(row), subCalls: subCalls.map(decode) };
  };
}

type SampleRow = { served_model: string; cost_pico: number; latency_ms: number };

/**
 * The percentile sample: runs of `@run` ids, one every `@stride` ids from `@lo` to `@hi`, each run
 * read by rowid. CROSS JOIN keeps the picked ids the outer loop and NOT INDEXED keeps SQLite from
 * walking the range by `ledger_ts` instead: with a range join on the id it otherwise did, pairing
 * every row of the range with every picked id (all time over 1M rows: > 30 s instead of ~40 ms).
 */
export const SAMPLE_RUNS_SQL = `WITH RECURSIVE pick(id) AS (SELECT @lo UNION ALL SELECT id + @stride FROM pick WHERE id + @stride <= @hi)
  SELECT l.served_model, l.cost_pico, l.latency_ms FROM pick CROSS JOIN ledger l NOT INDEXED ON l.id >= pick.id AND l.id < pick.id + @run
  WHERE l.ts >= @from AND l.ts < @to AND l.parent_id IS NULL`;

function percentiles(prepare: Prepare, q: PercentileQuery): Thunk<PercentileReport> {
  const maxSample = Math.floor(q.maxSample ?? DEFAULT_SAMPLE);
  if (!Number.isSafeInteger(maxSample) || maxSample < 1 || maxSample > MAX_SAMPLE) throw new Error(`costwise: maxSample must be 1..${MAX_SAMPLE}`);
  hourRange(q);
  const from = Math.max(q.from ?? 0, 0);
  const to = Math.min(q.to ?? Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  return () => {
    // Rows are appended roughly in ts order, so the ids of the first and last rows of the range
    // bound it; the sample reads runs of ids spread evenly between them, keeping the rows in range.
    const first = prepare('SELECT id FROM ledger INDEXED BY ledger_ts WHERE ts >= ? AND ts < ? ORDER BY ts, id LIMIT 1').get(from, to) as
      { id: number } | undefined;
    const last = prepare('SELECT id FROM ledger INDEXED BY ledger_ts WHERE ts >= ? AND ts < ? ORDER BY ts DESC, id DESC LIMIT 1').get(from, to) as
      { id: number } | undefined;
    if (first === undefined || last === undefined) return { population: 0, sampled: false, groups: [] };
    const lo = Math.min(first.id, last.id);
    const hi = Math.max(first.id, last.id);
    let rows: SampleRow[];
    let population: number;
    let sampled = false;
    if (hi - lo + 1 <= maxSample) {
      rows = prepare(`SELECT served_model, cost_pico, latency_ms FROM ledger INDEXED BY ledger_ts
        WHERE ts >= ? AND ts < ? AND parent_id IS NULL`).all(from, to) as SampleRow[];
      population = rows.length;
    } else {
      const { stride, run } = sampleRuns(hi - lo + 1, maxSample);
      rows = prepare(SAMPLE_RUNS_SQL).all({ lo, hi, stride, run, from, to }) as SampleRow[];
      population = Math.round((rows.length * stride) / run);
      sampled = true;
    }
    return { population, sampled, groups: groupPercentiles(rows) };
  };
}

function groupPercentiles(rows: SampleRow[]): PercentileReport['groups'] {
  const byModel = new Map<string, SampleRow[]>();
  for (const r of rows) {
    const list = byModel.get(r.served_model);
    if (list === undefined) byModel.set(r.served_model, [r]);
    else list.push(r);
  }
  const group = (model: string, list: SampleRow[]) => ({
    model,
    requests: list.length,
    costPico: percentilesOf(list.map((r) => r.cost_pico)),
    latencyMs: percentilesOf(list.map((r) => r.latency_ms)),
  });
  if (rows.length === 0) return [];
  const models = [...byModel].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]));
  return [group('(all)', rows), ...models.map(([model, list]) => group(model, list))];
}

function rollupTotals(prepare: Prepare, dim: 'model' | 'technique', hStart: number, hEnd: number): CountByKey[] {
  const rows = prepare(
    `SELECT key, sum(requests) AS requests, sum(cost_micro) AS cost_micro, sum(cost_rem) AS cost_rem
    FROM spend_hourly WHERE dim = ? AND hour >= ? AND hour < ? GROUP BY key`,
    true,
  ).all(dim, hStart, hEnd) as RollupRow[];
  return rows
    .map((r) => ({ key: String(r.key), requests: Number(r.requests ?? 0n), costPico: pico(r.cost_micro, r.cost_rem) }))
    .sort((a, b) => b.requests - a.requests || a.key.localeCompare(b.key));
}

function routing(prepare: Prepare, q: TimeRange): Thunk<RoutingStats> {
  const { hStart, hEnd, from, to } = hourRange(q);
  const count = (index: string, test: string): number =>
    (prepare(`SELECT count(*) AS n FROM ledger INDEXED BY ${index} WHERE ${test} AND ts >= ? AND ts < ? AND parent_id IS NULL`).get(from, to) as { n: number })
      .n;
  return () => ({
    byModel: rollupTotals(prepare, 'model', hStart, hEnd),
    byTechnique: rollupTotals(prepare, 'technique', hStart, hEnd),
    fallbacks: count('ledger_fallback', "instr(route, 'fallback:') > 0"),
    escalations: count('ledger_escalated', "instr(route, ':escalated') > 0"),
  });
}

function cacheCounts(prepare: Prepare, q: TimeRange): Thunk<CacheCounts> {
  const { from, to } = hourRange(q);
  const count = (value: string): number =>
    (prepare('SELECT count(*) AS n FROM ledger INDEXED BY ledger_cache WHERE cache = ? AND ts >= ? AND ts < ?').get(value, from, to) as { n: number }).n;
  return () => ({ hitExact: count('hit-exact'), hitSemantic: count('hit-semantic'), miss: count('miss') });
}
