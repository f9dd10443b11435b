// Spend queries on PostgreSQL, bucket for bucket the same as SQLite's (sqlite-spend.ts): whole days
// and hours from the rollups (rollup.ts) plus the raw ledger rows of the partial hours at either edge
// of [from, to), so a query's cost is bounded by days × groups, not by ledger size. Sums are
// numeric: exact at any size.
import type { Sql } from 'postgres';
import { HOUR_MS, NO_TECHNIQUE, SUMS, UNTAGGED, type Tables } from './schema.js';
import { big } from './rows.js';
import { rollupBounds, rollupCells } from './rollup.js';
import type { SpendBucket, SpendQuery } from '../types.js';

const DAY_MS = 86_400_000;
const GROUPS: readonly SpendQuery['groupBy'][] = ['model', 'day', 'tag', 'key', 'technique'];

type PgBucket = { key: string } & Record<(typeof SUMS)[number], string | null>;

/**
 * Validates a query at once (throwing on a bad one, with SQLite's messages) and hands back the
 * thunk that runs it.
 */
export function spendQuery(sql: Sql, t: Tables): (query: SpendQuery) => () => Promise<SpendBucket[]> {
  const texts = new Map(GROUPS.map((g) => [g, spendSql(t, g)]));
  return (query) => {
    const params = spendParams(query);
    const text = texts.get(query.groupBy)!;
    return async () => toBuckets(await sql.unsafe<PgBucket[]>(text, params, { prepare: true }), query.groupBy);
  };
}

/**
 * Bounds of the arms: whole hours [hStart, hEnd) from the rollups (six bounds, rollup.ts), raw rows
 * in [from, edgeLo) and [edgeHi, to). Integer ts, so a fractional bound is rounded up (ts >= 1.5 ⟺
 * ts >= 2, and ts < 1.5 ⟺ ts < 2) and every parameter is an int8.
 */
function spendParams(query: SpendQuery): number[] {
  const groupBy: unknown = query.groupBy; // checked: callers may send anything
  if (!GROUPS.includes(groupBy as SpendQuery['groupBy'])) throw new Error(`costwise: unknown spend grouping ${String(groupBy)}`);
  for (const [name, value] of [
    ['from', query.from],
    ['to', query.to],
  ] as const) {
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
      throw new Error(`costwise: spend bound ${name} must be a finite number of epoch ms, got ${String(value)}`);
    }
  }
  const from = Math.ceil(Math.max(query.from ?? 0, 0));
  const to = Math.ceil(Math.min(query.to ?? Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
  const hStart = Math.ceil(from / HOUR_MS);
  const hEnd = Math.floor(to / HOUR_MS);
  if (hStart >= hEnd) return [...rollupBounds(0, 0), from, to, to, to];
  return [...rollupBounds(hStart, hEnd), from, hStart * HOUR_MS, hEnd * HOUR_MS, to];
}

function spendSql(t: Tables, groupBy: SpendQuery['groupBy']): string {
  const dim = groupBy === 'day' ? 'model' : groupBy;
  const rollupKey = groupBy === 'day' ? { daily: 'day', hourly: 'hour / 24' } : { daily: 'key', hourly: 'key' };
  const rawKey = {
    model: 'l.served_model',
    key: 'l.key_id',
    day: `l.ts / ${DAY_MS}`,
    tag: `coalesce(g.tag, '${UNTAGGED}')`,
    technique: `coalesce(l.technique, '${NO_TECHNIQUE}')`,
  }[groupBy];
  const join = groupBy === 'tag' ? `LEFT JOIN ${t.tags} g ON g.ledger_id = l.id` : '';
  const rawSums = `count(*) - count(l.parent_id), ${SUMS.slice(1)
    .map((c) => `sum(l.${c})`)
    .join(', ')}`;
  const raw = (lo: string, hi: string) => `SELECT ${rawKey}, ${rawSums} FROM ${t.ledger} l ${join} WHERE l.ts >= ${lo} AND l.ts < ${hi} GROUP BY 1`;
  return `SELECT key::text AS key, ${SUMS.map((c) => `sum(${c})::text AS ${c}`).join(', ')} FROM (
      ${rollupCells(t, `'${dim}'`, 1, {
        daily: `${rollupKey.daily}, ${SUMS.join(', ')}`,
        hourly: `${rollupKey.hourly}, ${SUMS.join(', ')}`,
        blocks: groupBy !== 'day',
      })}
      UNION ALL ${raw('$7::int8', '$8::int8')}
      UNION ALL ${raw('$9::int8', '$10::int8')}
    ) u (key, ${SUMS.join(', ')}) GROUP BY u.key`;
}

function toBuckets(rows: readonly PgBucket[], groupBy: SpendQuery['groupBy']): SpendBucket[] {
  const exact = rows.map((r) => ({
    key: groupBy === 'day' ? new Date(Number(r.key) * DAY_MS).toISOString().slice(0, 10) : r.key,
    cost: big(r.cost_pico),
    baseline: big(r.baseline_pico),
    promptCache: big(r.prompt_cache_pico),
    row: r,
  }));
  exact.sort((a, b) => {
    if (groupBy !== 'day' && a.cost !== b.cost) return a.cost > b.cost ? -1 : 1;
    return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  });
  return exact.map(({ key, cost, baseline, promptCache, row }) => ({
    key,
    requests: Number(row.requests ?? 0),
    inputTokens: Number(row.input_tokens ?? 0),
    cacheReadTokens: Number(row.cache_read_tokens ?? 0),
    cacheWrite5mTokens: Number(row.cache_write_5m_tokens ?? 0),
    cacheWrite1hTokens: Number(row.cache_write_1h_tokens ?? 0),
    outputTokens: Number(row.output_tokens ?? 0),
    costPico: Number(cost),
    baselinePico: Number(baseline),
    promptCachePico: Number(promptCache),
    exact: { costPico: cost, baselinePico: baseline, promptCachePico: promptCache },
  }));
}
