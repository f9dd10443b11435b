// Messages between the worker store (main thread, worker-store.ts) and the ledger worker
// (ledger-worker.ts). One port, so messages arrive in the order they were posted: a request sees
// every row posted before it.
import type { MessagePort } from 'node:worker_threads';
import type { LedgerAttempt, LedgerRow, PruneStep, SpendBucket, SpendQuery } from './types.js';
import type { DashboardQuery, DashboardValue } from './dashboard-types.js';

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
  | { type: 'dashboard'; id: number; query: DashboardQuery }
  | { type: 'prune'; id: number; step: PruneStep }
  | { type: 'close'; id: number };

/**
 * A batch of rows: `json` is a JSON array of RowTuples (`count` of them). `seq` numbers the batch's
 * last row among all rows the main thread ever posted (its first row is `seq - count + 1`); a batch
 * re-posted to a restarted worker keeps its seq. JSON text, not the tuples themselves: a spooled
 * row is already that text (the spool's line), and one string clones for a fraction of the tuples' cost.
 */
export type ToWorker = { type: 'rows'; seq: number; count: number; json: string } | Request;

export type RequestValue = SpendBucket[] | LedgerRow[] | DashboardValue | number | null;

export type FromWorker =
  | { type: 'reply'; id: number; ok: true; value: RequestValue }
  | { type: 'reply'; id: number; ok: false; message: string }
  /**
   * Every row posted up to and including sequence number `seq` is handled: committed (a duplicate
   * request id included) or rejected as invalid. The main thread may forget those rows.
   */
  | { type: 'written'; seq: number }
  | { type: 'log'; message: string };

/**
 * A LedgerRow as spooled and posted to the worker (as JSON): its fields, in this order. Shorter to
 * write and parse than the object, and it carries nothing but LedgerRow fields.
 */
export type RowTuple = [
  requestId: string,
  ts: number,
  tenant: string,
  keyId: string,
  tags: string[],
  ingress: string,
  endpoint: string,
  requestedModel: string,
  servedModel: string,
  provider: string,
  inputTokens: number,
  cacheReadTokens: number,
  cacheWrite5mTokens: number,
  cacheWrite1hTokens: number,
  outputTokens: number,
  reasoningTokens: number,
  costPico: number,
  baselinePico: number,
  latencyMs: number,
  status: number,
  stream: boolean,
  errorKind: string | null,
  route: string,
  technique: string | null,
  parentId: string | null,
  attempts: LedgerAttempt[] | null,
  cache: string | null,
  promptCachePico: number,
  promptTokensRemoved: number,
  promptHash: string | null,
  maxTokens: number | null,
  stopReason: string | null,
];

/** The row's tuple as JSON: a spool line (without its newline) and an element of a posted batch. */
export function tupleJson(r: LedgerRow): string {
  return JSON.stringify(toTuple(r));
}

export function toTuple(r: LedgerRow): RowTuple {
  return [
    r.requestId,
    r.ts,
    r.tenant,
    r.keyId,
    r.tags,
    r.ingress,
    r.endpoint,
    r.requestedModel,
    r.servedModel,
    r.provider,
    r.inputTokens,
    r.cacheReadTokens,
    r.cacheWrite5mTokens,
    r.cacheWrite1hTokens,
    r.outputTokens,
    r.reasoningTokens,
    r.costPico,
    r.baselinePico,
    r.latencyMs,
    r.status,
    r.stream,
    r.errorKind,
    r.route,
    r.technique,
    r.parentId,
    r.attempts,
    r.cache,
    r.promptCachePico,
    r.promptTokensRemoved,
    r.promptHash,
    r.maxTokens,
    r.stopReason,
  ];
}

/** The object literal names every LedgerRow field, so a new field is a type error here until the tuple carries it. */
export function fromTuple(t: RowTuple): LedgerRow {
  const [
    requestId,
    ts,
    tenant,
    keyId,
    tags,
    ingress,
    endpoint,
    requestedModel,
    servedModel,
    provider,
    inputTokens,
    cacheReadTokens,
    cacheWrite5mTokens,
    cacheWrite1hTokens,
    outputTokens,
    reasoningTokens,
    costPico,
    baselinePico,
    latencyMs,
    status,
    stream,
    errorKind,
    route,
    technique,
    parentId,
    attempts,
    cache,
    promptCachePico,
    promptTokensRemoved,
    promptHash,
    maxTokens,
    stopReason,
  ] = t;
  return {
    requestId,
    ts,
    tenant,
    keyId,
    tags,
    ingress,
    endpoint,
    requestedModel,
    servedModel,
    provider,
    inputTokens,
    cacheReadTokens,
    cacheWrite5mTokens,
    cacheWrite1hTokens,
    outputTokens,
    reasoningTokens,
    costPico,
    baselinePico,
    latencyMs,
    status,
    stream,
    errorKind,
    route,
    technique,
    parentId,
    attempts,
    cache,
    promptCachePico,
    promptTokensRemoved,
    promptHash,
    maxTokens,
    stopReason,
  };
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
