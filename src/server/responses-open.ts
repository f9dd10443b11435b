// Which response store a gateway uses: tables in a PostgreSQL ledger's schema (every replica sees
// every stored response), else a SQLite file beside the ledger (`costwise.db` →
// `costwise.responses.db`), in memory with an in-memory ledger.
import type { Sql } from 'postgres';
import type { Config } from '../config/schema.js';
import { PostgresResponseStore } from '../storage/responses/postgres.js';
import { responsesDbPath, SqliteResponseStore } from '../storage/responses/sqlite.js';
import type { ResponseStore } from '../storage/responses/types.js';

/** `postgres`: the gateway's PostgreSQL client, shared with the ledger (its owner closes it). */
export async function openResponseStore(config: Config, now: () => number, postgres?: Sql): Promise<ResponseStore> {
  const ledger = config.storage.ledger;
  if (ledger.kind === 'postgres') return PostgresResponseStore.open({ url: ledger.url, schema: ledger.schema, now, ...(postgres ? { sql: postgres } : {}) });
  return new SqliteResponseStore(responsesDbPath(ledger.path), now);
}
