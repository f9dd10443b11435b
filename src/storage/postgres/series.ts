// Time series on PostgreSQL, answer for answer SQLite's (sqlite-dashboard.ts): hour buckets from the
// hourly rollup, day buckets from whole days of the daily one (rollup.ts).
//
// With `top`, the groups beyond the top are not summed cell by cell: a bucket's OTHER_SERIES is its
// total, from the few technique cells (every row counts once under each of the model, key and
// technique dims), minus its kept groups; it is there when the bucket has more cells than kept ones
// (a count the rollups' primary keys answer). 7 days by key by hour then sums the top keys' 3,400
// cells instead of 169,000. Tags (a row counts under each of its tags) are folded cell by cell.
import { OTHER_SERIES, type TimeseriesQuery } from '../dashboard-types.js';
import { rollupBounds, rollupCells } from './rollup.js';
import type { Tables } from './schema.js';

const MONEY = 'requests, cost_pico, baseline_pico, prompt_cache_pico';
const SUMS = 'sum(requests) AS requests, sum(cost_pico) AS cost_pico, sum(baseline_pico) AS baseline_pico, sum(prompt_cache_pico) AS prompt_cache_pico';
const AS_TEXT = 'requests::text, cost_pico::text, baseline_pico::text, prompt_cache_pico::text';

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
    return { text: `SELECT hour, key, ${SUMS.replace(/ AS /g, '::text AS ')} FROM (${cells('$1', `key, ${MONEY}`)}) c GROUP BY 1, 2 ORDER BY 1, 2`, params };
  }
  // The groups ranked over the same hours, whole days from the daily rollup (day buckets: the same bounds).
  const rankFrom = byHour ? params.length + 1 : 2;
  if (byHour) params.push(...bounds);
  params.push(query.top);
  const top = `SELECT key FROM (${rollupCells(t, '$1', rankFrom, { daily: 'key, cost_pico', hourly: 'key, cost_pico' })}) r
    GROUP BY key ORDER BY sum(cost_pico) DESC, key LIMIT $${params.length}::int8`;
  if (query.groupBy === 'tag') {
    return {
      text: `WITH top AS (${top})
        SELECT hour, CASE WHEN key = ANY (ARRAY(SELECT key FROM top)) THEN key ELSE '${OTHER_SERIES}' END AS key, ${SUMS.replace(/ AS /g, '::text AS ')}
        FROM (${cells('$1', `key, ${MONEY}`)}) c GROUP BY 1, 2 ORDER BY 1, 2`,
      params,
    };
  }
  const minus = MONEY.split(', ')
    .map((c) => `tot.${c} - coalesce(k.${c}, 0) AS ${c}`)
    .join(', ');
  return {
    text: `WITH top AS (${top}),
      kept AS (SELECT hour, key, count(*) AS n, ${SUMS} FROM (${cells('$1', `key, ${MONEY}`)}) c JOIN top USING (key) GROUP BY 1, 2),
      other AS (SELECT a.hour, a.n - coalesce(k.n, 0) AS n, ${minus}
        FROM (SELECT hour, count(*) AS n FROM (${cells('$1', 'key')}) c GROUP BY 1) a
        JOIN (SELECT hour, ${SUMS} FROM (${cells(`'technique'`, MONEY)}) c GROUP BY 1) tot USING (hour)
        LEFT JOIN (SELECT hour, sum(n) AS n, ${SUMS} FROM kept GROUP BY 1) k USING (hour))
      SELECT hour, key, ${AS_TEXT} FROM kept
      UNION ALL SELECT hour, '${OTHER_SERIES}', ${AS_TEXT} FROM other WHERE n > 0
      ORDER BY 1, 2`,
    params,
  };
}
