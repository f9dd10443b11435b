// The storage entry point: the two interfaces and the constructors behind them.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { openSqliteStore } from './sqlite.js';
import type { DurableStore } from './types.js';

export type * from './types.js';
export { openSqliteStore, type SqliteStoreOptions } from './sqlite.js';
export { createMemoryState, type MemoryStateOptions } from './memory.js';

/** Which durable store to open (PostgreSQL joins this union later). */
export type DurableStoreConfig = { kind: 'sqlite'; path: string };

export function openDurableStore(config: DurableStoreConfig): DurableStore {
  switch (config.kind) {
    case 'sqlite':
      if (config.path !== ':memory:' && config.path !== '') {
        mkdirSync(dirname(resolve(config.path)), { recursive: true });
      }
      return openSqliteStore({ path: config.path });
    default: {
      const unknownKind: never = config.kind;
      throw new Error(`costwise: unknown durable store kind ${String(unknownKind)}`);
    }
  }
}
