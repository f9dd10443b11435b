// Shared by the storage tests: a complete ledger row, a temporary database, and the two SQLite
// stores behind one factory so the DurableStore contract runs against both.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/storage/sqlite.js';
import type { DurableStore, LedgerRow } from '../../src/storage/types.js';
import { openWorkerSqliteStore } from '../../src/storage/worker-store.js';

export const HOUR = 3_600_000;
export const DAY = 86_400_000;
export const T0 = Date.UTC(2025, 0, 10); // 2025-01-10T00:00:00Z

export function row(overrides: Partial<LedgerRow> = {}): LedgerRow {
  return {
    requestId: 'req-1',
    ts: T0,
    tenant: 'acme',
    keyId: 'key-a',
    tags: [],
    ingress: 'openai',
    endpoint: '/v1/chat/completions',
    requestedModel: 'gpt-4o',
    servedModel: 'gpt-4o-mini',
    provider: 'openai',
    inputTokens: 100,
    cacheReadTokens: 10,
    cacheWrite5mTokens: 20,
    cacheWrite1hTokens: 30,
    outputTokens: 40,
    reasoningTokens: 5,
    costPico: 1_000,
    baselinePico: 2_000,
    latencyMs: 12,
    status: 200,
    stream: false,
    errorKind: null,
    route: 'requested',
    technique: null,
    parentId: null,
    attempts: null,
    cache: null,
    promptCachePico: 0,
    promptTokensRemoved: 3,
    promptHash: '0123456789abcdef0123456789abcdef',
    maxTokens: 256,
    stopReason: 'end_turn',
    ...overrides,
  };
}

export interface StoreOptions {
  path: string;
  log?: (message: string) => void;
  busyTimeoutMs?: number;
  /** Rows only move when a request (flush, a query, close) moves them: no timer gets there first. */
  noTimers?: boolean;
}

export type Kind = 'in-thread' | 'worker';
export const KINDS: readonly Kind[] = ['in-thread', 'worker'];

// The worker store runs the compiled worker from dist/ (see workerEntry in worker-store.ts), which
// `npm test` builds first; run by hand: `npx tsc -p tsconfig.json && npx vitest run test/storage`.
export function openStore(kind: Kind, opts: StoreOptions): DurableStore {
  const { noTimers = false, ...rest } = opts;
  if (kind === 'in-thread') return openSqliteStore({ ...rest, ...(noTimers ? { flushIntervalMs: 60_000 } : {}) });
  return openWorkerSqliteStore({ ...rest, ...(noTimers ? { postIntervalMs: 60_000, flushIntervalMs: 60_000 } : {}) });
}

/** A temporary directory per test, and the stores opened in it, closed afterwards. */
export class TempLedger {
  readonly dir = mkdtempSync(join(tmpdir(), 'costwise-storage-'));
  readonly path = join(this.dir, 'ledger.db');
  readonly logged: string[] = [];
  private readonly opened: DurableStore[] = [];

  open(kind: Kind, opts: Partial<StoreOptions> = {}): DurableStore {
    const store = openStore(kind, { path: this.path, log: (m) => this.logged.push(m), ...opts });
    this.opened.push(store);
    return store;
  }

  /** Rows on disk, seen through a separate connection (what another process would see). */
  countOnDisk(): number {
    const db = new Database(this.path, { readonly: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM ledger').get() as { n: number }).n;
    } finally {
      db.close();
    }
  }

  async dispose(): Promise<void> {
    for (const store of this.opened.splice(0)) await store.close().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
