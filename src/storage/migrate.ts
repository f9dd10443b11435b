// Migrating a ledger database on its own (`costwise migrate`): what a store does when it opens,
// without opening one. PostgreSQL: under the same advisory lock the replicas take at start.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import postgres, { type Sql } from 'postgres';
import { migrate as migratePostgres } from './postgres/schema.js';
import { configure, migrate as migrateSqlite } from './sqlite-schema.js';
import type { SchemaVersions } from './types.js';

export type LedgerDatabase = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; schema: string };

export function migrateLedgerDatabase(db: LedgerDatabase, opts: { connectTimeoutMs?: number } = {}): Promise<SchemaVersions> {
  if (db.kind === 'sqlite') {
    return Promise.resolve(
      withSqliteFile(db.path, (conn) => {
        configure(conn);
        return migrateSqlite(conn);
      }),
    );
  }
  return withPostgresConnection(db.url, opts, (sql) => migratePostgres(sql, db.schema));
}

/** `use` on the SQLite file at `path` (created, with its folder, when missing), closed afterwards. */
export function withSqliteFile<T>(path: string, use: (db: Database.Database) => T): T {
  mkdirSync(dirname(resolve(path)), { recursive: true });
  const db = new Database(path, { timeout: 5_000 });
  try {
    return use(db);
  } finally {
    db.close();
  }
}

/** `use` on one PostgreSQL connection of its own, ended afterwards (`costwise migrate` and friends). */
export async function withPostgresConnection<T>(url: string, opts: { connectTimeoutMs?: number }, use: (sql: Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, connect_timeout: Math.ceil((opts.connectTimeoutMs ?? 10_000) / 1000), onnotice: () => undefined });
  try {
    return await use(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}
