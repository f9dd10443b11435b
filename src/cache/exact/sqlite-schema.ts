// SQLite response-cache schema: its own tables and version table (cache_schema_version), so the
// cache can live in the ledger's file or its own without either touching the other's migrations.
import type Database from 'better-sqlite3';
import type { SchemaVersions } from '../../storage/types.js';
import { applySqliteMigrations } from '../../storage/sqlite-migrations.js';

// Append-only: a released migration is never edited; a schema change is a new entry.
export const CACHE_MIGRATIONS: readonly string[] = [
  // `bytes` is what counts against the bound (value + key/tenant/model text, see sqlite.ts);
  // `size` is the value alone. `value` is ANY so a TEXT stays TEXT and a BLOB a BLOB.
  // cache_totals is kept by triggers, so the bound check is one row read and stays right when
  // another connection writes. A rowid table, not WITHOUT ROWID: rows hold large blobs.
  `CREATE TABLE cache_entries (
     key         TEXT NOT NULL PRIMARY KEY,
     tenant      TEXT NOT NULL,
     model       TEXT NOT NULL,
     created_at  INTEGER NOT NULL,
     expires_at  INTEGER NOT NULL,
     last_access INTEGER NOT NULL,
     size        INTEGER NOT NULL,
     bytes       INTEGER NOT NULL,
     value       ANY NOT NULL
   ) STRICT;
   CREATE INDEX cache_entries_tenant ON cache_entries (tenant);
   CREATE INDEX cache_entries_model ON cache_entries (model);
   CREATE INDEX cache_entries_created ON cache_entries (created_at);
   CREATE INDEX cache_entries_expires ON cache_entries (expires_at);
   CREATE INDEX cache_entries_access ON cache_entries (last_access);
   CREATE TABLE cache_totals (
     id        INTEGER PRIMARY KEY CHECK (id = 1),
     entries   INTEGER NOT NULL,
     bytes     INTEGER NOT NULL,
     evictions INTEGER NOT NULL
   ) STRICT;
   INSERT INTO cache_totals VALUES (1, 0, 0, 0);
   CREATE TRIGGER cache_entries_insert AFTER INSERT ON cache_entries BEGIN
     UPDATE cache_totals SET entries = entries + 1, bytes = bytes + NEW.bytes WHERE id = 1;
   END;
   CREATE TRIGGER cache_entries_delete AFTER DELETE ON cache_entries BEGIN
     UPDATE cache_totals SET entries = entries - 1, bytes = bytes - OLD.bytes WHERE id = 1;
   END;`,
];

/** Connection settings: WAL, and NORMAL sync (a lost last write only costs a cache miss). */
export function configureCache(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
}

/** Applies the migrations this database has not seen yet (see applySqliteMigrations). */
export function migrateCache(db: Database.Database): SchemaVersions {
  return applySqliteMigrations(db, { what: 'cache', versionTable: 'cache_schema_version', migrations: CACHE_MIGRATIONS });
}
