// A large PostgreSQL ledger for the dashboard benchmark, written through the store's own write path
// (openPostgresStore, big batches), so its rollups are exactly what the gateway's writes produce;
// and the check that they are: sampled rollup cells against the sums over the rows themselves.
import type { Sql } from 'postgres';
import { openPostgresStore } from '../src/storage/postgres/index.js';
import type { LedgerRow } from '../src/storage/types.js';
import { appendGatewayRow, TWELVE_MODELS, type RowMix } from './ledger-rows.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const QUARTER_HOUR = 900_000;

/** The benchmark ledger's shape: `rows` top-level requests over the 90 days from t0, 1,000 keys in 40 teams, twelve models. */
export function benchMix(rows: number, t0: number): RowMix {
  return { t0, spanMs: 90 * DAY, total: rows, keys: 1_000, teams: 40, models: TWELVE_MODELS, tagEveryRow: true };
}

export interface SeedOptions {
  url: string;
  schema: string;
  mix: RowMix;
  /**
   * Stores writing at once (default 2), taking turns over the rows (store w writes rows w, w + n,
   * …), so they move through the 90 days together, as replicas behind one balancer do: each day
   * closes once, behind all of them, as it does for a gateway writing today's rows.
   */
  writers?: number;
  onProgress?: (done: number) => void;
}

/** Writes rows 0 .. mix.total (plus their cascade steps) through the store; the rows written. */
export async function seedLedger(opts: SeedOptions): Promise<number> {
  const writers = opts.writers ?? 2;
  const stores = Array.from({ length: writers }, () =>
    openPostgresStore({ url: opts.url, schema: opts.schema, maxBatch: 5_000, maxQueuedRows: 1_000_000, applicationName: 'costwise-bench-seed' }),
  );
  let done = 0;
  let written = 0;
  try {
    await stores[0]!.ready();
    const turn = Math.max(100, Math.floor((opts.mix.total * QUARTER_HOUR) / opts.mix.spanMs / writers));
    await Promise.all(
      stores.map(async (store, w) => {
        const append = (row: LedgerRow) => store.appendLedger(row);
        let mine = 0;
        for (let i = w; i < opts.mix.total; i += writers) {
          written += appendGatewayRow(append, i, opts.mix);
          // Turns of a quarter of an hour's rows keep the writers that close in time.
          if (++mine % turn === 0) await store.flush();
          if (++done % 50_000 === 0) opts.onProgress?.(done);
        }
        await store.flush();
      }),
    );
  } finally {
    for (const store of stores) await store.close();
  }
  return written;
}

export interface LedgerShape {
  /** Top-level rows. */
  requests: number;
  rows: number;
  /** The first row's time (the mix's t0) and the time just after the last row's; 0 when empty or missing. */
  start: number;
  end: number;
}

export async function ledgerShape(sql: Sql, schema: string): Promise<LedgerShape> {
  const [found] = await sql`SELECT to_regclass(${`"${schema}".ledger`}) IS NOT NULL AS present`;
  if (found?.['present'] !== true) return { requests: 0, rows: 0, start: 0, end: 0 };
  const [row] = await sql.unsafe<{ requests: string; rows: string; start: string | null; end: string | null }[]>(
    `SELECT count(*) FILTER (WHERE parent_id IS NULL) AS requests, count(*) AS rows, min(ts) AS start, max(ts) + 1 AS end FROM "${schema}".ledger`,
  );
  return { requests: Number(row?.requests), rows: Number(row?.rows), start: Number(row?.start ?? 0), end: Number(row?.end ?? 0) };
}

const SUMS =
  'requests, input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, cost_pico, baseline_pico, prompt_cache_pico';
const ROW_SUMS = `count(*) - count(parent_id), sum(input_tokens), sum(cache_read_tokens), sum(cache_write_5m_tokens), sum(cache_write_1h_tokens),
  sum(output_tokens), sum(cost_pico), sum(baseline_pico), sum(prompt_cache_pico)`;

/**
 * Throws unless every rollup cell of the sampled hours equals the sums over that hour's rows (every
 * dimension, both ways), and the whole rollup's cost equals the whole ledger's. The cells of the
 * rows are computed here independently of the store's write statement.
 */
export async function verifyRollups(sql: Sql, schema: string, hours: readonly number[]): Promise<void> {
  const s = `"${schema}"`;
  const sampled = `SELECT l.*, h.hour FROM unnest($1::int8[]) h (hour) JOIN ${s}.ledger l ON l.ts >= h.hour * ${HOUR} AND l.ts < (h.hour + 1) * ${HOUR}`;
  const fromRows = `
    SELECT 'model' AS dim, hour, served_model AS key, ${ROW_SUMS} FROM r GROUP BY 1, 2, 3
    UNION ALL SELECT 'key', hour, key_id, ${ROW_SUMS} FROM r GROUP BY 1, 2, 3
    UNION ALL SELECT 'technique', hour, coalesce(technique, '(none)'), ${ROW_SUMS} FROM r GROUP BY 1, 2, 3
    UNION ALL SELECT 'tag', hour, coalesce(g.tag, '(untagged)'), ${ROW_SUMS} FROM r LEFT JOIN ${s}.ledger_tags g ON g.ledger_id = r.id GROUP BY 1, 2, 3`;
  const rollup = `SELECT dim::text, hour, key::text, ${SUMS} FROM ${s}.spend_hourly WHERE hour = ANY($1::int8[])`;
  const computed = `SELECT dim::text, hour, key::text, ${SUMS.split(', ')
    .map((c) => `${c}::numeric`)
    .join(', ')} FROM (${fromRows}) c (dim, hour, key, ${SUMS})`;
  const [diff] = await sql.unsafe<{ missing: string; extra: string; cells: string }[]>(
    `WITH r AS MATERIALIZED (${sampled})
     SELECT (SELECT count(*) FROM ((${computed}) EXCEPT (${rollup})) a) AS missing,
            (SELECT count(*) FROM ((${rollup}) EXCEPT (${computed})) b) AS extra,
            (SELECT count(*) FROM (${rollup}) c) AS cells`,
    [hours],
  );
  if (diff === undefined || Number(diff.missing) !== 0 || Number(diff.extra) !== 0 || Number(diff.cells) === 0) {
    throw new Error(`rollups differ from the rows in hours ${hours.join(', ')}: ${JSON.stringify(diff)}`);
  }
  const [totals] = await sql.unsafe<{ rollup: string; rows: string }[]>(
    `SELECT (SELECT sum(cost_pico)::text FROM ${s}.spend_hourly WHERE dim = 'model') AS rollup, (SELECT sum(cost_pico)::text FROM ${s}.ledger) AS rows`,
  );
  if (totals?.rollup !== totals?.rows) throw new Error(`rollup total ${totals?.rollup} ≠ ledger total ${totals?.rows} pico-dollars`);
  // The sealed days (spend_daily) and their blocks (spend_blocks) against the hours they sum, per model.
  const sealed = `(SELECT day FROM ${s}.spend_daily_sealed)`;
  const sums = SUMS.split(', ')
    .map((c) => `sum(${c})`)
    .join(', ');
  const daily = `SELECT day, key, ${SUMS} FROM ${s}.spend_daily WHERE dim = 'model'`;
  const dailyFromHours = `SELECT hour / 24, key, ${sums} FROM ${s}.spend_hourly WHERE dim = 'model' AND hour / 24 < ${sealed} GROUP BY 1, 2`;
  const blocks = `SELECT level::int, day, key, ${SUMS} FROM ${s}.spend_blocks WHERE dim = 'model'`;
  const blocksFromDays = `SELECT l, (day >> l) << l, key, ${sums} FROM ${s}.spend_daily CROSS JOIN generate_series(1, 9) l
    WHERE dim = 'model' AND ((day >> l) << l) + (1::bigint << l) <= ${sealed} GROUP BY 1, 2, 3`;
  const [drift] = await sql.unsafe<{ daily: string; blocks: string }[]>(
    `SELECT (SELECT count(*) FROM (((${daily}) EXCEPT (${dailyFromHours})) UNION ALL ((${dailyFromHours}) EXCEPT (${daily}))) a) AS daily,
            (SELECT count(*) FROM (((${blocks}) EXCEPT (${blocksFromDays})) UNION ALL ((${blocksFromDays}) EXCEPT (${blocks}))) b) AS blocks`,
  );
  if (drift?.daily !== '0' || drift.blocks !== '0') throw new Error(`sealed rollups differ from the hours they sum: ${JSON.stringify(drift)}`);
}
