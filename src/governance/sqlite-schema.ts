// Tables of the SQLite key/team store. They live in the ledger's database file next to its own
// tables, under a `gov_` prefix and with their own schema version table (the ledger's migrations
// never see them). Append-only: a released migration is never edited.
import type Database from 'better-sqlite3';
import type { SchemaVersions } from '../storage/types.js';
import { applySqliteMigrations } from '../storage/sqlite-migrations.js';

const MIGRATIONS: readonly string[] = [
  // gov_state holds the one change version; every write bumps it and stamps the row it wrote, so
  // change polling is `SELECT version FROM gov_state` and fetching changes an index range scan.
  // gov_removed remembers deletions (tombstones) for replicas that have not seen them yet.
  `CREATE TABLE gov_state (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL) STRICT;
   INSERT INTO gov_state (id, version) VALUES (1, 0);
   CREATE TABLE gov_keys (
     id                  TEXT PRIMARY KEY,
     hash                TEXT NOT NULL UNIQUE,
     display_prefix      TEXT NOT NULL,
     name                TEXT NOT NULL,
     team_id             TEXT,
     tenant              TEXT NOT NULL,
     allow_tenant_header INTEGER NOT NULL,
     models              TEXT NOT NULL,
     budgets             TEXT NOT NULL,
     rpm                 INTEGER,
     tpm                 INTEGER,
     tags                TEXT NOT NULL,
     expires_at          INTEGER,
     enabled             INTEGER NOT NULL,
     on_budget           TEXT NOT NULL,
     created_at          INTEGER NOT NULL,
     revoked_at          INTEGER,
     metadata            TEXT NOT NULL,
     version             INTEGER NOT NULL
   ) STRICT;
   CREATE INDEX gov_keys_version ON gov_keys (version);
   CREATE INDEX gov_keys_team ON gov_keys (team_id) WHERE team_id IS NOT NULL;
   CREATE TABLE gov_teams (
     id         TEXT PRIMARY KEY,
     name       TEXT NOT NULL,
     parent_id  TEXT,
     budgets    TEXT NOT NULL,
     rpm        INTEGER,
     tpm        INTEGER,
     created_at INTEGER NOT NULL,
     metadata   TEXT NOT NULL,
     version    INTEGER NOT NULL
   ) STRICT;
   CREATE INDEX gov_teams_version ON gov_teams (version);
   CREATE TABLE gov_removed (
     kind    TEXT NOT NULL CHECK (kind IN ('key', 'team')),
     id      TEXT NOT NULL,
     version INTEGER NOT NULL,
     PRIMARY KEY (kind, id)
   ) STRICT, WITHOUT ROWID;
   CREATE INDEX gov_removed_version ON gov_removed (version);`,
];

export const KEY_COLUMNS = `id, hash, display_prefix, name, team_id, tenant, allow_tenant_header, models, budgets, rpm, tpm,
  tags, expires_at, enabled, on_budget, created_at, revoked_at, metadata, version`;
export const TEAM_COLUMNS = `id, name, parent_id, budgets, rpm, tpm, created_at, metadata, version`;

/** Connection settings: WAL (the ledger's worker writes the same file), a busy timeout set at open. */
export function configure(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
}

/** Applies the migrations this database has not seen yet (see applySqliteMigrations). */
export function migrate(db: Database.Database): SchemaVersions {
  return applySqliteMigrations(db, { what: 'governance', versionTable: 'gov_schema_version', migrations: MIGRATIONS });
}
