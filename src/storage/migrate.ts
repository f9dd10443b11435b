// Migrating a ledger database on its own (`costwise migrate`): what a store does when it opens,
// without opening one. PostgreSQL: under the same advisory lock the replicas take at start.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import postgres from 'postgres';
import { migrate as migratePostgres } from './postgres/schema.js';
import { configure, migrate as migrateSqlite } from './sqlite-schema.js';
import type { SchemaVersions } from './types.js';

export type LedgerDatabase = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; schema: string };

export async function migrateLedgerDatabase(db: LedgerDatabase, opts: { connectTimeoutMs?: number } = {}): Promise<SchemaVersions> {
  if (db.kind === 'sqlite') {
    mkdirSync(dirname(resolve(db.path)), { recursive: true });
    const conn = new Database(db.path, { timeout: 5_000 });
    try {
      configure(conn);
      return migrateSqlite(conn);
    } finally {
      conn.close();
    }
  }
  const sql = postgres(db.url, { max: 1, connect_timeout: Math.ceil((opts.connectTimeoutMs ?? 10_000) / 1000), onnotice: () => undefined });
  try {
    return await migratePostgres(sql, db.schema);
  } finally {
    await sql.end({ timeout: 5 });
  }
}
