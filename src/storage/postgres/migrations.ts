// Migrations of the tables other modules keep in a PostgreSQL ledger's schema (the key store, the
// batch store, the shared reports): each set has its own version table and advisory lock, so no set
// ever waits on or sees another's, and replicas starting together apply each migration once.
import type { Sql } from 'postgres';
import { withPostgresConnection } from '../migrate.js';
import type { SchemaVersions } from '../types.js';
import { LEDGER_LOCK_CLASS, quotedSchema } from './schema.js';

export { quotedSchema };

export interface TableMigrations {
  /** What the tables hold, for messages: `governance`, `batch`, `churn report`. */
  what: string;
  /** The advisory lock class of this set's migration lock; the schema name's hash is the other half. */
  lockClass: number;
  /** The version table's name, unqualified (`gov_schema_version`). */
  versionTable: string;
  /** Append-only; `%s` stands for the quoted schema. */
  migrations: readonly string[];
}

/**
 * Applies the migrations of `set` this schema has not seen, in one transaction under the set's
 * lock. A missing schema is created under the ledger store's lock as well: the ledger creates the
 * same schema under that lock, so with both locks one creates it while the other waits. A role
 * without CREATE opens a schema that is already up to date.
 */
export async function applyTableMigrations(sql: Sql, schema: string, set: TableMigrations, now: () => number = Date.now): Promise<SchemaVersions> {
  const s = quotedSchema(schema);
  const versions = `${s}.${set.versionTable}`;
  return sql.begin(async (tx): Promise<SchemaVersions> => {
    await tx`SELECT pg_advisory_xact_lock(${set.lockClass}::int4, hashtext(${schema}))`;
    const exists = async () => (await tx`SELECT 1 FROM pg_namespace WHERE nspname = ${schema}`).length > 0;
    if (!(await exists())) {
      await tx`SELECT pg_advisory_xact_lock(${LEDGER_LOCK_CLASS}::int4, hashtext(${schema}))`;
      if (!(await exists())) {
        await tx
          .savepoint((sp) => sp.unsafe(`CREATE SCHEMA IF NOT EXISTS ${s}`))
          .catch((err: unknown) => {
            // 23505 / 42P06: a process that takes neither lock created it between our look and our CREATE.
            if (!['23505', '42P06'].includes(String((err as { code?: unknown }).code))) throw err;
          });
      }
    }
    const [table] = await tx`SELECT to_regclass(${versions}) IS NOT NULL AS present`;
    if (table?.['present'] !== true) await tx.unsafe(`CREATE TABLE ${versions} (version integer PRIMARY KEY, applied_at bigint NOT NULL)`);
    const [row] = await tx.unsafe<Array<{ v: number | null }>>(`SELECT max(version) AS v FROM ${versions}`);
    const current = row?.v ?? 0;
    if (current > set.migrations.length) {
      throw new Error(`costwise: ${set.what} schema ${schema} is at version ${current}, newer than this build understands (${set.migrations.length})`);
    }
    for (let index = current; index < set.migrations.length; index++) {
      await tx.unsafe(set.migrations[index]!.replaceAll('%s', s));
      await tx.unsafe(`INSERT INTO ${versions} (version, applied_at) VALUES ($1, $2)`, [index + 1, now()]);
    }
    return { before: current, after: Math.max(current, set.migrations.length) };
  });
}

/** `costwise migrate`: `set` on a connection of its own, closed afterwards. */
export function migrateTablesAt(url: string, schema: string, set: TableMigrations, opts: { connectTimeoutMs?: number } = {}): Promise<SchemaVersions> {
  return withPostgresConnection(url, opts, (sql) => applyTableMigrations(sql, schema, set));
}
