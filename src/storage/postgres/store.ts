// PostgreSQL durable store: one ledger shared by every gateway replica.
//
// Writes: appendLedger validates the row and queues a snapshot of it — no I/O, no promise. A timer
// (or a full batch, on the next turn) writes the queue in statements of up to `maxBatch` rows, one
// at a time (write.ts: rows, tags and hourly rollups in one statement). A failed write keeps its
// rows queued and is retried with backoff (flushIntervalMs doubling, up to 5 s); the first failure,
// the 10th, 100th, … and the recovery are logged. A batch PostgreSQL refuses for its data (a data
// exception, a constraint, a value too long for an index) is split until the refused row is found:
// that row is rejected with a log line, the others are written.
//
// Outages: the queue is bounded by `maxQueuedRows`. While it is full (PostgreSQL down for long),
// new rows are dropped and counted as lost, logged at the 1st, 10th, 100th, … loss; the older rows
// are kept and written when PostgreSQL is back, and the recovery line says how many were lost.
// close() rejects with that count, so a shutdown reports the gap (the worker store's policy).
//
// Start: the store opens at once; migrations (schema.ts) run in the background, and every write
// and query first waits for them. `ready()` waits for them too, for a start-up that must fail early.
// A database with a newer schema fails the store for good: queries reject, queued and later rows
// are counted as lost.
//
// Reads: spend(), dashboard() and ledgerRows() first write what is queued (read-your-writes),
// unless writes are failing; they then answer from what is written. prune() (prune.ts) runs
// the same way, one bounded delete per call.
//
// Files: schema.ts (DDL, migrations), rows.ts (snapshot, row mapping), write.ts (the batch
// statement), seal.ts (closing days into spend_daily after a write), spend.ts and dashboard.ts
// (the queries), this file (the queue and its policy).
import type { Sql } from 'postgres';
import { openPostgresClient } from './client.js';
import { invalidReason, rejectionLog } from '../sqlite-rows.js';
import type { DashboardQuery, DashboardResult } from '../dashboard-types.js';
import type { DurableStore, LedgerRow, PruneStep, SpendBucket, SpendQuery } from '../types.js';
import { dashboardQuery } from './dashboard.js';
import { decode, postgresInvalidReason, snapshot, type PgRow, type QueuedRow } from './rows.js';
import { COLUMNS, NewerSchemaError, migrate, tables } from './schema.js';
import { spendQuery } from './spend.js';
import { batchWriter } from './write.js';
import { pruneStatement } from './prune.js';
import { dailySealer } from './seal.js';

export interface PostgresStoreOptions {
  /** Connection URL, e.g. `postgres://costwise@db:5432/costwise` (the DATABASE_URL). */
  url: string;
  /** A client to use instead of one of its own (the gateway's shared one, client.ts): close() leaves it open, and the pool options below do not apply. */
  sql?: Sql;
  /** Schema holding the ledger's tables, created when missing; replicas sharing a ledger name the same one (default `costwise`). */
  schema?: string;
  /** Longest time a row waits in the queue before it is written (default 50 ms). */
  flushIntervalMs?: number;
  /** Rows per statement; a queue this long is written on the next turn (default 1,000). */
  maxBatch?: number;
  /** Rows kept while PostgreSQL cannot be written; beyond this, new rows are dropped and counted (default 200,000). */
  maxQueuedRows?: number;
  /** Connections in the pool: one writes, the others serve queries (default 4). */
  maxConnections?: number;
  /** A statement running longer than this fails (and a write is retried) (default 30 s). */
  statementTimeoutMs?: number;
  /** A statement waiting longer than this for a lock fails (default 5 s). */
  lockTimeoutMs?: number;
  /** Giving up on a connection attempt after this long (default 10 s). */
  connectTimeoutMs?: number;
  /** How long close() keeps retrying the rows still queued before it gives up on them (default 10 s). */
  closeTimeoutMs?: number;
  /** application_name of the store's connections, as pg_stat_activity shows them (default `costwise`). */
  applicationName?: string;
  /** Where failures are reported (default: stderr). */
  log?: (message: string) => void;
  /** Called after each committed statement with the number of queued rows it handled (duplicates included). */
  onWritten?: (rows: number) => void;
}

/** What a store has done with its rows, for metrics and health checks. */
export interface PostgresStoreStats {
  /** Rows waiting to be written. */
  queued: number;
  /** Rows handled by committed writes (a duplicate request id counts: it was handled). */
  written: number;
  /** Rows dropped because the queue was full or the store failed. */
  lost: number;
  /** Rows PostgreSQL refused (after splitting their batch). */
  refused: number;
  /** Consecutive failed writes (0 when writes are healthy). */
  failures: number;
}

export interface PostgresStore extends DurableStore {
  /** Resolves once the schema is migrated and usable; rejects with why not (one attempt; writes keep retrying). */
  ready(): Promise<void>;
  stats(): PostgresStoreStats;
}

const MAX_RETRY_MS = 5_000;
/** SQLSTATE classes meaning "this data", not "this moment": data exception, integrity, program limit. */
const DATA_ERROR = /^(22|23|54)/;

/** Opens the store at once (no I/O on this call); see `connectPostgresStore` to wait for the schema. */
export function openPostgresStore(opts: PostgresStoreOptions): PostgresStore {
  const schema = opts.schema ?? 'costwise';
  const t = tables(schema);
  const flushIntervalMs = opts.flushIntervalMs ?? 50;
  const maxBatch = Math.max(1, Math.floor(opts.maxBatch ?? 1_000));
  const maxQueued = Math.max(maxBatch, Math.floor(opts.maxQueuedRows ?? 200_000));
  const closeTimeoutMs = opts.closeTimeoutMs ?? 10_000;
  const log = opts.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const reject = rejectionLog(log);

  // A client of its own (ended by close()), or the process's shared one (client.ts; left open).
  const owned = opts.sql === undefined;
  const sql: Sql = opts.sql ?? openPostgresClient(opts);
  const write = batchWriter(sql, t);
  const sealer = dailySealer({ sql, t, log });
  const spendRun = spendQuery(sql, t);
  const dashboardRun = dashboardQuery(sql, t);
  const pruneRun = pruneStatement(sql, t);
  const selectRows = `SELECT ${COLUMNS.join(', ')} FROM ${t.ledger} ORDER BY ts DESC, id DESC LIMIT $1::int8 OFFSET $2::int8`;

  let queue: QueuedRow[] = [];
  let head = 0; // queue[head ..] is waiting; the rows before it are written
  let appended = 0; // rows ever queued
  let written = 0; // rows ever handled by a committed write
  let lost = 0; // rows dropped: appended to a full queue or a failed store, or queued when it failed
  let discarded = 0; // the queued ones among them (counted in `appended`)
  let refused = 0;
  let failures = 0; // consecutive failed writes
  let writing: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let immediate: NodeJS.Immediate | null = null;
  let state: 'open' | 'closing' | 'closed' | 'failed' = 'open'; // appends are accepted until 'closed'
  let failure: Error | null = null; // why the store failed, once state is 'failed'
  let droppedAfterClose = 0;
  let closing: Promise<void> | null = null;
  let migrated = false;
  let migrating: Promise<void> | null = null;
  const reading = new Set<Promise<unknown>>(); // queries in flight, awaited by close()

  const queued = () => queue.length - head;

  /** Migrates once; a failed attempt is retried by the next caller, a newer schema fails the store. */
  function ensureReady(): Promise<void> {
    if (migrated) return Promise.resolve();
    if (failure !== null) return Promise.reject(failure);
    migrating ??= migrate(sql, schema).then(
      () => {
        migrated = true;
      },
      (err: unknown) => {
        migrating = null;
        if (err instanceof NewerSchemaError) fail(err);
        throw err;
      },
    );
    return migrating;
  }

  function fail(err: Error): void {
    if (state === 'failed' || state === 'closed') return;
    failure = err;
    state = 'failed';
    clearTimers();
    const dropped = queued();
    lost += dropped;
    discarded += dropped;
    queue = [];
    head = 0;
    log(`${err.message}; ${dropped} queued ledger rows are lost, and rows appended from now on are dropped`);
  }

  /** Writes `count` waiting rows from `start` in one statement, splitting a batch PostgreSQL refuses for its data. */
  async function writeRange(start: number, count: number): Promise<void> {
    try {
      await write(queue, start, count);
    } catch (err) {
      if (!DATA_ERROR.test(sqlState(err))) throw err;
      if (count === 1) {
        refused += 1;
        if (/^10*$/.test(String(refused))) {
          log(`costwise: ledger row ${String(queue[start]?.values[0])} refused by PostgreSQL, not stored: ${errorText(err)} (${refused} refused so far)`);
        }
        return;
      }
      const half = Math.floor(count / 2);
      await writeRange(start, half);
      await writeRange(start + half, count - half);
    }
  }

  /** Writes the oldest batch; rejects (rows stay queued) on failure. One write at a time. */
  function writeOnce(): Promise<void> {
    writing ??= (async () => {
      const count = Math.min(queued(), maxBatch);
      if (count === 0) return;
      try {
        await ensureReady();
        await writeRange(head, count);
      } catch (err) {
        failures += 1;
        if (failure === null && failures === 1) log(`costwise: ledger write to PostgreSQL failed, ${queued()} rows kept queued and retried: ${errorText(err)}`);
        else if (failure === null && /^10+$/.test(String(failures))) {
          log(`costwise: ledger writes to PostgreSQL still failing after ${failures} attempts, ${queued()} rows queued, ${lost} lost: ${errorText(err)}`);
        }
        throw err;
      }
      const newest = newestTs(queue, head, count);
      head += count;
      written += count;
      if (head >= 4_096 && head * 2 >= queue.length) {
        queue = queue.slice(head);
        head = 0;
      }
      if (failures > 0) {
        log(`costwise: ledger writes to PostgreSQL recovered after ${failures} failed attempts${lost > 0 ? ` (${lost} rows lost so far)` : ''}`);
        failures = 0;
      }
      opts.onWritten?.(count);
      await sealer.afterWrite(newest); // never rejects: a failed seal is tried again after the next write
    })().finally(() => {
      writing = null;
      // Rows that came in during a good write are written next turn; after a failure, with backoff.
      if (failures === 0 && queued() > 0 && (state === 'open' || state === 'closing')) {
        clearTimers();
        immediate = setImmediate(tick);
      } else schedule();
    });
    return writing;
  }

  function clearTimers(): void {
    if (timer !== null) clearTimeout(timer);
    if (immediate !== null) clearImmediate(immediate);
    timer = null;
    immediate = null;
  }

  function schedule(): void {
    if (state === 'closed' || state === 'failed' || queued() === 0 || writing !== null || immediate !== null) return;
    if (failures === 0 && queued() >= maxBatch) {
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
    writeOnce().catch(() => undefined); // logged by writeOnce; its finally reschedules with backoff
  }

  /** Writes every row appended before the call; rejects on the first failed write (rows stay queued). */
  async function flushAppended(): Promise<void> {
    const target = appended;
    while (written + discarded < target) {
      try {
        await writeOnce();
      } catch (err) {
        if (failure !== null) throw failure;
        throw new Error(`costwise: ledger flush failed, ${queued()} rows still queued: ${errorText(err)}`, { cause: err });
      }
    }
  }

  /**
   * Runs a query after read-your-writes: what is queued is written first, unless writes are
   * failing. Tracked, so close() ends the pool only once no query is left in flight.
   */
  function read<T>(run: () => Promise<T>): Promise<T> {
    if (state === 'closed') return Promise.reject(new Error('costwise: the ledger store is closed'));
    if (failure !== null) return Promise.reject(failure);
    const result = (async () => {
      await ensureReady();
      if (failures === 0) await flushAppended().catch(() => undefined);
      return run();
    })();
    const settled = result.catch(() => undefined);
    reading.add(settled);
    void settled.then(() => reading.delete(settled));
    return result;
  }

  // Migrate now, so the first write does not wait for it; a failure here is retried by that write.
  ensureReady().catch((err: unknown) => {
    if (!(err instanceof NewerSchemaError) && state !== 'closed')
      log(`costwise: PostgreSQL ledger not ready yet (retried on the next write): ${errorText(err)}`);
  });

  return {
    appendLedger(row: LedgerRow): void {
      if (state === 'closed' || (state === 'failed' && closing !== null)) {
        droppedAfterClose += 1;
        if (droppedAfterClose === 1) log(`costwise: ledger row ${idOf(row)} appended after close was dropped`);
        return;
      }
      const problem = invalidReason(row) ?? postgresInvalidReason(row);
      if (problem !== null) {
        reject(row, problem);
        return;
      }
      if (state === 'failed' || queued() >= maxQueued) {
        lost += 1;
        if (/^10*$/.test(String(lost))) {
          const why = failure?.message ?? `the queue is full (${maxQueued} rows waiting for PostgreSQL)`;
          log(`costwise: ledger row ${row.requestId} dropped: ${why} (${lost} lost so far)`);
        }
        return;
      }
      queue.push(snapshot(row));
      appended += 1;
      schedule();
    },

    async flush(): Promise<void> {
      if (state === 'closed') return; // nothing can be waiting: close wrote it, later appends are dropped
      if (failure !== null) throw failure;
      await flushAppended();
    },

    async spend(query: SpendQuery): Promise<SpendBucket[]> {
      return read(spendRun(query));
    },

    async dashboard<Q extends DashboardQuery>(query: Q): Promise<DashboardResult<Q>> {
      return read(dashboardRun(query));
    },

    async ledgerRows(options: { limit: number; offset?: number }): Promise<LedgerRow[]> {
      const offset = options.offset ?? 0;
      if (!Number.isSafeInteger(options.limit) || options.limit < 0) throw new Error(`costwise: invalid limit ${options.limit}`);
      if (!Number.isSafeInteger(offset) || offset < 0) throw new Error(`costwise: invalid offset ${offset}`);
      return read(async () => (await sql.unsafe<PgRow[]>(selectRows, [options.limit, offset], { prepare: true })).map(decode));
    },

    async prune(step: PruneStep): Promise<number> {
      return read(() => pruneRun(step));
    },

    ready: ensureReady,

    stats: () => ({ queued: queued(), written, lost, refused, failures }),

    close(): Promise<void> {
      closing ??= (async () => {
        const failedBefore = failure;
        if (state === 'open') state = 'closing';
        // Rows appended while closing (requests finishing during shutdown) are written too; a
        // failing write is retried with backoff until closeTimeoutMs has passed.
        const deadline = Date.now() + closeTimeoutMs;
        let lastError: unknown = null;
        while (state === 'closing' && queued() > 0) {
          try {
            await flushAppended();
            lastError = null;
          } catch (err) {
            lastError = err;
            const wait = Math.min(flushIntervalMs * 2 ** failures, MAX_RETRY_MS, deadline - Date.now());
            if (wait <= 0) break;
            await new Promise((resolve) => setTimeout(resolve, wait));
          }
        }
        const unwritten = queued();
        clearTimers();
        if (state !== 'failed') state = 'closed';
        await writing?.catch(() => undefined);
        await migrating?.catch(() => undefined);
        await Promise.all(reading);
        // Nothing of ours is in flight: end at once. (A graceful end() can wait forever on a
        // connection whose backend was terminated under a query: postgres.js 3.4 keeps that query.)
        if (owned) await sql.end({ timeout: 0 });
        if (failedBefore !== null || failure !== null) {
          throw new Error(`costwise: ledger store closed with ${lost} rows unwritten: ${(failure ?? failedBefore)!.message}`);
        }
        if (unwritten > 0) {
          throw new Error(`costwise: ledger store closed with ${unwritten + lost} rows unwritten: ${errorText(lastError)}`, { cause: lastError });
        }
        if (lost > 0) throw new Error(`costwise: ledger store closed with ${lost} rows unwritten: they were dropped while the queue was full`);
      })();
      return closing;
    },
  };
}

/** Opens the store and waits for its schema; rejects (with the store closed) when it cannot be used. */
export async function connectPostgresStore(opts: PostgresStoreOptions): Promise<PostgresStore> {
  const store = openPostgresStore(opts);
  try {
    await store.ready();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}

/** A row's request id for a log line, whatever the caller passed. */
function idOf(row: unknown): string {
  return String((row as { requestId?: unknown } | null)?.requestId);
}

function sqlState(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The latest row time among `rows[start .. start + count)`. */
function newestTs(rows: readonly QueuedRow[], start: number, count: number): number {
  let newest = 0;
  for (let i = start; i < start + count; i++) {
    const ts = rows[i]!.values[1] as number;
    if (ts > newest) newest = ts;
  }
  return newest;
}
