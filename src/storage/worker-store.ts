// The gateway's durable store: SQLite in a worker thread (ledger-worker.ts), so that no ledger
// write blocks the event loop that serves requests.
//
// Main thread, per row: appendLedger validates the row and keeps it as the JSON text of its tuple
// (RowTuple; a spooled row comes with that text, the spool's line) — no clone, no message, no
// database call. Every `postIntervalMs` (or on the next turn once `postBatch` rows are waiting) the
// rows go to the worker in ONE postMessage, as one JSON array: a single string clones for a
// fraction of the cost of the tuples. The row is captured when it is appended. Rows wait up to
// 100 ms: the worker's CPU per row falls with the size of the batches it wakes for (each wake-up
// starts cold and ends in a commit; measured at 5,000 rows/s: ~15 µs a row posted every 20 ms,
// ~10 µs every 100 ms), and the spool, not the ledger, is what keeps an answered row safe meanwhile.
//
// Requests (flush, spend, ledgerRows, dashboard, prune, close) first post the waiting rows, then a message with an id;
// the worker answers each id in order, so a query sees every row appended before it.
//
// Crashes: every posted batch carries the sequence number of its last row, and the main thread
// keeps the batch until the worker reports (a 'written' message) that every row up to that number
// is committed. If the worker dies (an uncaught exception, an exit) and we did not stop it, the main
// thread logs it once, starts a new worker after a backoff (restartDelayMs, doubling), posts it every
// unconfirmed batch again — safe: a request id already written is ignored (INSERT OR IGNORE) — and
// then re-issues every pending request (flush, spend, ledgerRows, close) in its original order, so
// the caller sees an answer, not the crash. Rows appended meanwhile wait and are posted after.
// A crash beyond maxRestartsPerMinute (a row that kills every worker, say) fails the store: it
// logs the rows not confirmed written as lost, rejects every pending request, counts rows appended
// afterwards as lost, and close() rejects with the total. The main thread never throws.
//
// Timeouts: a request that gets no answer within requestTimeoutMs (a hung worker) rejects with an
// error that says so; its rows stay kept, and a later request or close() tries again.
//
// Lifetime: the worker does not keep the process alive while idle (like the in-thread store's
// unref'd timer), but does while a request is pending, so `await store.flush()` completes.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { errorText, tupleJson, type FromWorker, type LedgerWorkerData, type Request, type RequestValue, type StartReply } from './ledger-worker-protocol.js';
import { invalidReason, loggedRequestId, rejectionLog } from './sqlite-rows.js';
import type { DurableStore, LedgerRow, PruneStep, SpendBucket, SpendQuery } from './types.js';
import type { DashboardQuery, DashboardResult } from './dashboard-types.js';
import { compiledWorkerEntry } from '../core/worker-entry.js';

export interface WorkerSqliteStoreOptions {
  /** Database file, or ':memory:' (private to the worker). */
  path: string;
  /** Longest time a row waits on the main thread before it is posted to the worker (default 100 ms). */
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
  /** How long flush, spend, ledgerRows and close wait for the worker's answer before rejecting (default 30 s). */
  requestTimeoutMs?: number;
  /** Worker restarts allowed within any minute; the next crash fails the store (default 5). */
  maxRestartsPerMinute?: number;
  /** Wait before restarting a crashed worker; doubles with each restart in the last minute, up to 5 s (default 100 ms). */
  restartDelayMs?: number;
}

type Pending = { message: Request; resolve: (value: RequestValue) => void; reject: (err: Error) => void; timer: NodeJS.Timeout };
/** Posted rows not yet confirmed written: `count` rows as a JSON array; `seq` numbers the last of them. */
type Batch = { seq: number; count: number; json: string };

const RESTART_WINDOW_MS = 60_000;
const MAX_RESTART_DELAY_MS = 5_000;

/** Opens the store; like openSqliteStore, throws if the database cannot be opened. */
export function openWorkerSqliteStore(opts: WorkerSqliteStoreOptions): DurableStore {
  const log = opts.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const postIntervalMs = opts.postIntervalMs ?? 100;
  const postBatch = Math.max(1, Math.floor(opts.postBatch ?? 500));
  const requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
  const maxRestarts = Math.max(0, Math.floor(opts.maxRestartsPerMinute ?? 5));
  const restartDelayMs = Math.max(0, opts.restartDelayMs ?? 100);
  const reject = rejectionLog(log);
  let worker: Worker | null = startWorker(opts); // null while a crashed worker is being replaced

  let waiting: string[] = []; // each row's tupleJson
  let unconfirmed: Batch[] = []; // oldest first
  let posted = 0; // sequence number of the last row posted
  let confirmed = 0; // every row up to this sequence number is written
  let timer: NodeJS.Timeout | null = null;
  let immediate: NodeJS.Immediate | null = null;
  let restartTimer: NodeJS.Timeout | null = null;
  const restarts: number[] = []; // when recent restarts began (Date.now())
  const pending = new Map<number, Pending>(); // in id order: re-issued in that order
  let nextId = 1;
  let state: 'open' | 'closing' | 'closed' | 'failed' = 'open'; // appends are accepted until 'closed'
  let failure = ''; // why the worker stopped, once state is 'failed'
  let lost = 0; // rows known unwritten since the worker stopped
  let droppedAfterClose = 0;
  let droppedAfterFailure = 0;
  let stopping = false; // the worker's exit is ours
  let closing: Promise<void> | null = null;

  attach(worker);

  function attach(w: Worker): void {
    let workerError: unknown = null;
    // Messages from a worker that has since died still count: its confirmations and answers are true.
    w.on('message', receive);
    w.on('error', (err) => {
      workerError = err; // an uncaught exception in the worker; 'exit' follows
    });
    w.on('messageerror', (err) => log(`costwise: a ledger worker message could not be read: ${errorText(err)}`));
    w.on('exit', (code) => {
      if (stopping || w !== worker) return;
      crashed(`exit code ${code}${workerError === null ? '' : `: ${errorText(workerError)}`}`);
    });
    if (pending.size === 0) w.unref();
    else w.ref();
  }

  function receive(message: FromWorker): void {
    switch (message.type) {
      case 'written': {
        if (message.seq <= confirmed) return;
        confirmed = message.seq;
        let done = 0;
        while (done < unconfirmed.length && (unconfirmed[done] as Batch).seq <= confirmed) done += 1;
        if (done > 0) unconfirmed = unconfirmed.slice(done);
        return;
      }
      case 'log':
        log(message.message);
        return;
      case 'reply': {
        const request = pending.get(message.id);
        if (request === undefined) return; // timed out, or answered by a worker since replaced
        settled(message.id, request);
        if (message.ok) request.resolve(message.value);
        else request.reject(new Error(message.message));
      }
    }
  }

  function settled(id: number, request: Pending): void {
    clearTimeout(request.timer);
    pending.delete(id);
    if (pending.size === 0) worker?.unref();
  }

  function crashed(reason: string): void {
    worker = null;
    if (state === 'failed' || (state === 'closed' && pending.size === 0)) return;
    const now = Date.now();
    while (restarts.length > 0 && (restarts[0] as number) <= now - RESTART_WINDOW_MS) restarts.shift();
    if (restarts.length >= maxRestarts) {
      fail(restarts.length === 0 ? reason : `${reason}; restarted ${restarts.length} times within a minute`);
      return;
    }
    restarts.push(now);
    const delay = Math.min(restartDelayMs * 2 ** (restarts.length - 1), MAX_RESTART_DELAY_MS);
    log(
      `costwise: the ledger worker stopped unexpectedly (${reason}); restarting it in ${delay} ms ` +
        `and re-sending ${posted - confirmed} ledger rows not confirmed written`,
    );
    restartTimer = setTimeout(() => void restart(), delay).unref(); // a pending request's timer keeps the process alive
  }

  async function restart(): Promise<void> {
    restartTimer = null;
    let next: Worker;
    try {
      next = await startWorkerAsync(opts);
    } catch (err) {
      if (!stopping) crashed(`a new worker did not start: ${errorText(err)}`);
      return;
    }
    if (stopping || state === 'failed') {
      next.on('error', () => undefined);
      void next.terminate();
      return;
    }
    worker = next;
    attach(next);
    try {
      for (const batch of unconfirmed) next.postMessage({ type: 'rows', seq: batch.seq, count: batch.count, json: batch.json });
    } catch (err) {
      // Cannot happen for rows that were posted once; if it does, the next crash or close() reports them.
      log(`costwise: ledger rows could not be re-sent to the new ledger worker: ${errorText(err)}`);
    }
    postWaiting();
    for (const [id, request] of pending) {
      try {
        next.postMessage(request.message);
      } catch (err) {
        settled(id, request);
        request.reject(new Error(`costwise: ledger request could not be sent to the worker: ${errorText(err)}`));
      }
    }
  }

  function fail(reason: string): void {
    if (state === 'failed') return;
    clearTimers();
    const unconfirmedRows = posted - confirmed + waiting.length;
    waiting = [];
    unconfirmed = [];
    confirmed = posted;
    lost += unconfirmedRows;
    failure = `the ledger worker stopped unexpectedly (${reason})`;
    state = 'failed';
    log(`costwise: ${failure}; ${unconfirmedRows} ledger rows not confirmed written are lost, and rows appended from now on are dropped`);
    const requests = [...pending.values()];
    for (const [id, request] of pending) settled(id, request);
    for (const request of requests) request.reject(new Error(`costwise: ${failure}`));
  }

  function clearTimers(): void {
    if (timer !== null) clearTimeout(timer);
    if (immediate !== null) clearImmediate(immediate);
    timer = null;
    immediate = null;
  }

  /** Posts every waiting row in one message (not while a new worker is starting). Runs from timers too, so it never throws. */
  function postWaiting(): void {
    clearTimers();
    if (waiting.length === 0 || state === 'failed' || worker === null) return;
    const count = waiting.length;
    const json = `[${waiting.join(',')}]`;
    waiting = [];
    try {
      worker.postMessage({ type: 'rows', seq: posted + count, count, json });
    } catch (err) {
      // A string always clones; should this ever fail, the rows are lost, and said so.
      lost += count;
      log(`costwise: ${count} ledger rows could not be sent to the ledger worker and are lost: ${errorText(err)}`);
      return;
    }
    posted += count;
    unconfirmed.push({ seq: posted, count, json });
  }

  function request(message: Request): Promise<RequestValue> {
    if (state === 'failed') return Promise.reject(new Error(`costwise: ${failure}`));
    postWaiting();
    return new Promise((resolve, rejectRequest) => {
      try {
        worker?.postMessage(message); // while a new worker starts, restart() sends it
      } catch (err) {
        rejectRequest(new Error(`costwise: ledger request could not be sent to the worker: ${errorText(err)}`));
        return;
      }
      const entry: Pending = {
        message,
        resolve,
        reject: rejectRequest,
        timer: setTimeout(() => {
          settled(message.id, entry);
          rejectRequest(
            new Error(
              `costwise: the ledger worker did not answer ${message.type} within ${requestTimeoutMs} ms` +
                ` (${posted - confirmed + waiting.length} ledger rows not confirmed written yet)`,
            ),
          );
        }, requestTimeoutMs),
      };
      pending.set(message.id, entry);
      if (pending.size === 1) worker?.ref();
    });
  }

  async function query<T extends RequestValue>(make: (id: number) => Request): Promise<T> {
    if (state === 'closed') throw new Error('costwise: the ledger store is closed');
    return (await request(make(nextId++))) as T;
  }

  async function stop(): Promise<void> {
    stopping = true;
    clearTimers();
    if (restartTimer !== null) clearTimeout(restartTimer);
    restartTimer = null;
    await worker?.terminate();
  }

  function lostError(): Error {
    return new Error(`costwise: ledger store closed with ${lost} rows unwritten: ${failure}`);
  }

  return {
    appendLedger(row: LedgerRow, tupleJsonOfRow?: string): void {
      if (state === 'closed' || (state === 'failed' && closing !== null)) {
        droppedAfterClose += 1;
        if (droppedAfterClose === 1) log(`costwise: ledger row ${loggedRequestId(row)} appended after close was dropped`);
        return;
      }
      if (state === 'failed') {
        lost += 1;
        droppedAfterFailure += 1;
        if (/^10*$/.test(String(droppedAfterFailure))) {
          log(`costwise: ledger row ${loggedRequestId(row)} dropped: ${failure} (${droppedAfterFailure} dropped so far)`);
        }
        return;
      }
      const problem = invalidReason(row);
      if (problem !== null) {
        reject(row, problem);
        return;
      }
      let json = tupleJsonOfRow;
      if (json === undefined) {
        try {
          json = tupleJson(row);
        } catch (err) {
          reject(row, `it cannot be written as JSON (${errorText(err)})`);
          return;
        }
      }
      waiting.push(json);
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

    dashboard<Q extends DashboardQuery>(dashboardQuery: Q): Promise<DashboardResult<Q>> {
      return query((id) => ({ type: 'dashboard', id, query: dashboardQuery }));
    },

    prune(step: PruneStep): Promise<number> {
      return query((id) => ({ type: 'prune', id, step }));
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
        // The worker may have stopped for good while flushing (the awaits above can change state).
        if ((state as string) !== 'closing') {
          await stop();
          throw lostError();
        }
        state = 'closed';
        try {
          await request({ type: 'close', id: nextId++ });
        } catch (err) {
          const unwritten = posted - confirmed + waiting.length;
          await stop();
          if ((state as string) === 'failed') throw lostError();
          throw new Error(`costwise: ledger store closed with ${unwritten} rows not confirmed written: ${errorText(err)}`, { cause: err });
        }
        await stop();
      })();
      return closing;
    },
  };
}

/** Starts a worker; it answers once on the returned port when its database is open (or cannot be). */
function launch(opts: WorkerSqliteStoreOptions): { worker: Worker; startSignal: Int32Array; port: MessagePort } {
  const url = opts.workerUrl ?? workerEntry();
  if (!existsSync(url)) throw new Error(`costwise: ledger worker entry ${fileURLToPath(url)} not found`);
  const startSignal = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const data: LedgerWorkerData = {
    store: { path: opts.path, flushIntervalMs: opts.flushIntervalMs ?? 10, maxBatch: opts.maxBatch, busyTimeoutMs: opts.busyTimeoutMs },
    startSignal,
    startPort: port2,
  };
  return { worker: new Worker(url, { workerData: data, transferList: [port2] }), startSignal, port: port1 };
}

function startFailure(worker: Worker, reply: StartReply | undefined, timeoutMs: number): Error {
  worker.on('error', () => undefined); // it is being stopped; its error is the one returned
  void worker.terminate();
  return new Error(
    reply === undefined
      ? `costwise: the ledger worker did not start within ${timeoutMs} ms`
      : reply.ok
        ? 'costwise: the ledger worker started too late'
        : reply.message,
  );
}

/**
 * Starts the worker and waits — blocking this thread, once, for the tens of milliseconds the
 * worker needs to open the database — for its answer, so a database that cannot be opened fails
 * here (as openSqliteStore does) and not at the first write.
 */
function startWorker(opts: WorkerSqliteStoreOptions): Worker {
  const timeoutMs = opts.startTimeoutMs ?? 10_000;
  const { worker, startSignal, port } = launch(opts);
  Atomics.wait(startSignal, 0, 0, timeoutMs);
  const reply = receiveMessageOnPort(port)?.message as StartReply | undefined;
  port.close();
  if (reply?.ok === true) return worker;
  throw startFailure(worker, reply, timeoutMs);
}

/** The same for a replacement worker, without blocking: the store is already serving. */
function startWorkerAsync(opts: WorkerSqliteStoreOptions): Promise<Worker> {
  const timeoutMs = opts.startTimeoutMs ?? 10_000;
  let started: { worker: Worker; port: MessagePort };
  try {
    started = launch(opts);
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
  const { worker, port } = started;
  return new Promise((resolve, rejectStart) => {
    let startError: unknown = null;
    const onError = (err: unknown) => {
      startError = err;
    };
    const done = (reply: StartReply | undefined) => {
      clearTimeout(timer);
      port.close();
      worker.off('exit', onExit);
      worker.off('error', onError);
      if (reply?.ok === true) resolve(worker);
      else rejectStart(startFailure(worker, reply, timeoutMs));
    };
    const onExit = (code: number) =>
      done({
        ok: false,
        message: `the ledger worker exited with code ${code} while starting${startError === null ? '' : `: ${errorText(startError)}`}`,
      });
    const timer = setTimeout(() => done(undefined), timeoutMs).unref();
    worker.on('error', onError);
    worker.once('exit', onExit);
    port.once('message', (reply: StartReply) => done(reply));
    port.unref();
  });
}

/** The compiled worker entry (src/core/worker-entry.ts). */
export function workerEntry(moduleUrl: string = import.meta.url): URL {
  return compiledWorkerEntry(moduleUrl, 'ledger-worker.js', 'the ledger worker');
}
