// The two narrow storage interfaces of DESIGN.md. The pipeline depends only on these; SQLite and
// in-memory implement them now, PostgreSQL and Redis later.

/** One request's entry in the ledger. Money in integer pico-dollars (1e-12 USD). */
export interface LedgerRow {
  requestId: string;
  /** Unix epoch milliseconds when the request arrived. */
  ts: number;
  tenant: string;
  keyId: string;
  tags: string[];
  /** Wire format the caller used: openai | anthropic. */
  ingress: string;
  endpoint: string;
  requestedModel: string;
  servedModel: string;
  provider: string;
  inputTokens: number;
  cacheReadTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  costPico: number;
  baselinePico: number;
  latencyMs: number;
  /** HTTP status returned to the caller. */
  status: number;
  stream: boolean;
  errorKind: string | null;
}

export type SpendGroup = 'model' | 'day' | 'tag' | 'key';

export interface SpendQuery {
  groupBy: SpendGroup;
  /** Inclusive lower bound, epoch ms. */
  from?: number;
  /** Exclusive upper bound, epoch ms. */
  to?: number;
}

export interface SpendBucket {
  key: string;
  requests: number;
  inputTokens: number;
  cacheReadTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  outputTokens: number;
  /** Exact only below 2^53 pico-dollars (~$9,007); reports use `exact`. */
  costPico: number;
  baselinePico: number;
  /** The same sums, exact at any size. */
  exact: { costPico: bigint; baselinePico: bigint };
}

/** Durable store: ledger now; keys and batch jobs later. */
export interface DurableStore {
  /** Queues a row; rows are written in batches off the hot path. Never throws. */
  appendLedger(row: LedgerRow): void;
  /** Writes everything queued (awaited at shutdown and by tests). */
  flush(): Promise<void>;
  spend(query: SpendQuery): Promise<SpendBucket[]>;
  ledgerRows(options: { limit: number; offset?: number }): Promise<LedgerRow[]>;
  close(): Promise<void>;
}

/** Shared state: counters, TTL'd values (budgets, rate limits, caches, breakers later). */
export interface SharedState {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  incrBy(key: string, delta: number, ttlMs?: number): Promise<number>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}
