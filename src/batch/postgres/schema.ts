// Tables of the PostgreSQL batch store. They live in the ledger's schema under a `batch_` prefix,
// with their own version table and migration lock, so the ledger's and the key store's migrations
// never see them. The columns are the SQLite batch database's (../schema.ts) with native types
// (bigint epoch ms and pico-dollars, bytea file content, boolean flags; JSON stays text, read by
// the same row mapping), plus the leases: `lease_owner` (a replica's id) and `lease_expires_at`.
import type { Sql } from 'postgres';
import { applyTableMigrations, migrateTablesAt, quotedSchema, type TableMigrations } from '../../storage/postgres/migrations.js';
import type { SchemaVersions } from '../../storage/types.js';

// Append-only: a released migration is never edited; a schema change is a new entry. `%s` is the
// quoted schema.
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE %s.batch_files (
     id         text COLLATE "C" PRIMARY KEY,
     purpose    text NOT NULL,
     filename   text NOT NULL,
     bytes      bigint NOT NULL,
     lines      bigint NOT NULL,
     created_at bigint NOT NULL,
     key_id     text COLLATE "C" NOT NULL,
     batch_id   text COLLATE "C",
     content    bytea NOT NULL
   );
   CREATE TABLE %s.batches (
     id                  text COLLATE "C" PRIMARY KEY,
     format              text NOT NULL CHECK (format IN ('openai', 'anthropic')),
     state               text NOT NULL,
     endpoint            text NOT NULL,
     models              text NOT NULL,
     input_file_id       text COLLATE "C",
     output_file_id      text COLLATE "C",
     error_file_id       text COLLATE "C",
     total               bigint NOT NULL,
     estimate            text NOT NULL,
     metadata            text,
     line_errors         text NOT NULL,
     tenant              text COLLATE "C" NOT NULL,
     key_id              text COLLATE "C" NOT NULL,
     tags                text NOT NULL,
     forward_headers     text NOT NULL,
     created_at          bigint NOT NULL,
     approved_at         bigint,
     in_progress_at      bigint,
     cancel_requested_at bigint,
     ended_at            bigint,
     expires_at          bigint NOT NULL,
     origin              text NOT NULL,
     lease_owner         text,
     lease_expires_at    bigint
   );
   CREATE INDEX batches_state ON %s.batches (state, created_at);
   CREATE INDEX batches_list ON %s.batches (key_id, created_at, id) WHERE origin = 'api';
   CREATE TABLE %s.batch_items (
     batch_id           text COLLATE "C" NOT NULL REFERENCES %s.batches (id) ON DELETE CASCADE,
     seq                bigint NOT NULL,
     custom_id          text COLLATE "C" NOT NULL,
     upstream_custom_id text COLLATE "C" NOT NULL,
     request            text NOT NULL,
     route              text NOT NULL CHECK (route IN ('native', 'pipeline', 'none')),
     deployment_key     text,
     served_model       text,
     requested_model    text,
     technique          text,
     route_reason       text,
     state              text NOT NULL,
     provider_batch_id  text COLLATE "C",
     result             text,
     cost_pico          bigint NOT NULL DEFAULT 0,
     baseline_pico      bigint NOT NULL DEFAULT 0,
     billed             boolean NOT NULL DEFAULT false,
     PRIMARY KEY (batch_id, seq),
     UNIQUE (batch_id, custom_id)
   );
   CREATE INDEX batch_items_state ON %s.batch_items (batch_id, state);
   CREATE INDEX batch_items_provider_batch ON %s.batch_items (provider_batch_id) WHERE provider_batch_id IS NOT NULL;
   CREATE INDEX batch_items_unbilled ON %s.batch_items (batch_id) WHERE NOT billed AND state = 'succeeded';
   CREATE TABLE %s.batch_provider_batches (
     id             text COLLATE "C" PRIMARY KEY,
     batch_id       text COLLATE "C" NOT NULL REFERENCES %s.batches (id) ON DELETE CASCADE,
     provider_name  text NOT NULL,
     kind           text NOT NULL CHECK (kind IN ('openai', 'anthropic')),
     deployment_key text NOT NULL,
     state          text NOT NULL,
     upstream_id    text COLLATE "C",
     items          bigint NOT NULL,
     created_at     bigint NOT NULL,
     cancel_sent    boolean NOT NULL DEFAULT false
   );
   CREATE INDEX batch_provider_batches_state ON %s.batch_provider_batches (state, created_at);
   CREATE TABLE %s.batch_jobs (
     id               text COLLATE "C" PRIMARY KEY,
     batch_id         text COLLATE "C" NOT NULL,
     custom_id        text COLLATE "C" NOT NULL,
     format           text NOT NULL,
     created_at       bigint NOT NULL,
     not_after        bigint NOT NULL,
     webhook_state    text NOT NULL,
     lease_owner      text,
     lease_expires_at bigint
   );
   CREATE INDEX batch_jobs_webhook ON %s.batch_jobs (webhook_state) WHERE webhook_state = 'waiting';
   CREATE TABLE %s.batch_holds (
     id          text COLLATE "C" PRIMARY KEY,
     batch_id    text COLLATE "C" NOT NULL REFERENCES %s.batches (id) ON DELETE CASCADE,
     seq         bigint,
     reservation text NOT NULL
   );
   CREATE INDEX batch_holds_batch ON %s.batch_holds (batch_id);`,
];

export { quotedSchema };

/** The batch tables, schema-qualified (`s` is the quoted schema). */
export interface BatchTables {
  files: string;
  batches: string;
  items: string;
  pbs: string;
  jobs: string;
  holds: string;
}

export function batchTables(s: string): BatchTables {
  return {
    files: `${s}.batch_files`,
    batches: `${s}.batches`,
    items: `${s}.batch_items`,
    pbs: `${s}.batch_provider_batches`,
    jobs: `${s}.batch_jobs`,
    holds: `${s}.batch_holds`,
  };
}

/** The batch tables' own version table and migration lock ('btch'). */
export const BATCH_TABLES: TableMigrations = { what: 'batch', lockClass: 0x62746368, versionTable: 'batch_schema_version', migrations: MIGRATIONS };

/** Applies the batch migrations this schema has not seen yet (see applyTableMigrations). */
export function migrate(sql: Sql, schema: string, now: () => number = Date.now): Promise<SchemaVersions> {
  return applyTableMigrations(sql, schema, BATCH_TABLES, now);
}

/** `costwise migrate`: the batch tables of a PostgreSQL ledger's schema, on a connection of its own. */
export function migrateBatchDatabase(url: string, schema: string): Promise<SchemaVersions> {
  return migrateTablesAt(url, schema, BATCH_TABLES);
}
