// `costwise migrate`: applies every pending migration of the databases the gateway migrates at
// start — the ledger and the key store beside it (PostgreSQL: under the advisory locks replicas
// take), the batch tables, the replicas' prefix-churn reports and the stored Responses API answers
// beside it; with a SQLite ledger the local files (batch database, response store, SQLite response
// cache) — and prints each one's schema version
// before and after. Idempotent: a second run applies nothing.
import { migrateBatchDb } from '../batch/schema.js';
import { batchDbPath } from '../batch/open.js';
import { migrateBatchDatabase } from '../batch/postgres/schema.js';
import { migrateChurnDatabase } from '../promptcache/churn-postgres.js';
import { configureCache, migrateCache } from '../cache/exact/index.js';
import { migrateGovernanceDatabase } from '../governance/index.js';
import { migrateLedgerDatabase, withSqliteFile, type SchemaVersions } from '../storage/index.js';
import { migrateResponsesDatabase } from '../storage/responses/postgres.js';
import { migrateResponsesDb, responsesDbPath } from '../storage/responses/sqlite.js';
import { commandConfig, databaseFailure, describeDatabase, ledgerDatabase, runCommand } from './database.js';

export function runMigrate(opts: { config?: string }): Promise<void> {
  return runCommand(async () => {
    const config = commandConfig(opts.config);
    const db = ledgerDatabase(config);
    const out = (line: string) => process.stdout.write(`${line}\n`);
    out(`costwise migrate: ${describeDatabase(db)}`);
    try {
      out(line('ledger', await migrateLedgerDatabase(db)));
      out(line('keys', await migrateGovernanceDatabase(db)));
      if (db.kind === 'postgres' && config.batch.path === undefined) out(line('batches', await migrateBatchDatabase(db.url, db.schema)));
      if (db.kind === 'postgres') out(line('reports', await migrateChurnDatabase(db.url, db.schema)));
      if (db.kind === 'postgres') out(line('responses', await migrateResponsesDatabase(db.url, db.schema)));
    } catch (err) {
      throw databaseFailure('migrate', db, err);
    }
    if (db.kind === 'postgres') {
      out('  (the spool is local to each replica, in its dataDir: it ships what it holds at start)');
      return;
    }
    const batches = batchDbPath(config);
    if (batches !== ':memory:') out(line('batches', withSqliteFile(batches, migrateBatchDb), batches));
    const responses = responsesDbPath(db.path);
    if (responses !== ':memory:') out(line('responses', withSqliteFile(responses, migrateResponsesDb), responses));
    if (config.cache.backend === 'sqlite' && config.cache.sqlitePath !== ':memory:') {
      out(
        line(
          'cache',
          withSqliteFile(config.cache.sqlitePath, (conn) => {
            configureCache(conn);
            return migrateCache(conn);
          }),
          config.cache.sqlitePath,
        ),
      );
    }
  });
}

function line(what: string, v: SchemaVersions, file?: string): string {
  const applied = v.after - v.before;
  const change = applied === 0 ? `version ${v.after}, up to date` : `version ${v.before} → ${v.after}, ${applied} migration${applied === 1 ? '' : 's'} applied`;
  return `  ${what.padEnd(9)} ${change}${file === undefined ? '' : ` (${file})`}`;
}
