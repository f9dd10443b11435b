// The batch database's tables (its own SQLite file, beside the ledger). Append-only migrations:
// a released entry is never edited; a schema change is a new entry.
import type Database from 'better-sqlite3';
import type { SchemaVersions } from '../storage/types.js';

export const BATCH_MIGRATIONS: readonly string[] = [
  `CREATE TABLE files (
     id         TEXT PRIMARY KEY,
     purpose    TEXT NOT NULL,
     filename   TEXT NOT NULL,
     bytes      INTEGER NOT NULL,
     lines      INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     key_id     TEXT NOT NULL,
     batch_id   TEXT,
     content    BLOB NOT NULL
   ) STRICT;
   CREATE TABLE batches (
     id                  TEXT PRIMARY KEY,
     format              TEXT NOT NULL CHECK (format IN ('openai', 'anthropic')),
     state               TEXT NOT NULL,
     endpoint            TEXT NOT NULL,
     models              TEXT NOT NULL,
     input_file_id       TEXT,
     output_file_id      TEXT,
     error_file_id       TEXT,
     total               INTEGER NOT NULL,
     estimate            TEXT NOT NULL,
     metadata            TEXT,
     line_errors         TEXT NOT NULL,
     tenant              TEXT NOT NULL,
     key_id              TEXT NOT NULL,
     tags                TEXT NOT NULL,
     forward_headers     TEXT NOT NULL,
     created_at          INTEGER NOT NULL,
     approved_at         INTEGER,
     in_progress_at      INTEGER,
     cancel_requested_at INTEGER,
     ended_at            INTEGER,
     expires_at          INTEGER NOT NULL,
     origin              TEXT NOT NULL
   ) STRICT;
   CREATE INDEX batches_state ON batches (state);
   CREATE TABLE items (
     batch_id           TEXT NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
     seq                INTEGER NOT NULL,
     custom_id          TEXT NOT NULL,
     upstream_custom_id TEXT NOT NULL,
     request            TEXT NOT NULL,
     route              TEXT NOT NULL CHECK (route IN ('native', 'pipeline', 'none')),
     deployment_key     TEXT,
     served_model       TEXT,
     requested_model    TEXT,
     technique          TEXT,
     route_reason       TEXT,
     state              TEXT NOT NULL,
     provider_batch_id  TEXT,
     result             TEXT,
     cost_pico          INTEGER NOT NULL DEFAULT 0,
     baseline_pico      INTEGER NOT NULL DEFAULT 0,
     billed             INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (batch_id, seq),
     UNIQUE (batch_id, custom_id)
   ) STRICT;
   CREATE INDEX items_state ON items (state, batch_id);
   CREATE INDEX items_provider_batch ON items (provider_batch_id);
   CREATE TABLE provider_batches (
     id             TEXT PRIMARY KEY,
     batch_id       TEXT NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
     provider_name  TEXT NOT NULL,
     kind           TEXT NOT NULL CHECK (kind IN ('openai', 'anthropic')),
     deployment_key TEXT NOT NULL,
     state          TEXT NOT NULL,
     upstream_id    TEXT,
     items          INTEGER NOT NULL,
     created_at     INTEGER NOT NULL,
     cancel_sent    INTEGER NOT NULL DEFAULT 0
   ) STRICT;
   CREATE INDEX provider_batches_state ON provider_batches (state);
   CREATE TABLE jobs (
     id             TEXT PRIMARY KEY,
     batch_id       TEXT NOT NULL,
     custom_id      TEXT NOT NULL,
     format         TEXT NOT NULL,
     created_at     INTEGER NOT NULL,
     not_after      INTEGER NOT NULL,
     webhook_state  TEXT NOT NULL
   ) STRICT;
   CREATE INDEX jobs_webhook ON jobs (webhook_state);`,
  // Budget reservations a batch holds until it ends: one for a whole batch (seq NULL), or one per
  // deferred request (its item's seq). The reservation is JSON, amounts as decimal strings.
  `CREATE TABLE budget_holds (
     id          TEXT PRIMARY KEY,
     batch_id    TEXT NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
     seq         INTEGER,
     reservation TEXT NOT NULL
   ) STRICT;
   CREATE INDEX budget_holds_batch ON budget_holds (batch_id);`,
];

export function migrateBatchDb(db: Database.Database): SchemaVersions {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // One IMMEDIATE transaction that reads the version inside it: two processes opening a new
  // database at once must not both see version 0 and both create the tables.
  return db
    .transaction((): SchemaVersions => {
      const version = db.pragma('user_version', { simple: true }) as number;
      for (let v = version; v < BATCH_MIGRATIONS.length; v++) {
        db.exec(BATCH_MIGRATIONS[v]!);
        db.pragma(`user_version = ${v + 1}`);
      }
      return { before: version, after: Math.max(version, BATCH_MIGRATIONS.length) };
    })
    .immediate();
}
