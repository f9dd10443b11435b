// PostgreSQL ledger schema: the tables, their append-only migrations, and how a replica applies them.
//
// The tables mirror SQLite's (sqlite-schema.ts) with two differences that keep every query's answer
// identical to SQLite's: text columns compare byte-wise (COLLATE "C", SQLite's BINARY), and the
// rollup's sums are numeric(38,0), exact at any size (SQLite splits money into micro and remainder).
import type { Sql } from 'postgres';
import type { SchemaVersions } from '../types.js';

/** The tag key under which rows without tags are counted (as in SQLite). */
export const UNTAGGED = '(untagged)';
/** The technique key under which rows without one are counted (as in SQLite). */
export const NO_TECHNIQUE = '(none)';
/** Granularity of the spend_hourly rollup. */
export const HOUR_MS = 3_600_000;

// Spelled out once for migration 2 and frozen with it (a released migration never changes).
const M2_SUMS = [
  'requests',
  'input_tokens',
  'cache_read_tokens',
  'cache_write_5m_tokens',
  'cache_write_1h_tokens',
  'output_tokens',
  'cost_pico',
  'baseline_pico',
  'prompt_cache_pico',
] as const;
const m2Sums = (of: (c: string) => string): string => M2_SUMS.map((c) => `sum(${of(c)})`).join(', ');
/** Adds cells to spend_daily in key order (as the hourly upsert does), so concurrent writers lock them in one order. */
const m2DailyUpsert = (cells: string): string =>
  `INSERT INTO spend_daily AS d (dim, day, key, ${M2_SUMS.join(', ')}) ${cells} ORDER BY 1, 2, 3
     ON CONFLICT (dim, day, key) DO UPDATE SET ${M2_SUMS.map((c) => `${c} = d.${c} + excluded.${c}`).join(', ')}`;

/** Migration 10's levels: spend_blocks holds aligned runs of 2 … 512 days (frozen with it). */
const M10_TOP_LEVEL = 9;
const m10Sums = (of: (c: string) => string): string => M2_SUMS.map((c) => of(c)).join(', ');
/** Migration 10: adds `cells` (dim, level, day, key, sums…) to spend_blocks, in key order. */
const m10BlocksUpsert = (cells: string): string =>
  `INSERT INTO spend_blocks AS b (dim, level, day, key, ${M2_SUMS.join(', ')}) ${cells} ORDER BY 1, 2, 3, 4
     ON CONFLICT (dim, level, day, key) DO UPDATE SET ${M2_SUMS.map((c) => `${c} = b.${c} + excluded.${c}`).join(', ')}`;
/** Migration 10: inserts the blocks of level `l` (a plpgsql variable) from `below`'s cells that end in (from_day, to_day]. */
const m10BuildLevel = (below: string): string =>
  `INSERT INTO spend_blocks (dim, level, day, key, ${M2_SUMS.join(', ')})
       SELECT dim, l, start, key, ${m10Sums((c) => `sum(${c})`)} FROM (
         SELECT dim, (day >> l) << l AS start, key, ${M2_SUMS.join(', ')} FROM ${below}
           AND day >= (from_day >> l) << l AND day < to_day
       ) c WHERE start + (1::bigint << l) > from_day AND start + (1::bigint << l) <= to_day
       GROUP BY 1, 3, 4 ORDER BY 1, 3, 4`;

/** Migration 3's counts of a table of ledger rows, per hour (frozen with it). */
const m3Counts = (rows: string): string =>
  `SELECT l.ts / 3600000, w.what, count(*) FROM ${rows} l CROSS JOIN LATERAL (VALUES
       ('cache:' || l.cache, l.cache IS NOT NULL),
       ('fallback', strpos(l.route, 'fallback:') > 0 AND l.parent_id IS NULL),
       ('escalated', strpos(l.route, ':escalated') > 0 AND l.parent_id IS NULL)
     ) w (what, counts) WHERE w.counts GROUP BY 1, 2`;

// Append-only: a released migration is never edited; a schema change is a new entry. Each runs with
// search_path set to the store's schema, inside the transaction that holds the migration lock.
export const MIGRATIONS: readonly string[] = [
  // ledger.id numbers rows in insertion order (ledgerRows breaks ts ties with it; percentile samples
  // stride over it). No foreign key from ledger_tags: both are written by the same statement, and the
  // check would cost an index probe per tag (SQLite does not enforce its REFERENCES either). Money
  // per row is bigint (a row's pico-dollars are a safe integer); sums are numeric(38,0).
  // Indexes are SQLite's: (ts, id) for newest-first pages, partial ones for the dashboard's rare sets
  // (the fallback and escalation counts read only top-level rows: index-only scans).
  `CREATE TABLE ledger (
     id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     request_id            text COLLATE "C" NOT NULL UNIQUE,
     ts                    bigint NOT NULL CHECK (ts >= 0),
     tenant                text COLLATE "C" NOT NULL,
     key_id                text COLLATE "C" NOT NULL,
     tags                  text COLLATE "C" NOT NULL,
     ingress               text COLLATE "C" NOT NULL,
     endpoint              text COLLATE "C" NOT NULL,
     requested_model       text COLLATE "C" NOT NULL,
     served_model          text COLLATE "C" NOT NULL,
     provider              text COLLATE "C" NOT NULL,
     input_tokens          bigint NOT NULL,
     cache_read_tokens     bigint NOT NULL,
     cache_write_5m_tokens bigint NOT NULL,
     cache_write_1h_tokens bigint NOT NULL,
     output_tokens         bigint NOT NULL,
     reasoning_tokens      bigint NOT NULL,
     cost_pico             bigint NOT NULL,
     baseline_pico         bigint NOT NULL,
     latency_ms            double precision NOT NULL,
     status                bigint NOT NULL,
     stream                boolean NOT NULL,
     error_kind            text COLLATE "C",
     route                 text COLLATE "C" NOT NULL,
     technique             text COLLATE "C",
     parent_id             text COLLATE "C",
     attempts              text COLLATE "C",
     cache                 text COLLATE "C",
     prompt_cache_pico     bigint NOT NULL
   );
   CREATE INDEX ledger_ts ON ledger (ts, id);
   CREATE INDEX ledger_parent ON ledger (parent_id) WHERE parent_id IS NOT NULL;
   CREATE INDEX ledger_cache ON ledger (cache, ts) WHERE cache IS NOT NULL;
   CREATE INDEX ledger_fallback ON ledger (ts) WHERE strpos(route, 'fallback:') > 0 AND parent_id IS NULL;
   CREATE INDEX ledger_escalated ON ledger (ts) WHERE strpos(route, ':escalated') > 0 AND parent_id IS NULL;
   CREATE TABLE ledger_tags (
     ledger_id bigint NOT NULL,
     tag       text COLLATE "C" NOT NULL,
     PRIMARY KEY (ledger_id, tag)
   );
   CREATE INDEX ledger_tags_tag ON ledger_tags (tag);
   CREATE TABLE spend_hourly (
     dim                   text COLLATE "C" NOT NULL CHECK (dim IN ('model', 'key', 'tag', 'technique')),
     hour                  bigint NOT NULL,
     key                   text COLLATE "C" NOT NULL,
     requests              bigint NOT NULL,
     input_tokens          numeric(38, 0) NOT NULL,
     cache_read_tokens     numeric(38, 0) NOT NULL,
     cache_write_5m_tokens numeric(38, 0) NOT NULL,
     cache_write_1h_tokens numeric(38, 0) NOT NULL,
     output_tokens         numeric(38, 0) NOT NULL,
     cost_pico             numeric(38, 0) NOT NULL,
     baseline_pico         numeric(38, 0) NOT NULL,
     prompt_cache_pico     numeric(38, 0) NOT NULL,
     PRIMARY KEY (dim, hour, key)
   );`,
  // spend_daily: spend_hourly's cells summed per UTC day (day = hour / 24), so a 90-day query reads
  // ~90 cells per group instead of ~2,160 (measured: bench/dashboard-scale.ts). Kept by statement
  // triggers on spend_hourly rather than by the write statement, so every writer keeps it exact,
  // a replica of an older build included; SECURITY DEFINER, so a role that may write spend_hourly
  // needs no grant on it. An update adds new − old, summed rather than joined (the transition
  // tables have no index: a join of 600 cells took 44 ms). The backfill holds off writers until
  // the triggers exist.
  `CREATE TABLE spend_daily (
     dim                   text COLLATE "C" NOT NULL,
     day                   bigint NOT NULL,
     key                   text COLLATE "C" NOT NULL,
     requests              bigint NOT NULL,
     input_tokens          numeric(38, 0) NOT NULL,
     cache_read_tokens     numeric(38, 0) NOT NULL,
     cache_write_5m_tokens numeric(38, 0) NOT NULL,
     cache_write_1h_tokens numeric(38, 0) NOT NULL,
     output_tokens         numeric(38, 0) NOT NULL,
     cost_pico             numeric(38, 0) NOT NULL,
     baseline_pico         numeric(38, 0) NOT NULL,
     prompt_cache_pico     numeric(38, 0) NOT NULL,
     PRIMARY KEY (dim, day, key)
   );
   LOCK TABLE spend_hourly IN SHARE ROW EXCLUSIVE MODE;
   INSERT INTO spend_daily
     SELECT dim, hour / 24, key, ${m2Sums((c) => c)} FROM spend_hourly GROUP BY 1, 2, 3;
   CREATE FUNCTION spend_daily_inserted() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
   BEGIN
     ${m2DailyUpsert(`SELECT dim, hour / 24, key, ${m2Sums((c) => c)} FROM new_cells GROUP BY 1, 2, 3`)};
     RETURN NULL;
   END $$;
   CREATE FUNCTION spend_daily_updated() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
   BEGIN
     ${m2DailyUpsert(
       `SELECT dim, hour / 24, key, ${m2Sums((c) => c)} FROM (
          SELECT dim, hour, key, ${M2_SUMS.join(', ')} FROM new_cells
          UNION ALL SELECT dim, hour, key, ${M2_SUMS.map((c) => `-${c}`).join(', ')} FROM old_cells
        ) delta GROUP BY 1, 2, 3`,
     )};
     RETURN NULL;
   END $$;
   CREATE TRIGGER spend_daily_on_insert AFTER INSERT ON spend_hourly REFERENCING NEW TABLE AS new_cells
     FOR EACH STATEMENT EXECUTE FUNCTION spend_daily_inserted();
   CREATE TRIGGER spend_daily_on_update AFTER UPDATE ON spend_hourly REFERENCING OLD TABLE AS old_cells NEW TABLE AS new_cells
     FOR EACH STATEMENT EXECUTE FUNCTION spend_daily_updated();`,
  // counts_hourly: per hour, the rows of each response-cache result (`cache:<result>`, sub-calls
  // included, as SQLite counts them) and the top-level requests that fell back or escalated, so the
  // caching and routing counts read hours, not rows (7 days of 10M rows: 160 ms from the partial
  // indexes). Kept by a statement trigger on ledger, which is insert-only; the backfill reads the
  // ledger once, holding off writers (they retry) until the trigger exists.
  `CREATE TABLE counts_hourly (
     hour bigint NOT NULL,
     what text COLLATE "C" NOT NULL,
     rows bigint NOT NULL,
     PRIMARY KEY (what, hour)
   );
   LOCK TABLE ledger IN SHARE ROW EXCLUSIVE MODE;
   INSERT INTO counts_hourly (hour, what, rows) ${m3Counts('ledger')};
   CREATE FUNCTION counts_hourly_inserted() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
   BEGIN
     INSERT INTO counts_hourly AS h (hour, what, rows)
       ${m3Counts('new_rows')} ORDER BY 2, 1
       ON CONFLICT (what, hour) DO UPDATE SET rows = h.rows + excluded.rows;
     RETURN NULL;
   END $$;
   CREATE TRIGGER counts_hourly_on_insert AFTER INSERT ON ledger REFERENCING NEW TABLE AS new_rows
     FOR EACH STATEMENT EXECUTE FUNCTION counts_hourly_inserted();`,
  // A spend_daily cell is updated by every write statement of its day (with 1,000 keys, about a
  // thousand cells a statement). On full pages each update is a new tuple on another page, faster
  // than vacuum frees them: 10M rows written at 18,000 rows/s left 358 MB for 98k cells, all of it
  // read by a 90-day query. Half-empty pages let more updates stay on their page (HOT) and be pruned
  // there (the same seed then left 234 MB: less, not enough); CLUSTER rewrites the table compact, in
  // (dim, day, key) order (21 MB, 0.6 s).
  `ALTER TABLE spend_daily SET (fillfactor = 50);
   CLUSTER spend_daily USING spend_daily_pkey;`,
  // spend_daily holds closed days only, each written once: the triggers add a cell only for days
  // before spend_daily_sealed.day; the days from there on are read from spend_hourly, and a writer
  // that has moved past a day seals it (seal.ts: one INSERT of the day's hourly sums). Its pages
  // then stay full and compact with no CLUSTER. A late row for a sealed day still updates its cell
  // in place (fillfactor 90 leaves room to do that on the page). The days already in spend_daily
  // stay sealed; the current one is sealed with them and kept up to date as before.
  `CREATE TABLE spend_daily_sealed (
     one boolean PRIMARY KEY DEFAULT true CHECK (one),
     day bigint NOT NULL
   );
   LOCK TABLE spend_hourly IN SHARE ROW EXCLUSIVE MODE;
   INSERT INTO spend_daily_sealed (day) SELECT coalesce(max(day) + 1, 0) FROM spend_daily;
   CREATE OR REPLACE FUNCTION spend_daily_inserted() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
   BEGIN
     ${m2DailyUpsert(`SELECT dim, hour / 24, key, ${m2Sums((c) => c)} FROM new_cells WHERE hour / 24 < (SELECT day FROM spend_daily_sealed) GROUP BY 1, 2, 3`)};
     RETURN NULL;
   END $$;
   CREATE OR REPLACE FUNCTION spend_daily_updated() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
   BEGIN
     ${m2DailyUpsert(
       `SELECT dim, hour / 24, key, ${m2Sums((c) => c)} FROM (
          SELECT dim, hour, key, ${M2_SUMS.join(', ')} FROM new_cells
          UNION ALL SELECT dim, hour, key, ${M2_SUMS.map((c) => `-${c}`).join(', ')} FROM old_cells
        ) delta WHERE hour / 24 < (SELECT day FROM spend_daily_sealed) GROUP BY 1, 2, 3`,
     )};
     RETURN NULL;
   END $$;
   ALTER TABLE spend_daily SET (fillfactor = 90);
   CLUSTER spend_daily USING spend_daily_pkey;`,
  // Prompt optimisation: the input tokens it removed from the request (its dollars are in the
  // baseline). A constant default: no table rewrite.
  `ALTER TABLE ledger ADD COLUMN prompt_tokens_removed bigint NOT NULL DEFAULT 0;`,
  // A time series' `top` ranks the groups of a range by cost alone: read from this index only (the
  // sealed days' pages are all-visible once vacuumed), not from the daily rollup's wide rows. 90 days
  // by key rank 89,000 cells (series.ts). A sealed cell is written once, so the index costs the
  // write path almost nothing.
  `CREATE INDEX spend_daily_cost ON spend_daily (dim, day, key) INCLUDE (cost_pico);`,
  // The right-sizing advisor: exact repeats (the response-cache key's hash), the output cap asked
  // for and how the answer ended. Nullable without a default: no table rewrite.
  `ALTER TABLE ledger ADD COLUMN prompt_hash text;
   ALTER TABLE ledger ADD COLUMN max_tokens bigint;
   ALTER TABLE ledger ADD COLUMN stop_reason text;`,
  // Labels the deployment gives itself (storage/labels): a score per ledger request id (POST
  // /api/feedback; a later score replaces the earlier), and, opt-in (routing.learn.capturePrompts),
  // the text the learned router reads of the requests that get a label source. Both pruned by
  // retention with the ledger rows.
  `CREATE TABLE feedback (
     request_id text COLLATE "C" PRIMARY KEY,
     score      double precision NOT NULL CHECK (score >= 0 AND score <= 1),
     comment    text,
     ts         bigint NOT NULL
   );
   CREATE INDEX feedback_ts ON feedback (ts);
   CREATE TABLE captured_prompts (
     request_id text COLLATE "C" PRIMARY KEY,
     ts         bigint NOT NULL,
     text       text NOT NULL
   );
   CREATE INDEX captured_prompts_ts ON captured_prompts (ts);`,
  // A 90-day spend by key summed 89,000 daily cells (1,000 keys): 75 of its 85 ms were the numeric
  // sums, not the reads. spend_blocks holds the sealed days summed over aligned runs of 2^level days
  // (level 1 … 9: 2 … 512 days, a block starting on a multiple of its length); a range of whole days
  // is then at most two blocks per level plus the top level's (spend_cover), 9 cells a key for 90
  // days instead of 89. Only blocks whose days are all sealed exist: the seal builds each level from
  // the one below as days close (seal.ts), and a late row's change to a sealed day's cell reaches
  // every block holding that day through the statement triggers on spend_daily.
  `CREATE TABLE spend_blocks (
     dim                   text COLLATE "C" NOT NULL,
     level                 smallint NOT NULL CHECK (level BETWEEN 1 AND ${M10_TOP_LEVEL}),
     day                   bigint NOT NULL,
     key                   text COLLATE "C" NOT NULL,
     requests              bigint NOT NULL,
     input_tokens          numeric(38, 0) NOT NULL,
     cache_read_tokens     numeric(38, 0) NOT NULL,
     cache_write_5m_tokens numeric(38, 0) NOT NULL,
     cache_write_1h_tokens numeric(38, 0) NOT NULL,
     output_tokens         numeric(38, 0) NOT NULL,
     cost_pico             numeric(38, 0) NOT NULL,
     baseline_pico         numeric(38, 0) NOT NULL,
     prompt_cache_pico     numeric(38, 0) NOT NULL,
     PRIMARY KEY (dim, level, day, key)
   );
   LOCK TABLE spend_hourly IN SHARE ROW EXCLUSIVE MODE;
   -- The blocks that end in (from_day, to_day], each level summed from the one below (built first).
   CREATE FUNCTION spend_blocks_build(from_day bigint, to_day bigint) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
   DECLARE l integer := 1;
   BEGIN
     ${m10BuildLevel(`spend_daily WHERE dim IN ('model', 'key', 'tag', 'technique')`)};
     FOR l IN 2 .. ${M10_TOP_LEVEL} LOOP
       ${m10BuildLevel(`spend_blocks WHERE dim IN ('model', 'key', 'tag', 'technique') AND level = l - 1`)};
     END LOOP;
   END $$;
   SELECT spend_blocks_build(0, day) FROM spend_daily_sealed;
   CREATE FUNCTION spend_cover(a bigint, b bigint) RETURNS TABLE (level integer, day bigint)
     LANGUAGE sql IMMUTABLE PARALLEL SAFE ROWS 12 AS $$
     SELECT l, s FROM generate_series(0, ${M10_TOP_LEVEL}) l,
       LATERAL (SELECT ((a + (1::bigint << l) - 1) >> l) << l AS lo, ((b >> l) << l) - (1::bigint << l) AS hi) e,
       LATERAL generate_series(e.lo, e.hi, CASE WHEN l = ${M10_TOP_LEVEL} THEN 1::bigint << l ELSE greatest(e.hi - e.lo, 1) END) s
     WHERE s >= a AND s + (1::bigint << l) <= b
       AND (l = ${M10_TOP_LEVEL} OR NOT (((s >> (l + 1)) << (l + 1)) >= a AND ((s >> (l + 1)) << (l + 1)) + (2::bigint << l) <= b))
   $$;
   CREATE FUNCTION spend_blocks_inserted() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
   BEGIN
     ${m10BlocksUpsert(
       `SELECT dim, l, (day >> l) << l, key, ${m10Sums((c) => `sum(${c})`)} FROM new_cells CROSS JOIN generate_series(1, ${M10_TOP_LEVEL}) l
        WHERE ((day >> l) << l) + (1::bigint << l) <= (SELECT day FROM spend_daily_sealed) GROUP BY 1, 2, 3, 4`,
     )};
     RETURN NULL;
   END $$;
   CREATE FUNCTION spend_blocks_updated() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
   BEGIN
     ${m10BlocksUpsert(
       `SELECT dim, l, (day >> l) << l, key, ${m10Sums((c) => `sum(${c})`)} FROM (
          SELECT dim, day, key, ${M2_SUMS.join(', ')} FROM new_cells
          UNION ALL SELECT dim, day, key, ${M2_SUMS.map((c) => `-${c}`).join(', ')} FROM old_cells
        ) delta CROSS JOIN generate_series(1, ${M10_TOP_LEVEL}) l
        WHERE ((day >> l) << l) + (1::bigint << l) <= (SELECT day FROM spend_daily_sealed) GROUP BY 1, 2, 3, 4`,
     )};
     RETURN NULL;
   END $$;
   CREATE TRIGGER spend_blocks_on_insert AFTER INSERT ON spend_daily REFERENCING NEW TABLE AS new_cells
     FOR EACH STATEMENT EXECUTE FUNCTION spend_blocks_inserted();
   CREATE TRIGGER spend_blocks_on_update AFTER UPDATE ON spend_daily REFERENCING OLD TABLE AS old_cells NEW TABLE AS new_cells
     FOR EACH STATEMENT EXECUTE FUNCTION spend_blocks_updated();`,
];

/** The ledger columns a row is written and read with, in the order of `snapshot` (postgres/rows.ts). */
export const COLUMNS = [
  'request_id',
  'ts',
  'tenant',
  'key_id',
  'tags',
  'ingress',
  'endpoint',
  'requested_model',
  'served_model',
  'provider',
  'input_tokens',
  'cache_read_tokens',
  'cache_write_5m_tokens',
  'cache_write_1h_tokens',
  'output_tokens',
  'reasoning_tokens',
  'cost_pico',
  'baseline_pico',
  'latency_ms',
  'status',
  'stream',
  'error_kind',
  'route',
  'technique',
  'parent_id',
  'attempts',
  'cache',
  'prompt_cache_pico',
  'prompt_tokens_removed',
  'prompt_hash',
  'max_tokens',
  'stop_reason',
] as const;

/** The numeric columns that may hold NULL (the batch writes their arrays with NULL elements). */
export const NULLABLE_NUMBERS: ReadonlySet<(typeof COLUMNS)[number]> = new Set(['max_tokens']);

/** PostgreSQL type each entry of COLUMNS travels as in a batch (stream: 0 or 1, stored as boolean). */
export const COLUMN_TYPES: Record<(typeof COLUMNS)[number], 'text' | 'int8' | 'float8' | 'int2'> = {
  request_id: 'text',
  ts: 'int8',
  tenant: 'text',
  key_id: 'text',
  tags: 'text',
  ingress: 'text',
  endpoint: 'text',
  requested_model: 'text',
  served_model: 'text',
  provider: 'text',
  input_tokens: 'int8',
  cache_read_tokens: 'int8',
  cache_write_5m_tokens: 'int8',
  cache_write_1h_tokens: 'int8',
  output_tokens: 'int8',
  reasoning_tokens: 'int8',
  cost_pico: 'int8',
  baseline_pico: 'int8',
  latency_ms: 'float8',
  status: 'int8',
  stream: 'int2',
  error_kind: 'text',
  route: 'text',
  technique: 'text',
  parent_id: 'text',
  attempts: 'text',
  cache: 'text',
  prompt_cache_pico: 'int8',
  prompt_tokens_removed: 'int8',
  prompt_hash: 'text',
  max_tokens: 'int8',
  stop_reason: 'text',
};

/** Summed per rollup cell, in this order, by the batch write and by the spend queries. */
export const SUMS = [
  'requests',
  'input_tokens',
  'cache_read_tokens',
  'cache_write_5m_tokens',
  'cache_write_1h_tokens',
  'output_tokens',
  'cost_pico',
  'baseline_pico',
  'prompt_cache_pico',
] as const;

/** The store's tables, schema-qualified and quoted (queries never depend on search_path). */
export interface Tables {
  schema: string;
  ledger: string;
  tags: string;
  hourly: string;
  daily: string;
  /** spend_daily summed over aligned runs of 2 … 512 sealed days (migration 10). */
  blocks: string;
  /** One row: the first day not (yet) in spend_daily. */
  sealed: string;
  counts: string;
  version: string;
}

export function tables(schema: string): Tables {
  const s = quotedSchema(schema);
  return {
    schema: s,
    ledger: `${s}.ledger`,
    tags: `${s}.ledger_tags`,
    hourly: `${s}.spend_hourly`,
    daily: `${s}.spend_daily`,
    blocks: `${s}.spend_blocks`,
    sealed: `${s}.spend_daily_sealed`,
    counts: `${s}.counts_hourly`,
    version: `${s}.schema_version`,
  };
}

/** A schema name, checked and quoted for SQL text. */
export function quotedSchema(schema: string): string {
  if (typeof schema !== 'string' || schema === '' || Buffer.byteLength(schema) > 63 || schema.includes('\u0000')) {
    throw new Error(`costwise: invalid PostgreSQL schema name ${JSON.stringify(schema)} (1 to 63 bytes)`);
  }
  return `"${schema.replace(/"/g, '""')}"`;
}

/** Thrown when the database holds a newer schema than this build: retrying cannot help. */
export class NewerSchemaError extends Error {
  override readonly name = 'NewerSchemaError';
}

/** Advisory lock class of the ledger's migration lock ('cost'); the schema name's hash is the other half. */
export const LEDGER_LOCK_CLASS = 0x636f7374;
const LOCK_CLASS = LEDGER_LOCK_CLASS;

/**
 * Applies the migrations this schema has not seen yet, in one transaction that first takes a
 * transaction-scoped advisory lock on the schema: replicas starting together apply each migration
 * once, and the later ones find them applied. Creates the schema when it is missing. A role that
 * may only read and write the tables (no CREATE) opens a ledger that is already up to date.
 */
export async function migrate(sql: Sql, schema: string, now: () => number = Date.now): Promise<SchemaVersions> {
  const t = tables(schema);
  return sql.begin(async (tx): Promise<SchemaVersions> => {
    await tx`SELECT pg_advisory_xact_lock(${LOCK_CLASS}::int4, hashtext(${schema}))`;
    // A backfill over a large ledger outlasts the store's statement timeout (10M rows: ~45 s for
    // migrations 2 and 3), and a timed-out migration would only be retried, and time out, forever.
    await tx`SET LOCAL statement_timeout = 0`;
    // Each CREATE only when its object is missing: CREATE … IF NOT EXISTS still needs the privilege.
    const found = await tx`SELECT 1 FROM pg_namespace WHERE nspname = ${schema}`;
    if (found.length === 0) await tx.unsafe(`CREATE SCHEMA ${t.schema}`);
    await tx.unsafe(`SET LOCAL search_path TO ${t.schema}`);
    const [versions] = await tx`SELECT to_regclass(${t.version}) IS NOT NULL AS present`;
    if (versions?.['present'] !== true) await tx.unsafe(`CREATE TABLE ${t.version} (version integer PRIMARY KEY, applied_at bigint NOT NULL)`);
    const [row] = await tx.unsafe<{ v: number | null }[]>(`SELECT max(version) AS v FROM ${t.version}`);
    const current = row?.v ?? 0;
    if (current > MIGRATIONS.length) {
      throw new NewerSchemaError(
        `costwise: PostgreSQL ledger schema ${schema} is at version ${current}, newer than this build understands (${MIGRATIONS.length})`,
      );
    }
    for (let index = current; index < MIGRATIONS.length; index++) {
      await tx.unsafe(MIGRATIONS[index]!);
      await tx.unsafe(`INSERT INTO ${t.version} (version, applied_at) VALUES ($1, $2)`, [index + 1, now()]);
    }
    return { before: current, after: MIGRATIONS.length };
  });
}
