// SQLite durable store (the embedded default), in the calling thread. The gateway runs it inside a
// worker thread (worker-store.ts), so these synchronous writes stay off its event loop; tools and
// benches may use it directly.
//
// Writes: appendLedger validates the row and queues a snapshot of it; a timer (or a full batch)
// writes the queue in transactions of up to `maxBatch` rows (sqlite-write.ts: rows, tags and hourly
// rollups together). A failed write keeps its rows queued and is retried with backoff; nothing is
// thrown at the caller, nothing is dropped without a log line.
//
// Reads: spend() (sqlite-spend.ts), dashboard() (sqlite-dashboard.ts) and ledgerRows() first write what is queued (read-your-writes).
// prune() deletes one bounded step of old rows (sqlite-prune.ts; retention.ts loops it).
//
// Files: sqlite-schema.ts (DDL, migrations), sqlite-rows.ts (validation, row mapping),
// sqlite-write.ts (the batch transaction), sqlite-spend.ts (spend queries), this file (the queue).
import Database from 'better-sqlite3';
import { rejection } from '../core/rejection.js';
import { decode, encode, invalidReason, loggedRequestId, rejectionLog, type DbRow, type QueuedRow } from './sqlite-rows.js';
import { COLUMNS, configure, migrate } from './sqlite-schema.js';
import { spendQueries } from './sqlite-spend.js';
import { dashboardQueries } from './sqlite-dashboard.js';
import type { DashboardQuery, DashboardResult } from './dashboard-types.js';
import { batchWriter } from './sqlite-write.js';
import { pruneStatement } from './sqlite-prune.js';
import type { DurableStore, LedgerRow, PruneStep, SpendBucket, SpendQuery } from './types.js';

export interface SqliteStoreOptions {
  /** Database file, or ':memory:'. */
  path: string;
  /** Longest time a row waits in the queue before it is written (default 50 ms). */
  flushIntervalMs?: number;
  /** Rows per transaction; a queue this long is written on the next turn (default 500). */
  maxBatch?: number;
  /** How long a write waits for another connection's lock before it counts as failed (default 200 ms). */
  busyTimeoutMs?: number;
  /** Where write failures are reported (default: stderr). */
  log?: (message: string) => void;
  /** Called after each committed transaction with the number of queued rows it handled (duplicates included). */
  onWritten?: (rows: number) => void;
}

const MAX_RETRY_MS = 5_000;

export function openSqliteStore(opts: SqliteStoreOptions): DurableStore {
  const flushIntervalMs = opts.flushIntervalMs ?? 50;
  const maxBatch = Math.max(1, Math.floor(opts.maxBatch ?? 500));
  const log = opts.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const reject = rejectionLog(log);

  const db = new Database(opts.path, { timeout: opts.busyTimeoutMs ?? 200 });
  let writeTransaction: (rows: readonly QueuedRow[], count: number) => void;
  let selectRows: Database.Statement;
  let spendQuery: ReturnType<typeof spendQueries>;
  let dashboardQuery: ReturnType<typeof dashboardQueries>;
  let pruneStep: (step: PruneStep) => number;
  try {
    configure(db);
    migrate(db);
    writeTransaction = batchWriter(db);
    selectRows = db.prepare(`SELECT ${COLUMNS} FROM ledger ORDER BY ts DESC, id DESC LIMIT ? OFFSET ?`);
    spendQuery = spendQueries(db);
    dashboardQuery = dashboardQueries(db);
    pruneStep = pruneStatement(db);
  } catch (err) {
    db.close();
    throw err;
  }

  const queue: QueuedRow[] = [];
  let appended = 0; // rows ever queued
  let written = 0; // rows ever committed (a duplicate request id counts: it was handled)
  let timer: NodeJS.Timeout | null = null;
  let immediate: NodeJS.Immediate | null = null;
  let failures = 0; // consecutive failed writes
  let state: 'open' | 'closing' | 'closed' = 'open'; // appends are accepted until 'closed'
  let droppedAfterClose = 0;
  let closing: Promise<void> | null = null;

  /** Writes the oldest batch in one transaction; throws (rows stay queued) on failure. */
  function writeBatch(): void {
    const count = Math.min(queue.length, maxBatch);
    try {
      writeTransaction(queue, count);
    } catch (err) {
      failures += 1;
      if (failures === 1) log(`costwise: ledger write failed, ${queue.length} rows kept queued and retried: ${errorText(err)}`);
      throw err;
    }
    queue.splice(0, count);
    written += count;
    if (failures > 0) {
      log(`costwise: ledger writes recovered after ${failures} failed attempts`);
      failures = 0;
    }
    opts.onWritten?.(count);
  }

  function schedule(): void {
    if (state === 'closed' || queue.length === 0 || immediate !== null) return;
    if (failures === 0 && queue.length >= maxBatch) {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      immediate = setImmediate(tick);
    } else if (timer === null) {
      const delay = failures === 0 ? flushIntervalMs : Math.min(flushIntervalMs * 2 ** failures, MAX_RETRY_MS);
      timer = setTimeout(tick, delay).unref();
    }
  }

  function tick(): void {
    timer = null;
    immediate = null;
    try {
      writeBatch();
    } catch {
      // logged by writeBatch; schedule() retries with backoff
    }
    if (queue.length > 0 && failures === 0) immediate = setImmediate(tick);
    else schedule();
  }

  async function flush(): Promise<void> {
    const target = appended;
    while (written < target) {
      if (state === 'closed') throw new Error('costwise: the ledger store is closed');
      try {
        writeBatch();
      } catch (err) {
        schedule();
        throw new Error(`costwise: ledger flush failed, ${queue.length} rows still queued: ${errorText(err)}`, { cause: err });
      }
      if (written < target) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Read-your-writes for queries: writes what is queued, unless writes are currently failing. */
  function drainForRead(): void {
    if (state === 'closed') throw new Error('costwise: the ledger store is closed');
    while (failures === 0 && queue.length > 0) {
      try {
        writeBatch();
      } catch {
        schedule();
      }
    }
  }

  return {
    appendLedger(row: LedgerRow): void {
      if (state === 'closed') {
        droppedAfterClose += 1;
        if (droppedAfterClose === 1) log(`costwise: ledger row ${loggedRequestId(row)} appended after close was dropped`);
        return;
      }
      const problem = invalidReason(row);
      if (problem !== null) {
        reject(row, problem);
        return;
      }
      queue.push(encode(row));
      appended += 1;
      schedule();
    },

    flush,

    spend(query: SpendQuery): Promise<SpendBucket[]> {
      try {
        const run = spendQuery(query);
        drainForRead();
        return Promise.resolve(run());
      } catch (err) {
        return rejection(err);
      }
    },

    dashboard<Q extends DashboardQuery>(query: Q): Promise<DashboardResult<Q>> {
      try {
        const run = dashboardQuery(query);
        drainForRead();
        return Promise.resolve(run());
      } catch (err) {
        return rejection(err);
      }
    },

    ledgerRows(options: { limit: number; offset?: number }): Promise<LedgerRow[]> {
      try {
        const offset = options.offset ?? 0;
        if (!Number.isSafeInteger(options.limit) || options.limit < 0) throw new Error(`costwise: invalid limit ${options.limit}`);
        if (!Number.isSafeInteger(offset) || offset < 0) throw new Error(`costwise: invalid offset ${offset}`);
        drainForRead();
        return Promise.resolve((selectRows.all(options.limit, offset) as DbRow[]).map(decode));
      } catch (err) {
        return rejection(err);
      }
    },

    prune(step: PruneStep): Promise<number> {
      try {
        drainForRead(); // like the PostgreSQL store: a step sees every row appended before it
        return Promise.resolve(pruneStep(step));
      } catch (err) {
        return rejection(err);
      }
    },

    close(): Promise<void> {
      closing ??= (async () => {
        state = 'closing';
        try {
          // Rows appended while closing (requests finishing during shutdown) are written too.
          while (queue.length > 0) await flush();
        } catch (err) {
          throw new Error(`costwise: ledger store closed with ${queue.length} rows unwritten: ${errorText(err)}`, { cause: err });
        } finally {
          if (timer !== null) clearTimeout(timer);
          if (immediate !== null) clearImmediate(immediate);
          state = 'closed';
          db.close();
        }
      })();
      return closing;
    },
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
