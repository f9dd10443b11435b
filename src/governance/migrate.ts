// Migrating the key store on its own (`costwise migrate`): the `gov_` tables beside the ledger, in
// its SQLite file or its PostgreSQL schema, under the lock the replicas take at start.
import { withSqliteFile } from '../storage/migrate.js';
import { migrateTablesAt } from '../storage/postgres/migrations.js';
import type { SchemaVersions } from '../storage/types.js';
import { GOVERNANCE_TABLES } from './postgres-schema.js';
import { configure, migrate as migrateSqlite } from './sqlite-schema.js';

export function migrateGovernanceDatabase(
  db: { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; schema: string },
  opts: { connectTimeoutMs?: number } = {},
): Promise<SchemaVersions> {
  if (db.kind === 'sqlite') {
    return Promise.resolve(
      withSqliteFile(db.path, (conn) => {
        configure(conn);
        return migrateSqlite(conn);
      }),
    );
  }
  return migrateTablesAt(db.url, db.schema, GOVERNANCE_TABLES, opts);
}
