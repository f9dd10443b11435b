// Time series on PostgreSQL, answer for answer SQLite's (sqlite-dashboard.ts): hour buckets from the
// hourly rollup, day buckets from whole days of the daily one (rollup.ts).
//
// With `top`, only the ranking reads every group's cells, and only their cost. The kept groups' cells
// are then looked up by primary key, one per (bucket, group); a bucket's OTHER_SERIES is its total,
// from the few technique cells (every row counts once under each of the model, key and technique
// dims), minus its kept groups, and it is there when the bucket has a cell of another group (an
// index probe that stops at the first one). 7 days by key by hour reads the keys' costs once, then
// 168 × 20 cells. Tags (a row counts under each of its tags) are folded cell by cell.
import { OTHER_SERIES, type TimeseriesQuery } from '../dashboard-types.js';
import { rollupBounds, rollupCells } from './rollup.js';
import type { Tables } from './schema.js';

const MONEY = 'requests, cost_pico, baseline_pico, prompt_cache_pico';
/** The money columns summed (of one relation: `of` is `c.`, say), as numeric or as text. */
const sums = (opts: { of?: string; text?: boolean } = {}): string =>
  MONEY.split(', ')
    .map((c) => `sum(${opts.of ?? ''}${c})${opts.text === true ? '::text' : ''} AS ${c}`)
    .join(', ');
const SUMS = sums();
const AS_TEXT = 'requests::text, cost_pico::text, baseline_pico::text, prompt_cache_pico::text';
const HOURS_PER_DAY = 24;

/** The statement and parameters of a checked query over the whole hours [hStart, hEnd); rows are (hour, key, money as text). */
export function seriesStatement(
  t: Tables,
  query: Pick<TimeseriesQuery, 'bucket' | 'groupBy' | 'top'>,
  hours: { hStart: number; hEnd: number },
): { text: string; params: unknown[] } {
  const bounds = rollupBounds(hours.hStart, hours.hEnd);
  const byHour = query.bucket === 'hour';
  // The cells of one dim (an SQL expression) as (hour, …list).
  const cells = (dim: string, list: string): string =>
    byHour
      ? `SELECT hour, ${list} FROM ${t.hourly} WHERE dim = ${dim} AND hour >= $2::int8 AND hour < $3::int8`
      : rollupCells(t, dim, 2, { daily: `day * 24 AS hour, ${list}`, hourly: `(hour / 24) * 24, ${list}` });
  const params: unknown[] = byHour ? [query.groupBy, hours.hStart, hours.hEnd] : [query.groupBy, ...bounds];
  if (query.top === undefined) {
    return { text: `SELECT hour, key, ${sums({ text: true })} FROM (${cells('$1', `key, ${MONEY}`)}) c GROUP BY 1, 2 ORDER BY 1, 2`, params };
  }
  const param = (value: number): string => {
    params.push(value);
    return `$${params.length}::int8`;
  };
  // The groups ranked over the same hours, whole days from the daily rollup (day buckets: the same bounds).
  const rankFrom = byHour ? params.length + 1 : 2;
  if (byHour) params.push(...bounds);
  const top = `SELECT key FROM (${rollupCells(t, '$1', rankFrom, { daily: 'key, cost_pico', hourly: 'key, cost_pico', blocks: true })}) r
    GROUP BY key ORDER BY sum(cost_pico) DESC, key LIMIT ${param(query.top)}`;
  if (query.groupBy === 'tag') {
    return {
      text: `WITH top AS (${top})
        SELECT hour, CASE WHEN key = ANY (ARRAY(SELECT key FROM top)) THEN key ELSE '${OTHER_SERIES}' END AS key, ${sums({ text: true })}
        FROM (${cells('$1', `key, ${MONEY}`)}) c GROUP BY 1, 2 ORDER BY 1, 2`,
      params,
    };
  }
  const [hStart, hEnd] = [param(hours.hStart), param(hours.hEnd)];
  const span = byHour ? 1 : HOURS_PER_DAY;
  // The hours of bucket `b` inside the range: [first, end).
  const first = (b: string): string => `GREATEST(${b}, ${hStart})`;
  const end = (b: string): string => `LEAST(${b} + ${span}, ${hEnd})`;
  // A kept group's cells in bucket b. Day buckets: from spend_daily when the rollup bounds read the
  // day from there (rollup.ts: a whole day of the range before the sealed one), else from its hours.
  const inDaily = `b.hour / 24 >= $2::int8 AND b.hour / 24 < LEAST($3::int8, (SELECT day FROM ${t.sealed}))`;
  // OFFSET 0 keeps each lookup a primary-key probe per (bucket, group): flattened, the planner hashed
  // every cell of the range against the kept groups (1M cells for 7 days on a 1M-request ledger).
  const lookup = (hour: string): string => `SELECT ${MONEY} FROM ${t.hourly} WHERE dim = $1 AND hour = ${hour} AND key = top.key OFFSET 0`;
  const groupCells = byHour
    ? lookup('b.hour')
    : `SELECT c.* FROM generate_series(${first('b.hour')}, ${end('b.hour')} - 1) h CROSS JOIN LATERAL (${lookup('h')}) c WHERE NOT (${inDaily})
       UNION ALL SELECT ${MONEY} FROM ${t.daily} WHERE dim = $1 AND day = b.hour / 24 AND key = top.key AND ${inDaily} OFFSET 0`;
  // An hour bucket has one cell per group; a day bucket sums its day's cell or its hours' cells.
  const keptMoney = byHour ? MONEY.replace(/(\w+)/g, 'c.$1') : sums({ of: 'c.' });
  const minus = MONEY.split(', ')
    .map((c) => `tot.${c} - coalesce(k.${c}, 0) AS ${c}`)
    .join(', ');
  return {
    text: `WITH top AS MATERIALIZED (${top}),
      tot AS MATERIALIZED (SELECT hour, ${SUMS} FROM (${cells(`'technique'`, MONEY)}) c GROUP BY 1),
      kept AS (SELECT b.hour, top.key, ${keptMoney} FROM tot b CROSS JOIN top CROSS JOIN LATERAL (${groupCells}) c ${byHour ? '' : 'GROUP BY 1, 2'}),
      other AS (SELECT tot.hour, ${minus} FROM tot LEFT JOIN (SELECT hour, ${SUMS} FROM kept GROUP BY 1) k USING (hour)
        WHERE EXISTS (SELECT 1 FROM ${t.hourly} c WHERE c.dim = $1 AND c.hour >= ${first('tot.hour')} AND c.hour < ${end('tot.hour')}
          AND c.key <> ALL (ARRAY(SELECT key FROM top))))
      SELECT hour, key, ${AS_TEXT} FROM kept
      UNION ALL SELECT hour, '${OTHER_SERIES}', ${AS_TEXT} FROM other
      ORDER BY 1, 2`,
    params,
  };
}
