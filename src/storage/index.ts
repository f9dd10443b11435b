// The storage entry point: the two interfaces and the constructors behind them.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { openSqliteStore } from './sqlite.js';
import type { DurableStore } from './types.js';
import { openWorkerSqliteStore } from './worker-store.js';
import { openPostgresStore, type PostgresStoreOptions } from './postgres/index.js';
import { openPostgresScanner } from './postgres/scan.js';
import { openSqliteScanner } from './sqlite-scan.js';
import type { LedgerScanner } from './scan-types.js';
import type { LedgerDatabase } from './migrate.js';

export type * from './types.js';
export { openSqliteStore, type SqliteStoreOptions } from './sqlite.js';
export { openWorkerSqliteStore, type WorkerSqliteStoreOptions } from './worker-store.js';
export { createMemoryState, type MemoryStateOptions } from './memory.js';
export { openPostgresStore, connectPostgresStore, type PostgresStore, type PostgresStoreOptions, type PostgresStoreStats } from './postgres/index.js';

/** Which durable store to open. */
export type DurableStoreConfig =
  | {
      kind: 'sqlite';
      path: string;
      /**
       * true (default, what the gateway uses): SQLite runs in a worker thread, so ledger writes never
       * block the event loop. false: in the calling thread (tools and benches that own the thread).
       */
      worker?: boolean;
    }
  | ({ kind: 'postgres' } & PostgresStoreOptions);

export function openDurableStore(config: DurableStoreConfig): DurableStore {
  switch (config.kind) {
    case 'sqlite':
      if (config.path !== ':memory:' && config.path !== '') {
        mkdirSync(dirname(resolve(config.path)), { recursive: true });
      }
      return config.worker === false ? openSqliteStore({ path: config.path }) : openWorkerSqliteStore({ path: config.path });
    case 'postgres': {
      const { kind: _kind, ...options } = config;
      return openPostgresStore(options);
    }
    default: {
      const unknown: never = config;
      throw new Error(`costwise: unknown durable store kind ${String((unknown as { kind: unknown }).kind)}`);
    }
  }
}

export type { LedgerScanner, LedgerScanQuery } from './scan-types.js';
export { migrateLedgerDatabase, withSqliteFile, type LedgerDatabase } from './migrate.js';
export { pruneLedger, retentionCutoff, startRetention, PRUNE_BATCH_ROWS, type RunningRetention } from './retention.js';

/** A scanner over the ledger a config names (read-only; never creates or migrates anything). */
export function openLedgerScanner(config: LedgerDatabase): LedgerScanner {
  return config.kind === 'sqlite' ? openSqliteScanner(config.path) : openPostgresScanner(config);
}
