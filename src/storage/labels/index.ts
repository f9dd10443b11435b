// Which label store (types.ts): beside the ledger the config names, in the same database.
import type { Sql } from 'postgres';
import type { LedgerDatabase } from '../migrate.js';
import { openPostgresLabelReader, PostgresLabelStore } from './postgres.js';
import { openSqliteLabelReader, SqliteLabelStore } from './sqlite.js';
import type { LabelReader, LabelStore } from './types.js';

export type * from './types.js';

/**
 * The gateway's store. PostgreSQL: on the gateway's pool, in the schema the ledger store has
 * migrated already. SQLite: a connection of its own to the ledger file (migrating it if need be).
 */
export function openLabelStore(db: LedgerDatabase, postgres?: Sql): LabelStore {
  if (db.kind === 'sqlite') return new SqliteLabelStore(db.path);
  if (postgres === undefined) throw new Error('costwise: a PostgreSQL label store needs the gateway pool');
  return new PostgresLabelStore(postgres, db.schema, false);
}

/** A reader for the commands (read-only; never creates or migrates anything). */
export function openLabelReader(db: LedgerDatabase): Promise<LabelReader> {
  return db.kind === 'sqlite' ? Promise.resolve(openSqliteLabelReader(db.path)) : openPostgresLabelReader(db);
}
