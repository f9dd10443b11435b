// Which batch store a gateway uses: PostgreSQL beside a PostgreSQL ledger (every replica sees every
// batch), else the SQLite batch database of this process.
import { basename, dirname, join } from 'node:path';
import type { Sql } from 'postgres';
import type { Config } from '../config/schema.js';
import { openPostgresBatchStore } from './postgres/store.js';
import { SqliteBatchStore } from './sqlite-store.js';
import type { BatchStore } from './store.js';

/** `postgres`: the gateway's shared client for a PostgreSQL ledger (else the store opens its own). */
export async function openBatchStore(config: Config, postgres?: Sql): Promise<BatchStore> {
  const ledger = config.storage.ledger;
  if (ledger.kind === 'postgres' && config.batch.path === undefined) {
    const store = openPostgresBatchStore({ url: ledger.url, schema: ledger.schema, ...(postgres ? { sql: postgres } : {}) });
    try {
      await store.ready();
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }
  return new SqliteBatchStore(batchDbPath(config));
}

/**
 * `batch.path`, else the ledger's file name with `.batches.db` (`.costwise/costwise.db` →
 * `.costwise/costwise.batches.db`), so gateways with different ledgers never share batch state;
 * in memory with an in-memory ledger.
 */
export function batchDbPath(config: Config): string {
  if (config.batch.path) return config.batch.path;
  if (config.storage.ledger.kind !== 'sqlite') return join(config.storage.dataDir, 'batches.db');
  const ledger = config.storage.ledger.path;
  if (ledger === ':memory:' || ledger === '') return ':memory:';
  return join(dirname(ledger), `${basename(ledger).replace(/\.(db|sqlite3?)$/i, '')}.batches.db`);
}
