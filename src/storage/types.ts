// The two narrow storage interfaces of DESIGN.md. The pipeline depends only on these; SQLite and
// in-memory implement them now, PostgreSQL and Redis later.
import type { DashboardQuery, DashboardResult } from './dashboard-types.js';

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
  /** The request as sent, with no optimisation: no-cache prices on the model asked for. */
  baselinePico: number;
  /** The part of baseline − cost that prompt caching saved (no-cache cost − cost on the served model). */
  promptCachePico: number;
  /**
   * Input tokens prompt optimisation removed before the request went upstream (counted with the
   * served model's tokenizer); 0 when it did not run or removed nothing.
   */
  promptTokensRemoved: number;
  /**
   * The request's exact response-cache key (tenant, model asked for and every field that can change
   * the answer), first 32 hex digits; null on sub-calls and rows of no request. Equal hashes are
   * exact repeats, whether the response cache was on or not.
   */
  promptHash: string | null;
  /** The output cap the caller asked for (`max_tokens` / `max_completion_tokens`); null when none. */
  maxTokens: number | null;
  /** How the answer ended (`end_turn`, `max_tokens`, `tool_use`, …); null when there was no answer. */
  stopReason: string | null;
  latencyMs: number;
  /** HTTP status returned to the caller. */
  status: number;
  stream: boolean;
  errorKind: string | null;
  /** Why the served model served (`x-costwise-route`), e.g. `rule:classification->gpt-4.1-nano`. */
  route: string;
  /**
   * The technique this row's saving (baseline − cost, possibly negative) is attributed to:
   * `routing`, `cascade`, …; null when the request was served as asked.
   */
  technique: string | null;
  /**
   * Set on a billed upstream call made on behalf of another request (a cascade's rejected
   * first answer): that request's id. Such rows add cost, not requests, to the spend sums.
   */
  parentId: string | null;
  /** Upstream attempts when there was more than one (retries, fallbacks), oldest first. */
  attempts: LedgerAttempt[] | null;
  /** Response cache: `hit-exact`, `hit-semantic` or `miss`; null when the cache was not consulted. */
  cache: string | null;
}

/** One upstream attempt of a request, as the ledger keeps it. */
export interface LedgerAttempt {
  /** Deployment key: `model@provider[/region]`. */
  deployment: string;
  /** HTTP status the upstream answered (0 when it never answered), or 200. */
  status: number;
  /** Error kind, `breaker_open` for a deployment skipped by its open breaker; absent on success. */
  error?: string;
  ms: number;
}

export type SpendGroup = 'model' | 'day' | 'tag' | 'key' | 'technique';

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
  promptCachePico: number;
  /** The same sums, exact at any size. */
  exact: { costPico: bigint; baselinePico: bigint; promptCachePico: bigint };
}

/** A schema's version before and after its migrations ran (equal when there was nothing to do). */
export interface SchemaVersions {
  before: number;
  after: number;
}

/** One bounded retention step: the oldest rows before `before` (epoch ms), at most `limit` of them. */
export interface PruneStep {
  before: number;
  limit: number;
}

/** Durable store: ledger now; keys and batch jobs later. */
export interface DurableStore {
  /**
   * Queues a row; rows are written in batches off the hot path. Never throws. `tupleJson`, when the
   * caller has it already (the spool's line), is `tupleJson(row)` (ledger-worker-protocol.ts).
   */
  appendLedger(row: LedgerRow, tupleJson?: string): void;
  /**
   * Resolves once the rows appended so far would survive the process being killed (a spooled
   * store: on local disk); undefined when they already would, or the store makes no such promise.
   */
  durable?(): Promise<void> | undefined;
  /** Writes everything queued (awaited at shutdown and by tests). */
  flush(): Promise<void>;
  spend(query: SpendQuery): Promise<SpendBucket[]>;
  ledgerRows(options: { limit: number; offset?: number }): Promise<LedgerRow[]>;
  /** The dashboard's read queries (dashboard-types.ts). */
  dashboard<Q extends DashboardQuery>(query: Q): Promise<DashboardResult<Q>>;
  /**
   * Deletes the oldest ledger rows (and their tags) with ts < `before`, at most `limit` of them in
   * one statement by the ts index, and resolves with how many it deleted. Hourly rollups are kept:
   * spend stays exact for every hour (retention.ts loops this step).
   */
  prune(step: PruneStep): Promise<number>;
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
