// The gateway's durable store: SQLite in a worker thread (ledger-worker.ts), so that no ledger
// write blocks the event loop that serves requests.
//
// Main thread, per row: appendLedger validates the row and pushes it onto an array — no clone, no
// message, no database call. Every `postIntervalMs` (or on the next turn once `postBatch` rows are
// waiting) the whole array goes to the worker in ONE postMessage, each row as a tuple of its fields
// (RowTuple: cheaper to clone than the object). The row is therefore captured when it is posted,
// not when it is appended: a caller must not change a row after appending it (the in-thread store
// snapshots on append).
//
// Requests (flush, spend, ledgerRows, close) first post the waiting rows, then a message with an id;
// the worker answers each id in order, so a query sees every row appended before it.
//
// Failure: the worker reports rows it has handled, so if it dies the main thread knows how many
// rows were not confirmed written; it logs that, rejects every pending request, counts rows
// appended afterwards as lost, and close() rejects with the total. The main thread never throws.
//
// Lifetime: the worker does not keep the process alive while idle (like the in-thread store's
// unref'd timer), but does while a request is pending, so `await store.flush()` completes.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import {
  errorText, toTuple, type FromWorker, type LedgerWorkerData, type Request, type RequestValue, type RowTuple, type StartReply,
} from './ledger-worker-protocol.js';
import { invalidReason, rejectionLog } from './sqlite-rows.js';
import type { DurableStore, LedgerRow, SpendBucket, SpendQuery } from './types.js';

export interface WorkerSqliteStoreOptions {
  /** Database file, or ':memory:' (private to the worker). */
  path: string;
  /** Longest time a row waits on the main thread before it is posted to the worker (default 20 ms). */
  postIntervalMs?: number;
  /** Rows waiting that make the post happen on the next turn instead (default 500). */
  postBatch?: number;
  /** In the worker: longest time a row waits before it is written (default 10 ms). */
  flushIntervalMs?: number;
  /** In the worker: rows per transaction (default 500). */
  maxBatch?: number;
  /** In the worker: how long a write waits for another connection's lock (default 200 ms). */
  busyTimeoutMs?: number;
  /** Where failures are reported, the worker's included (default: stderr). */
  log?: (message: string) => void;
  /** How long opening may block the calling thread before it fails (default 10 s). */
  startTimeoutMs?: number;
  /** The compiled worker entry, when not beside this module (see workerEntry). */
  workerUrl?: URL;
}

type Pending = { resolve: (value: RequestValue) => void; reject: (err: Error) => void };

/** Opens the store; like openSqliteStore, throws if the database cannot be opened. */
export function openWorkerSqliteStore(opts: WorkerSqliteStoreOptions): DurableStore {
  const log = opts.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const postIntervalMs = opts.postIntervalMs ?? 20;
  const postBatch = Math.max(1, Math.floor(opts.postBatch ?? 500));
  const reject = rejectionLog(log);
  const worker = startWorker(opts);

  let waiting: LedgerRow[] = [];
  let sent = 0; // rows posted to the worker
  let handled = 0; // rows the worker has written, found duplicate or rejected
  let timer: NodeJS.Timeout | null = null;
  let immediate: NodeJS.Immediate | null = null;
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let state: 'open' | 'closing' | 'closed' | 'failed' = 'open'; // appends are accepted until 'closed'
  let failure = ''; // why the worker stopped, once state is 'failed'
  let workerError: unknown = null;
  let lost = 0; // rows known unwritten since the worker stopped
  let droppedAfterClose = 0;
  let droppedAfterFailure = 0;
  let stopping = false; // the worker's exit is ours
  let closing: Promise<void> | null = null;

  worker.on('message', (message: FromWorker) => {
    switch (message.type) {
      case 'handled':
        handled += message.rows;
        return;
      case 'log':
        log(message.message);
        return;
      case 'reply': {
        const request = pending.get(message.id);
        if (request === undefined) return;
        pending.delete(message.id);
        if (pending.size === 0) worker.unref();
        if (message.ok) request.resolve(message.value);
        else request.reject(new Error(message.message));
      }
    }
  });
  worker.on('error', (err) => {
    workerError = err; // an uncaught exception in the worker; 'exit' follows
  });
  worker.on('messageerror', (err) => log(`costwise: a ledger worker message could not be read: ${errorText(err)}`));
  worker.on('exit', (code) => {
    if (!stopping) fail(`exit code ${code}${workerError === null ? '' : `: ${errorText(workerError)}`}`);
  });
  worker.unref();

  function fail(reason: string): void {
    if (state === 'failed') return;
    clearTimers();
    const unconfirmed = sent - handled + waiting.length;
    waiting = [];
    lost += unconfirmed;
    failure = `the ledger worker stopped unexpectedly (${reason})`;
    state = 'failed';
    log(`costwise: ${failure}; ${unconfirmed} ledger rows not confirmed written are lost, and rows appended from now on are dropped`);
    for (const request of pending.values()) request.reject(new Error(`costwise: ${failure}`));
    pending.clear();
  }

  function clearTimers(): void {
    if (timer !== null) clearTimeout(timer);
    if (immediate !== null) clearImmediate(immediate);
    timer = null;
    immediate = null;
  }

  /** Posts every waiting row in one message. Runs from timers too, so it never throws. */
  function postWaiting(): void {
    clearTimers();
    if (waiting.length === 0 || state === 'failed') return;
    const rows = waiting;
    waiting = [];
    const tuples = new Array<RowTuple>(rows.length);
    for (let i = 0; i < rows.length; i++) tuples[i] = toTuple(rows[i] as LedgerRow);
    try {
      worker.postMessage({ type: 'rows', rows: tuples });
    } catch {
      // A row the caller changed after appending it now holds something structured clone cannot
      // copy (a tag that is a function, say): check each row again and post the good ones.
      const good: RowTuple[] = [];
      for (const row of rows) {
        const problem = invalidReason(row);
        if (problem === null) good.push(toTuple(row));
        else reject(row, problem);
      }
      try {
        worker.postMessage({ type: 'rows', rows: good });
      } catch (err) {
        log(`costwise: ${good.length} ledger rows could not be sent to the ledger worker and are lost: ${errorText(err)}`);
        return;
      }
      sent += good.length;
      return;
    }
    sent += rows.length;
  }

  function request(message: Request): Promise<RequestValue> {
    if (state === 'failed') return Promise.reject(new Error(`costwise: ${failure}`));
    postWaiting();
    return new Promise((resolve, rejectRequest) => {
      try {
        worker.postMessage(message);
      } catch (err) {
        rejectRequest(new Error(`costwise: ledger request could not be sent to the worker: ${errorText(err)}`));
        return;
      }
      pending.set(message.id, { resolve, reject: rejectRequest });
      if (pending.size === 1) worker.ref();
    });
  }

  async function query<T extends RequestValue>(make: (id: number) => Request): Promise<T> {
    if (state === 'closed') throw new Error('costwise: the ledger store is closed');
    return (await request(make(nextId++))) as T;
  }

  async function stop(): Promise<void> {
    stopping = true;
    clearTimers();
    await worker.terminate();
  }

  function lostError(): Error {
    return new Error(`costwise: ledger store closed with ${lost} rows unwritten: ${failure}`);
  }

  return {
    appendLedger(row: LedgerRow): void {
      if (state === 'closed' || (state === 'failed' && closing !== null)) {
        droppedAfterClose += 1;
        if (droppedAfterClose === 1) log(`costwise: ledger row ${String(row?.requestId)} appended after close was dropped`);
        return;
      }
      if (state === 'failed') {
        lost += 1;
        droppedAfterFailure += 1;
        if (/^10*$/.test(String(droppedAfterFailure))) {
          log(`costwise: ledger row ${String(row?.requestId)} dropped: ${failure} (${droppedAfterFailure} dropped so far)`);
        }
        return;
      }
      const problem = invalidReason(row);
      if (problem !== null) {
        reject(row, problem);
        return;
      }
      waiting.push(row);
      if (waiting.length >= postBatch) {
        immediate ??= setImmediate(postWaiting);
      } else if (timer === null) {
        timer = setTimeout(postWaiting, postIntervalMs).unref();
      }
    },

    async flush(): Promise<void> {
      if (state === 'closed') return; // nothing can be waiting: close wrote it, later appends are dropped
      await query((id) => ({ type: 'flush', id }));
    },

    spend(spendQuery: SpendQuery): Promise<SpendBucket[]> {
      return query((id) => ({ type: 'spend', id, query: spendQuery }));
    },

    ledgerRows(options: { limit: number; offset?: number }): Promise<LedgerRow[]> {
      return query((id) => ({ type: 'ledgerRows', id, options }));
    },

    close(): Promise<void> {
      closing ??= (async () => {
        if (state === 'failed') {
          await stop();
          throw lostError();
        }
        state = 'closing';
        try {
          // Rows appended while closing (requests finishing during shutdown) are written too.
          do await query((id) => ({ type: 'flush', id }));
          while (waiting.length > 0);
        } catch {
          // The close below retries the write once more and reports what is left.
        }
        if (state !== 'closing') { // the worker stopped while flushing
          await stop();
          throw lostError();
        }
        state = 'closed';
        try {
          await request({ type: 'close', id: nextId++ });
        } catch (err) {
          await stop();
          throw (state as string) === 'failed' ? lostError() : new Error(errorText(err));
        }
        await stop();
      })();
      return closing;
    },
  };
}

/**
 * Starts the worker and waits — blocking this thread, once, for the tens of milliseconds the
 * worker needs to open the database — for its answer, so a database that cannot be opened fails
 * here (as openSqliteStore does) and not at the first write.
 */
function startWorker(opts: WorkerSqliteStoreOptions): Worker {
  const url = opts.workerUrl ?? workerEntry();
  if (!existsSync(url)) throw new Error(`costwise: ledger worker entry ${fileURLToPath(url)} not found`);
  const timeoutMs = opts.startTimeoutMs ?? 10_000;
  const startSignal = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const data: LedgerWorkerData = {
    store: { path: opts.path, flushIntervalMs: opts.flushIntervalMs ?? 10, maxBatch: opts.maxBatch, busyTimeoutMs: opts.busyTimeoutMs },
    startSignal,
    startPort: port2,
  };
  const worker = new Worker(url, { workerData: data, transferList: [port2] });
  Atomics.wait(startSignal, 0, 0, timeoutMs);
  const reply = receiveMessageOnPort(port1)?.message as StartReply | undefined;
  port1.close();
  if (reply?.ok === true) return worker;
  worker.on('error', () => undefined); // it is being stopped; its error is the one thrown below
  void worker.terminate();
  throw new Error(reply === undefined ? `costwise: the ledger worker did not start within ${timeoutMs} ms` : reply.message);
}

/**
 * The compiled worker entry. From dist/ it sits beside this module. From the TypeScript sources
 * (vitest runs them without a build) a worker cannot load ledger-worker.ts, so the dist/ build is
 * used instead: `npm test` runs tsc before vitest, so it is always fresh there.
 */
export function workerEntry(moduleUrl: string = import.meta.url): URL {
  const beside = new URL('./ledger-worker.js', moduleUrl);
  if (existsSync(beside) || !moduleUrl.endsWith('.ts')) return beside;
  const built = new URL('../../dist/src/storage/ledger-worker.js', moduleUrl);
  if (existsSync(built)) return built;
  throw new Error(`costwise: the ledger worker runs from the build, and ${fileURLToPath(built)} is missing: `
    + 'run `npx tsc -p tsconfig.json` first (`npm test` does)');
}
