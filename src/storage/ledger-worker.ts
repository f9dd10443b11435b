// The ledger worker thread: owns the SQLite store for worker-store.ts, so every synchronous
// better-sqlite3 call runs here and never on the gateway's event loop. Protocol: ledger-worker-protocol.ts.
//
// Only node builtins are imported statically; the store is loaded with import() inside the start
// handshake, so a failure to load it (native module, missing file) is reported to the waiting main
// thread instead of leaving it to time out.
import { parentPort, workerData } from 'node:worker_threads';
import {
  errorText,
  fromTuple,
  type FromWorker,
  type LedgerWorkerData,
  type RequestValue,
  type RowTuple,
  type StartReply,
  type ToWorker,
} from './ledger-worker-protocol.js';
import type { DurableStore, LedgerRow } from './types.js';

const data = workerData as LedgerWorkerData;
const port = parentPort;
if (port === null) throw new Error('costwise: ledger-worker.js is a worker_threads entry, not a program');

function post(message: FromWorker): void {
  port?.postMessage(message);
}

function started(reply: StartReply): void {
  data.startPort.postMessage(reply);
  data.startPort.close();
  Atomics.store(data.startSignal, 0, 1);
  Atomics.notify(data.startSignal, 0);
}

/** Answers request `id` with what `work` resolves to, or with its error. */
function answer(id: number, work: Promise<RequestValue>): Promise<void> {
  return work.then(
    (value) => post({ type: 'reply', id, ok: true, value }),
    (err: unknown) => post({ type: 'reply', id, ok: false, message: errorText(err) }),
  );
}

// Progress: the store writes its queue in order and reports each commit's row count (onWritten), so
// the batches posted to it, oldest first, with the rows of each still queued, map those counts back
// to the main thread's sequence numbers. A batch is confirmed once none of its rows is queued.
const batches: { seq: number; queued: number }[] = [];
let reported = 0; // highest sequence number reported written

/** The store committed `rows` more of its queued rows: the oldest ones. */
function written(rows: number): void {
  let left = rows;
  for (const batch of batches) {
    if (left === 0) break;
    const take = Math.min(left, batch.queued);
    batch.queued -= take;
    left -= take;
  }
  report();
}

/** Drops the leading batches with nothing left queued and reports the newest of them. */
function report(): void {
  let seq = reported;
  while (batches.length > 0 && batches[0]?.queued === 0) seq = (batches.shift() as { seq: number }).seq;
  if (seq === reported) return;
  reported = seq;
  post({ type: 'written', seq });
}

async function open(): Promise<{ store: DurableStore; isInvalid: (row: LedgerRow) => boolean } | null> {
  try {
    const [{ openSqliteStore }, { invalidReason }] = await Promise.all([import('./sqlite.js'), import('./sqlite-rows.js')]);
    const store = openSqliteStore({
      ...data.store,
      log: (message) => post({ type: 'log', message }),
      onWritten: written,
    });
    started({ ok: true });
    return { store, isInvalid: (row) => invalidReason(row) !== null };
  } catch (err) {
    started({ ok: false, message: errorText(err) });
    port?.close();
    return null;
  }
}

const opened = await open();
if (opened !== null) {
  const { store, isInvalid } = opened;
  port.on('message', (message: ToWorker) => {
    switch (message.type) {
      case 'rows': {
        // The store logs and drops an invalid row (the main thread validated it, but the caller may
        // have changed it since); it is handled, not queued, or the main thread would keep it forever.
        const rows = (JSON.parse(message.json) as RowTuple[]).map(fromTuple);
        const queued = rows.reduce((n, row) => (isInvalid(row) ? n : n + 1), 0);
        batches.push({ seq: message.seq, queued });
        for (const row of rows) store.appendLedger(row);
        if (queued === 0) report();
        return;
      }
      case 'flush':
        void answer(
          message.id,
          store.flush().then(() => null),
        );
        return;
      case 'spend':
        void answer(message.id, store.spend(message.query));
        return;
      case 'ledgerRows':
        void answer(message.id, store.ledgerRows(message.options));
        return;
      case 'dashboard':
        void answer(message.id, store.dashboard(message.query));
        return;
      case 'prune':
        void answer(message.id, store.prune(message.step));
        return;
      case 'close':
        void answer(
          message.id,
          store.close().then(() => null),
        ).finally(() => port.close());
        return;
      default: {
        const unknown: never = message;
        post({ type: 'log', message: `costwise: ledger worker ignored an unknown message ${JSON.stringify(unknown)}` });
      }
    }
  });
}
