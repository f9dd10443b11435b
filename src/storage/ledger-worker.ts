// The ledger worker thread: owns the SQLite store for worker-store.ts, so every synchronous
// better-sqlite3 call runs here and never on the gateway's event loop. Protocol: ledger-worker-protocol.ts.
//
// Only node builtins are imported statically; the store is loaded with import() inside the start
// handshake, so a failure to load it (native module, missing file) is reported to the waiting main
// thread instead of leaving it to time out.
import { parentPort, workerData } from 'node:worker_threads';
import { errorText, fromTuple, type FromWorker, type LedgerWorkerData, type RequestValue, type StartReply, type ToWorker } from './ledger-worker-protocol.js';
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

async function open(): Promise<{ store: DurableStore; isInvalid: (row: LedgerRow) => boolean } | null> {
  try {
    const [{ openSqliteStore }, { invalidReason }] = await Promise.all([import('./sqlite.js'), import('./sqlite-rows.js')]);
    const store = openSqliteStore({
      ...data.store,
      log: (message) => post({ type: 'log', message }),
      onWritten: (rows) => post({ type: 'handled', rows }),
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
        // have changed it since); count it as handled, or the main thread would count it as lost.
        let rejected = 0;
        for (const tuple of message.rows) {
          const row = fromTuple(tuple);
          if (isInvalid(row)) rejected += 1;
          store.appendLedger(row);
        }
        if (rejected > 0) post({ type: 'handled', rows: rejected });
        return;
      }
      case 'flush':
        void answer(message.id, store.flush().then(() => null));
        return;
      case 'spend':
        void answer(message.id, store.spend(message.query));
        return;
      case 'ledgerRows':
        void answer(message.id, store.ledgerRows(message.options));
        return;
      case 'close':
        void answer(message.id, store.close().then(() => null)).finally(() => port.close());
        return;
      default: {
        const unknown: never = message;
        post({ type: 'log', message: `costwise: ledger worker ignored an unknown message ${JSON.stringify(unknown)}` });
      }
    }
  });
}
