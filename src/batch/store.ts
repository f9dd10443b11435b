// The durable batch store: files, batches, their items, the provider batches they run in, deferred
// jobs and budget holds. Two implementations: SQLite (sqlite-store.ts, one process: the embedded
// default) and PostgreSQL (postgres/store.ts, the replicas that share a PostgreSQL ledger).
//
// Every state change is a conditional UPDATE inside a transaction, so a crash at any point leaves
// each item in exactly one state and a result is never applied twice.
//
// Leases (PostgreSQL): the work of a batch — starting its items, creating and polling its provider
// batches, ending it, flushing a deferral group, settling its budget holds — is done by the replica
// that holds the batch's lease. `leaseBatches` takes the free and expired ones and renews its own;
// a replica that dies stops renewing, and once its leases expire another takes the batches over,
// with the pipeline items the dead one left `running` back to `pending`. SQLite has one process:
// every batch is its own, and what a previous process left running runs again at start (recover).
import type {
  BatchFormat,
  BatchRecord,
  BatchState,
  Estimate,
  FileRecord,
  ItemRecord,
  ItemResult,
  ItemState,
  ProviderBatchRecord,
  ProviderBatchState,
} from './types.js';

/** One item's move to a terminal state, applied only if it is still in `from`. */
export interface ItemOutcome {
  batchId: string;
  seq: number;
  from: readonly ItemState[];
  state: ItemState;
  result: ItemResult;
  costPico: number;
  baselinePico: number;
}

export interface StateCounts {
  pending: number;
  submitted: number;
  running: number;
  succeeded: number;
  errored: number;
  canceled: number;
  expired: number;
}

/** A replica's claim on work: who, and until when (epoch ms); `now` decides which leases have expired. */
export interface Lease {
  owner: string;
  now: number;
  until: number;
}

export interface ListQuery {
  format?: BatchFormat;
  keyId?: string;
  after?: string | null;
  before?: string | null;
  limit: number;
}

export interface JobRecord {
  id: string;
  batchId: string;
  customId: string;
  format: string;
  createdAt: number;
  notAfter: number;
  webhookState: string;
}

export interface HoldRecord {
  id: string;
  seq: number | null;
  reservation: string;
}

/** A deferred request joining a collecting batch: its item is built once its number is known. */
export interface DeferredAppend {
  batchId: string;
  /** The item numbered `seq`, and the model it is served on (the batch's model list grows with it). */
  item: (seq: number) => { item: ItemRecord; model: string };
  job: { id: string; format: string; createdAt: number; notAfter: number; webhook: boolean };
  /** The request's budget reservation (JSON), held until the batch ends. */
  reservation: string | null;
}

export interface BatchStore {
  close(): Promise<void>;

  // ---- files
  insertFile(f: FileRecord, content: Buffer): Promise<void>;
  file(id: string): Promise<FileRecord | null>;
  fileContent(id: string): Promise<Buffer | null>;
  deleteFile(id: string): Promise<boolean>;

  // ---- batches
  insertBatch(b: BatchRecord, items: readonly ItemRecord[]): Promise<void>;
  /**
   * Adds a deferred request to a batch that is still collecting, with its job and hold, in one
   * transaction that numbers it after the batch's last item; null when the batch stopped collecting.
   */
  appendDeferred(a: DeferredAppend): Promise<{ seq: number; total: number } | null>;
  setEstimate(batchId: string, estimate: Estimate): Promise<void>;
  batch(id: string): Promise<BatchRecord | null>;
  /** Newest first; `after` is the id of the last batch of the previous page. */
  listBatches(q: ListQuery): Promise<{ data: BatchRecord[]; hasMore: boolean }>;
  batchesIn(states: readonly BatchState[]): Promise<BatchRecord[]>;
  /** Moves a batch from one of `from` to `to`; false when it was in another state. */
  transition(
    id: string,
    from: readonly BatchState[],
    to: BatchState,
    times?: { approvedAt?: number; inProgressAt?: number; cancelRequestedAt?: number },
  ): Promise<boolean>;
  /** Ends a batch and stores its output files, in one transaction; false when it had already ended. */
  finish(id: string, state: BatchState, endedAt: number, files: Array<{ record: FileRecord; content: Buffer; role: 'output' | 'error' }>): Promise<boolean>;
  deleteBatch(id: string): Promise<void>;

  // ---- leases
  /**
   * The batches in `states` this replica now holds: its own (renewed), free ones, and expired ones,
   * whose ids are also in `takenOver` (their pipeline items that were running are pending again).
   */
  leaseBatches(states: readonly BatchState[], lease: Lease): Promise<{ batches: BatchRecord[]; takenOver: string[] }>;
  /** Extends every lease `lease.owner` holds (a timer, while a long tick runs). */
  renewLeases(lease: Lease): Promise<void>;
  /** Gives up every lease `owner` holds (a clean stop: another replica need not wait for them to expire). */
  releaseLeases(owner: string): Promise<void>;
  /** At start: items a previous process of this store left running run again; returns how many. */
  recover(): Promise<number>;

  // ---- items
  items(batchId: string): Promise<ItemRecord[]>;
  item(batchId: string, customId: string): Promise<ItemRecord | null>;
  itemAt(batchId: string, seq: number): Promise<ItemRecord | null>;
  itemsIn(batchId: string, state: ItemState, route?: ItemRecord['route']): Promise<ItemRecord[]>;
  itemsOf(providerBatchId: string): Promise<ItemRecord[]>;
  counts(batchId: string): Promise<StateCounts>;
  /** What the batch's items have cost so far (exact: summed in the database). */
  costPico(batchId: string): Promise<bigint>;
  /** pending → running; false when another worker (or a cancel) got there first. */
  claim(batchId: string, seq: number): Promise<boolean>;
  /** Applies outcomes whose items are still in their expected state; returns the ones applied. */
  settle(outcomes: readonly ItemOutcome[], providerBatch?: { id: string; state: ProviderBatchState }): Promise<ItemOutcome[]>;
  /** Items (of `batchIds`, else of every batch) whose ledger row may not have been written yet (a crash between result and ledger). */
  unbilled(batchIds?: readonly string[]): Promise<ItemRecord[]>;
  markBilled(keys: ReadonlyArray<{ batchId: string; seq: number }>): Promise<void>;

  // ---- provider batches
  /** Records a provider batch about to be created and moves its items to `submitted`, atomically (no row when none moved). */
  assign(pb: ProviderBatchRecord, seqs: readonly number[]): Promise<number>;
  submitted(pbId: string, upstreamId: string): Promise<void>;
  cancelSent(pbId: string): Promise<void>;
  providerBatchesIn(states: readonly ProviderBatchState[]): Promise<ProviderBatchRecord[]>;
  knownUpstreamIds(): Promise<Set<string>>;

  // ---- budget holds
  /** A budget reservation the batch holds until it ends (seq: a deferred request's item; null: the whole batch). */
  addHold(h: { id: string; batchId: string; seq: number | null; reservation: string }): Promise<void>;
  holdsOf(batchId: string): Promise<HoldRecord[]>;
  /** Batches that have ended but still hold a budget reservation (a stop came between the two) and that `lease` may settle. */
  endedBatchesWithHolds(lease: Lease): Promise<string[]>;
  removeHold(id: string): Promise<void>;

  // ---- deferred jobs
  job(id: string): Promise<JobRecord | null>;
  /** Jobs waiting for webhook delivery whose item has ended (leased to `lease.owner` for the attempt). */
  jobsToDeliver(lease: Lease): Promise<Array<{ id: string; batchId: string; customId: string }>>;
  setWebhookState(jobId: string, state: 'delivered' | 'failed'): Promise<void>;
  /**
   * The open deferral batch requests like this one join: same format, key and tenant, and the same
   * tags and forwarded headers, which the batch carries for all its items (tags onto their ledger
   * rows, headers onto the provider's batch request).
   */
  collecting(
    format: string,
    caller?: { keyId: string; tenant: string; tags?: readonly string[] },
    forwardHeaders?: Readonly<Record<string, string>>,
  ): Promise<BatchRecord | null>;
}
