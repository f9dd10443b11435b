// SQLite ledger schema: the tables, their migrations, and the constants the queries share.
import type Database from 'better-sqlite3';
import type { SchemaVersions } from './types.js';
import { applySqliteMigrations } from './sqlite-migrations.js';

/** The tag key under which rows without tags are counted. */
export const UNTAGGED = '(untagged)';
/** Granularity of the spend_hourly rollup. */
export const HOUR_MS = 3_600_000;

/** The rollup dimensions (spend by day reads the 'model' rows). */
export type Dim = 'model' | 'key' | 'tag' | 'technique';
/** The technique key under which rows without one (served as asked) are counted. */
export const NO_TECHNIQUE = '(none)';

// Append-only: a released migration is never edited; a schema change is a new entry.
export const MIGRATIONS: readonly string[] = [
  // ledger.id is an explicit INTEGER PRIMARY KEY, so VACUUM cannot renumber what ledger_tags
  // refers to. spend_hourly holds, per hour, one row per served model, key and tag (UNTAGGED for
  // rows without tags); money there is split into micro-dollars and pico remainder like the sums.
  // No (served_model, ts) / (key_id, ts) indexes: spend reads the rollup, and those two indexes
  // cost ~40% of the write time (measured); add them in a new migration when a query needs them.
  `CREATE TABLE ledger (
     id                    INTEGER PRIMARY KEY,
     request_id            TEXT NOT NULL UNIQUE,
     ts                    INTEGER NOT NULL,
     tenant                TEXT NOT NULL,
     key_id                TEXT NOT NULL,
     tags                  TEXT NOT NULL,
     ingress               TEXT NOT NULL,
     endpoint              TEXT NOT NULL,
     requested_model       TEXT NOT NULL,
     served_model          TEXT NOT NULL,
     provider              TEXT NOT NULL,
     input_tokens          INTEGER NOT NULL,
     cache_read_tokens     INTEGER NOT NULL,
     cache_write_5m_tokens INTEGER NOT NULL,
     cache_write_1h_tokens INTEGER NOT NULL,
     output_tokens         INTEGER NOT NULL,
     reasoning_tokens      INTEGER NOT NULL,
     cost_pico             INTEGER NOT NULL,
     baseline_pico         INTEGER NOT NULL,
     latency_ms            REAL NOT NULL,
     status                INTEGER NOT NULL,
     stream                INTEGER NOT NULL,
     error_kind            TEXT
   ) STRICT;
   CREATE INDEX ledger_ts ON ledger (ts);
   CREATE TABLE ledger_tags (
     ledger_id INTEGER NOT NULL REFERENCES ledger (id),
     tag       TEXT NOT NULL,
     PRIMARY KEY (ledger_id, tag)
   ) STRICT, WITHOUT ROWID;
   CREATE INDEX ledger_tags_tag ON ledger_tags (tag);
   CREATE TABLE spend_hourly (
     dim                   TEXT NOT NULL CHECK (dim IN ('model', 'key', 'tag')),
     hour                  INTEGER NOT NULL,
     key                   TEXT NOT NULL,
     requests              INTEGER NOT NULL,
     input_tokens          INTEGER NOT NULL,
     cache_read_tokens     INTEGER NOT NULL,
     cache_write_5m_tokens INTEGER NOT NULL,
     cache_write_1h_tokens INTEGER NOT NULL,
     output_tokens         INTEGER NOT NULL,
     cost_micro            INTEGER NOT NULL,
     cost_rem              INTEGER NOT NULL,
     baseline_micro        INTEGER NOT NULL,
     baseline_rem          INTEGER NOT NULL,
     PRIMARY KEY (dim, hour, key)
   ) STRICT, WITHOUT ROWID;`,
  // Routing: the route reason, the technique a saving is attributed to, billed sub-calls linked
  // to their request (parent_id), the attempt trace; a 'technique' rollup dimension (the CHECK
  // forces a rebuild of spend_hourly), backfilled from the rows already there.
  `ALTER TABLE ledger ADD COLUMN route TEXT NOT NULL DEFAULT '';
   ALTER TABLE ledger ADD COLUMN technique TEXT;
   ALTER TABLE ledger ADD COLUMN parent_id TEXT;
   ALTER TABLE ledger ADD COLUMN attempts TEXT;
   CREATE TABLE spend_hourly_v2 (
     dim                   TEXT NOT NULL CHECK (dim IN ('model', 'key', 'tag', 'technique')),
     hour                  INTEGER NOT NULL,
     key                   TEXT NOT NULL,
     requests              INTEGER NOT NULL,
     input_tokens          INTEGER NOT NULL,
     cache_read_tokens     INTEGER NOT NULL,
     cache_write_5m_tokens INTEGER NOT NULL,
     cache_write_1h_tokens INTEGER NOT NULL,
     output_tokens         INTEGER NOT NULL,
     cost_micro            INTEGER NOT NULL,
     cost_rem              INTEGER NOT NULL,
     baseline_micro        INTEGER NOT NULL,
     baseline_rem          INTEGER NOT NULL,
     PRIMARY KEY (dim, hour, key)
   ) STRICT, WITHOUT ROWID;
   INSERT INTO spend_hourly_v2 SELECT * FROM spend_hourly;
   DROP TABLE spend_hourly;
   ALTER TABLE spend_hourly_v2 RENAME TO spend_hourly;
   INSERT INTO spend_hourly
     SELECT 'technique', ts / ${HOUR_MS}, CASE WHEN baseline_pico <> cost_pico THEN 'routing' ELSE '(none)' END,
       count(*), sum(input_tokens), sum(cache_read_tokens), sum(cache_write_5m_tokens),
       sum(cache_write_1h_tokens), sum(output_tokens), sum(cost_pico / 1000000), sum(cost_pico % 1000000),
       sum(baseline_pico / 1000000), sum(baseline_pico % 1000000)
     FROM ledger GROUP BY 1, 2, 3;`,
  // Response cache: the lookup result per request (hit rates need the misses too).
  `ALTER TABLE ledger ADD COLUMN cache TEXT;`,
  // Prompt caching's share of each saving, summed like the other money columns.
  `ALTER TABLE ledger ADD COLUMN prompt_cache_pico INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE spend_hourly ADD COLUMN prompt_cache_micro INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE spend_hourly ADD COLUMN prompt_cache_rem INTEGER NOT NULL DEFAULT 0;`,
  // Dashboard reads (sqlite-dashboard.ts). Partial indexes, so a row pays only for the ones it is in:
  // sub-calls of a request; response-cache results by kind in time order (hit rates, the cache
  // filter); the rare routes that fell back or escalated (their rates).
  `CREATE INDEX ledger_parent ON ledger (parent_id) WHERE parent_id IS NOT NULL;
   CREATE INDEX ledger_cache ON ledger (cache, ts) WHERE cache IS NOT NULL;
   CREATE INDEX ledger_fallback ON ledger (ts) WHERE instr(route, 'fallback:') > 0;
   CREATE INDEX ledger_escalated ON ledger (ts) WHERE instr(route, ':escalated') > 0;`,
  // Prompt optimisation: the input tokens it removed from the request (its dollars are in the baseline).
  `ALTER TABLE ledger ADD COLUMN prompt_tokens_removed INTEGER NOT NULL DEFAULT 0;`,
  // 7 is PostgreSQL's index-only ranking of the daily rollup (spend_daily_cost); SQLite's ranking
  // reads its hourly rollup and needs none. Kept so that both ledgers number their versions alike.
  `SELECT 1;`,
  // The right-sizing advisor: exact repeats (the response-cache key's hash), the output cap asked
  // for and how the answer ended. Nullable, no default to fill: no table rewrite.
  `ALTER TABLE ledger ADD COLUMN prompt_hash TEXT;
   ALTER TABLE ledger ADD COLUMN max_tokens INTEGER;
   ALTER TABLE ledger ADD COLUMN stop_reason TEXT;`,
  // Labels the deployment gives itself (storage/labels): a score per ledger request id (POST
  // /api/feedback; a later score replaces the earlier), and, opt-in (routing.learn.capturePrompts),
  // the text the learned router reads of the requests that get a label source. Both pruned by
  // retention with the ledger rows.
  `CREATE TABLE feedback (
     request_id TEXT PRIMARY KEY,
     score      REAL NOT NULL CHECK (score >= 0 AND score <= 1),
     comment    TEXT,
     ts         INTEGER NOT NULL
   ) STRICT;
   CREATE INDEX feedback_ts ON feedback (ts);
   CREATE TABLE captured_prompts (
     request_id TEXT PRIMARY KEY,
     ts         INTEGER NOT NULL,
     text       TEXT NOT NULL
   ) STRICT;
   CREATE INDEX captured_prompts_ts ON captured_prompts (ts);`,
  // 10 is PostgreSQL's spend_blocks (its rollup summed over aligned runs of days); SQLite reads its
  // spend from its own rollups and needs none. Kept so that both ledgers number their versions alike.
  `SELECT 1;`,
];

/** The ledger columns a row is written and read with, in the order of `encode` (sqlite-rows.ts). */
export const COLUMNS = `request_id, ts, tenant, key_id, tags, ingress, endpoint, requested_model, served_model,
  provider, input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens,
  output_tokens, reasoning_tokens, cost_pico, baseline_pico, latency_ms, status, stream, error_kind,
  route, technique, parent_id, attempts, cache, prompt_cache_pico, prompt_tokens_removed, prompt_hash,
  max_tokens, stop_reason`;
export const COLUMN_COUNT = 32;

/** Summed per bucket, in this order, by the rollup and by every spend query arm. */
export const SUMS = [
  'requests',
  'input_tokens',
  'cache_read_tokens',
  'cache_write_5m_tokens',
  'cache_write_1h_tokens',
  'output_tokens',
  'cost_micro',
  'cost_rem',
  'baseline_micro',
  'baseline_rem',
  'prompt_cache_micro',
  'prompt_cache_rem',
] as const;

/** Connection settings every store connection uses. */
export function configure(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -32768'); // 32 MiB: keeps the request_id index hot for random ids
}

/** Applies the migrations this database has not seen yet (see applySqliteMigrations). */
export function migrate(db: Database.Database): SchemaVersions {
  return applySqliteMigrations(db, { what: 'database', versionTable: 'schema_version', migrations: MIGRATIONS });
}
