// Spend queries: whole hours from `spend_hourly` plus the raw ledger rows of the partial hours at
// either edge of [from, to), so a query's cost is bounded by hours × groups, not by ledger size.
//
// Money is summed as two integer parts (whole micro-dollars and the pico remainder) read as BigInt,
// so sums are exact in SQLite up to ~$9.2 trillion. SpendBucket money fields are `number`: a bucket
// above 2^53 pico (~$9,007) comes back as the nearest double.
import type Database from 'better-sqlite3';
import { HOUR_MS, NO_TECHNIQUE, SUMS, UNTAGGED, type Dim } from './sqlite-schema.js';
import type { SpendBucket, SpendQuery } from './types.js';

const DAY_MS = 86_400_000;

type DbBucket = { key: string | bigint } & Record<(typeof SUMS)[number], bigint | null>;

/**
 * Spend queries on one connection, each grouping's statement prepared once. The returned function
 * validates a query at once (throwing on a bad one) and hands back the thunk that runs it.
 */
export function spendQueries(db: Database.Database): (query: SpendQuery) => () => SpendBucket[] {
  const statements = new Map<SpendQuery['groupBy'], Database.Statement>();
  return (query) => {
    const params = spendParams(query);
    return () => {
      let stmt = statements.get(query.groupBy);
      if (stmt === undefined) {
        stmt = db.prepare(spendSql(query.groupBy)).safeIntegers(true);
        statements.set(query.groupBy, stmt);
      }
      return toBuckets(stmt.all(params) as DbBucket[], query.groupBy);
    };
  };
}

/**
 * Bounds for the three arms of a spend query: whole hours [hStart, hEnd) from the rollup, raw
 * ledger rows in [from, edgeLo) and [edgeHi, to). ts >= 0 is enforced on append.
 * Throws on an unknown grouping or a bound that is not a finite number.
 */
function spendParams(query: SpendQuery): Record<string, number> {
  if (!['model', 'day', 'tag', 'key', 'technique'].includes(query.groupBy)) {
    const groupBy: unknown = query.groupBy; // queries come from callers: checked, not trusted
    throw new Error(`costwise: unknown spend grouping ${String(groupBy)}`);
  }
  for (const [name, value] of [
    ['from', query.from],
    ['to', query.to],
  ] as const) {
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
      throw new Error(`costwise: spend bound ${name} must be a finite number of epoch ms, got ${String(value)}`);
    }
  }
  const from = Math.max(query.from ?? 0, 0);
  const to = Math.min(query.to ?? Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const hStart = Math.ceil(from / HOUR_MS);
  const hEnd = Math.floor(to / HOUR_MS);
  if (hStart >= hEnd) return { hStart: 0, hEnd: 0, from, edgeLo: to, edgeHi: to, to };
  return { hStart, hEnd, from, edgeLo: hStart * HOUR_MS, edgeHi: hEnd * HOUR_MS, to };
}

function spendSql(groupBy: SpendQuery['groupBy']): string {
  const dim: Dim = groupBy === 'day' ? 'model' : groupBy;
  const rollupKey = groupBy === 'day' ? 'hour / 24' : 'key';
  const rawKey = {
    model: 'l.served_model',
    key: 'l.key_id',
    day: `l.ts / ${DAY_MS}`,
    tag: `coalesce(t.tag, '${UNTAGGED}')`,
    technique: `coalesce(l.technique, '${NO_TECHNIQUE}')`,
  }[groupBy];
  const join = groupBy === 'tag' ? 'LEFT JOIN ledger_tags t ON t.ledger_id = l.id' : '';
  const rawSums = `count(*) - count(l.parent_id), sum(l.input_tokens), sum(l.cache_read_tokens), sum(l.cache_write_5m_tokens),
    sum(l.cache_write_1h_tokens), sum(l.output_tokens), sum(l.cost_pico / 1000000), sum(l.cost_pico % 1000000),
    sum(l.baseline_pico / 1000000), sum(l.baseline_pico % 1000000),
    sum(l.prompt_cache_pico / 1000000), sum(l.prompt_cache_pico % 1000000)`;
  const raw = (lo: string, hi: string) =>
    `SELECT ${rawKey}, ${rawSums} FROM ledger l INDEXED BY ledger_ts ${join}
     WHERE l.ts >= ${lo} AND l.ts < ${hi} GROUP BY 1`;
  return `SELECT key, ${SUMS.map((c) => `sum(${c}) AS ${c}`).join(', ')} FROM (
      SELECT ${rollupKey} AS key, ${SUMS.map((c) => `sum(${c}) AS ${c}`).join(', ')} FROM spend_hourly
        WHERE dim = '${dim}' AND hour >= @hStart AND hour < @hEnd GROUP BY 1
      UNION ALL ${raw('@from', '@edgeLo')}
      UNION ALL ${raw('@edgeHi', '@to')}
    ) GROUP BY key`;
}

function toBuckets(rows: DbBucket[], groupBy: SpendQuery['groupBy']): SpendBucket[] {
  const exact = rows.map((r) => ({
    key: groupBy === 'day' ? new Date(Number(r.key) * DAY_MS).toISOString().slice(0, 10) : String(r.key),
    cost: (r.cost_micro ?? 0n) * 1_000_000n + (r.cost_rem ?? 0n),
    baseline: (r.baseline_micro ?? 0n) * 1_000_000n + (r.baseline_rem ?? 0n),
    promptCache: (r.prompt_cache_micro ?? 0n) * 1_000_000n + (r.prompt_cache_rem ?? 0n),
    row: r,
  }));
  exact.sort((a, b) => {
    if (groupBy !== 'day' && a.cost !== b.cost) return a.cost > b.cost ? -1 : 1;
    return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  });
  return exact.map(({ key, cost, baseline, promptCache, row }) => ({
    key,
    requests: Number(row.requests),
    inputTokens: Number(row.input_tokens ?? 0n),
    cacheReadTokens: Number(row.cache_read_tokens ?? 0n),
    cacheWrite5mTokens: Number(row.cache_write_5m_tokens ?? 0n),
    cacheWrite1hTokens: Number(row.cache_write_1h_tokens ?? 0n),
    outputTokens: Number(row.output_tokens ?? 0n),
    costPico: Number(cost),
    baselinePico: Number(baseline),
    promptCachePico: Number(promptCache),
    exact: { costPico: cost, baselinePico: baseline, promptCachePico: promptCache },
  }));
}
