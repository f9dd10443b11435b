// Messages between the worker store (main thread, worker-store.ts) and the ledger worker
// (ledger-worker.ts). One port, so messages arrive in the order they were posted: a request sees
// every row posted before it.
import type { MessagePort } from 'node:worker_threads';
import type { LedgerRow, SpendBucket, SpendQuery } from './types.js';

/** The SqliteStore options that cross the thread boundary (functions cannot). */
export interface LedgerWorkerStoreOptions {
  path: string;
  flushIntervalMs: number;
  maxBatch?: number | undefined;
  busyTimeoutMs?: number | undefined;
}

export interface LedgerWorkerData {
  store: LedgerWorkerStoreOptions;
  /** Int32Array over a SharedArrayBuffer: the worker sets [0] to 1 once it has answered on startPort. */
  startSignal: Int32Array;
  /** Receives exactly one StartReply. */
  startPort: MessagePort;
}

export type StartReply = { ok: true } | { ok: false; message: string };

/** A request with an answer; `id` pairs it with its Reply. */
export type Request =
  | { type: 'flush'; id: number }
  | { type: 'spend'; id: number; query: SpendQuery }
  | { type: 'ledgerRows'; id: number; options: { limit: number; offset?: number } }
  | { type: 'close'; id: number };

export type ToWorker = { type: 'rows'; rows: LedgerRow[] } | Request;

export type RequestValue = SpendBucket[] | LedgerRow[] | null;

export type FromWorker =
  | { type: 'reply'; id: number; ok: true; value: RequestValue }
  | { type: 'reply'; id: number; ok: false; message: string }
  /** Rows handled (written, duplicate or rejected) since the previous progress message. */
  | { type: 'handled'; rows: number }
  | { type: 'log'; message: string };

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
