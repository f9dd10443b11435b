// Migrating the key store on its own (`costwise migrate`): the `gov_` tables beside the ledger, in
// its SQLite file or its PostgreSQL schema, under the lock the replicas take at start.
import Database from 'better-sqlite3';
import { migrateTablesAt } from '../storage/postgres/migrations.js';
import type { SchemaVersions } from '../storage/types.js';
import { GOVERNANCE_TABLES } from './postgres-schema.js';
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
  return await migrateTablesAt(db.url, db.schema, GOVERNANCE_TABLES, opts);
}
