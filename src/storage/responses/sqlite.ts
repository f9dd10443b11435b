// The response store in a SQLite file of its own (beside a SQLite ledger), or in memory.
// Expired responses are deleted as new ones are written.
import { mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { applySqliteMigrations, type SqliteMigrations } from '../sqlite-migrations.js';
import type { SchemaVersions } from '../types.js';
import { RESPONSE_TTL_MS, type ResponseOwner, type ResponseStore, type StoredResponse } from './types.js';

const MIGRATIONS: SqliteMigrations = {
  what: 'response store',
  versionTable: 'responses_schema_version',
  // Append-only.
  migrations: [
    `CREATE TABLE responses (
       id         TEXT PRIMARY KEY,
       tenant     TEXT NOT NULL,
       key_id     TEXT NOT NULL,
       created_at INTEGER NOT NULL,
       expires_at INTEGER NOT NULL,
       response   TEXT NOT NULL,
       input      TEXT NOT NULL
     ) STRICT;
     CREATE INDEX responses_expiry ON responses (expires_at);`,
  ],
};

interface Row {
  id: string;
  tenant: string;
  key_id: string;
  created_at: number;
  response: string;
  input: string;
}

/** The response store's file beside a SQLite ledger (`costwise.db` → `costwise.responses.db`); in memory with an in-memory ledger. */
export function responsesDbPath(ledgerPath: string): string {
  if (ledgerPath === ':memory:' || ledgerPath === '') return ':memory:';
  return join(dirname(ledgerPath), `${basename(ledgerPath).replace(/\.(db|sqlite3?)$/i, '')}.responses.db`);
}

/** Applies the store's pending migrations (at open, and `costwise migrate`). */
export function migrateResponsesDb(db: Database.Database): SchemaVersions {
  db.pragma('journal_mode = WAL');
  return applySqliteMigrations(db, MIGRATIONS);
}

export class SqliteResponseStore implements ResponseStore {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly expire: Database.Statement;
  private readonly select: Database.Statement;
  private readonly remove: Database.Statement;

  constructor(
    path: string,
    private readonly now: () => number = Date.now,
  ) {
    if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
    this.db = new Database(path, { timeout: 5_000 });
    migrateResponsesDb(this.db);
    this.insert = this.db.prepare(
      'INSERT OR REPLACE INTO responses (id, tenant, key_id, created_at, expires_at, response, input) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.expire = this.db.prepare('DELETE FROM responses WHERE expires_at <= ?');
    this.select = this.db.prepare(
      'SELECT id, tenant, key_id, created_at, response, input FROM responses WHERE id = ? AND tenant = ? AND key_id = ? AND expires_at > ?',
    );
    this.remove = this.db.prepare('DELETE FROM responses WHERE id = ? AND tenant = ? AND key_id = ?');
  }

  put(r: StoredResponse): Promise<void> {
    const now = this.now();
    this.expire.run(now);
    this.insert.run(r.id, r.tenant, r.keyId, r.createdAt, r.createdAt + RESPONSE_TTL_MS, JSON.stringify(r.response), JSON.stringify(r.input));
    return Promise.resolve();
  }

  get(id: string, owner: ResponseOwner): Promise<StoredResponse | null> {
    const row = this.select.get(id, owner.tenant, owner.keyId, this.now()) as Row | undefined;
    return Promise.resolve(row ? toStored(row) : null);
  }

  delete(id: string, owner: ResponseOwner): Promise<boolean> {
    return Promise.resolve(this.remove.run(id, owner.tenant, owner.keyId).changes > 0);
  }

  close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }
}

export function toStored(row: Row): StoredResponse {
  return {
    id: row.id,
    tenant: row.tenant,
    keyId: row.key_id,
    createdAt: row.created_at,
    response: JSON.parse(row.response) as Record<string, unknown>,
    input: JSON.parse(row.input) as unknown[],
  };
}
