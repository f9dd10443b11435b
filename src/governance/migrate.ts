// Migrating the key store on its own (`costwise migrate`): the `gov_` tables beside the ledger, in
// its SQLite file or its PostgreSQL schema, under the lock the replicas take at start.
import Database from 'better-sqlite3';
import postgres from 'postgres';
import type { SchemaVersions } from '../storage/types.js';
import { migrate as migratePostgres } from './postgres-schema.js';
import { configure, migrate as migrateSqlite } from './sqlite-schema.js';

export async function migrateGovernanceDatabase(
  db: { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; schema: string },
  opts: { connectTimeoutMs?: number } = {},
): Promise<SchemaVersions> {
  if (db.kind === 'sqlite') {
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
