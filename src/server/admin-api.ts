// The admin API's JSON (/api/...): one declaration per endpoint, the single source of truth for both
// sides. The server's handlers (admin.ts, admin-dashboard.ts, admin-estimate.ts, batch-admin.ts)
// build their bodies as these types, and the dashboard (dashboard/src) reads them through
// `import type`, so a field renamed on one side fails `tsc` on the other.
//
// Types only: no runtime code and no imports, so the dashboard (DOM, `types: []`) can compile it
// and Vite erases it. Structures stored elsewhere in src (ledger rows, batch estimates, cache stats)
// are declared again here; the server assigns the stored value to the declaration, which checks
// that they agree.
//
// Money is an exact decimal string in USD (`UsdString`). Times are epoch milliseconds unless said
// otherwise. `from` / `to` echo the range asked for (null when not given).

/** An exact decimal amount in USD, e.g. `"0.0000125"`; negative when a saving is a loss. */
export type UsdString = string;

/** Unix epoch milliseconds. */
export type EpochMs = number;

/**
 * Every error the admin endpoints answer (400, 401, 404, 405, and a 500 from app.ts). /api/batches
 * answers OpenAI's error body, the same shape (Anthropic's when the call sends `anthropic-version`).
 */
export interface ApiErrorResponse {
  error: {
    message: string;
    /** `invalid_request_error`, `authentication_error` (401), `not_found_error` (unknown request id), … */
    type: string;
    /** The query parameter or body field at fault. */
    param: string | null;
    code: string | null;
  };
}

/** The range an endpoint read, as asked (`from` inclusive, `to` exclusive). */
export interface RangeEcho {
  from: EpochMs | null;
  to: EpochMs | null;
}

/** Counts and money of a set of ledger rows (a time bucket, a group). */
export interface MoneyFigures {
  requests: number;
  cost_usd: UsdString;
  baseline_usd: UsdString;
  /** baseline − cost. */
  saving_usd: UsdString;
  /** The part of the saving that provider prompt caching made (negative when cache writes were never read). */
  prompt_cache_saving_usd: UsdString;
}

// ---- GET /api/spend?group_by=&from=&to=

export type SpendGroup = 'model' | 'day' | 'tag' | 'key' | 'team' | 'technique';

export interface TokenCounts {
  input: number;
  cache_read: number;
  cache_write_5m: number;
  cache_write_1h: number;
  output: number;
}

/** One group of /api/spend. Its key is under the `group_by` name: only the one asked for is there. */
export type SpendRow = Partial<Record<SpendGroup, string>> & MoneyFigures & { tokens: TokenCounts };

export interface SpendResponse extends RangeEcho {
  group_by: SpendGroup;
  total: { cost_usd: UsdString; baseline_usd: UsdString; saving_usd: UsdString };
  data: SpendRow[];
}

// ---- GET /api/timeseries?bucket=&group_by=&top=&from=&to=

export type TimeseriesGroup = 'technique' | 'model' | 'key' | 'tag';

/** The key in `by` of the groups beyond `top`, summed. */
export type OtherSeries = '(other)';

/**
 * The saving split among techniques (`routing`, `cascade`, `cache_exact`, …, `unattributed`) with
 * `prompt_caching` on its own; present with `group_by=technique` only.
 */
export type SavingByTechnique = Record<string, UsdString>;

export interface TimeseriesPoint extends MoneyFigures {
  /** Bucket start (UTC hour or day). */
  t: EpochMs;
  saving_by_technique?: SavingByTechnique;
  /** The same figures per group. */
  by: Record<string, MoneyFigures>;
}

export interface TimeseriesResponse extends RangeEcho {
  bucket: 'hour' | 'day';
  group_by: TimeseriesGroup;
  /**
   * Groups kept one by one: the `top` costliest of the range (then by name); the rest are summed
   * in `by` under OtherSeries. null: every group. Defaults to 20 with `group_by=key`, else null (`top=0`).
   */
  top: number | null;
  total: MoneyFigures & { saving_by_technique?: SavingByTechnique };
  /** Oldest first; empty buckets are zeros when both `from` and `to` are given. */
  data: TimeseriesPoint[];
}

// ---- GET /api/requests (listing, search) and GET /api/requests/{id}

/** One upstream attempt of a request. */
export interface LedgerAttempt {
  /** Deployment key: `model@provider[/region]`. */
  deployment: string;
  /** HTTP status the upstream answered (0 when it never answered). */
  status: number;
  /** Error kind (`breaker_open` for a skipped deployment); absent on success. */
  error?: string;
  ms: number;
}

/** A ledger row as stored (src/storage/types.ts LedgerRow, which must have exactly these fields). */
export interface StoredLedgerRow {
  requestId: string;
  ts: EpochMs;
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
  /** Integer pico-dollars (1e-12 USD), exact below 2^53; the `*_usd` fields are the same amounts. */
  costPico: number;
  baselinePico: number;
  promptCachePico: number;
  /** Input tokens prompt optimisation removed (the served model's tokenizer); 0 when none. */
  promptTokensRemoved: number;
  /** The request's exact response-cache key, first 32 hex digits (equal: an exact repeat); null on sub-calls. */
  promptHash: string | null;
  /** The output cap the caller asked for; null when none. */
  maxTokens: number | null;
  /** How the answer ended (`end_turn`, `max_tokens`, …); null when there was none. */
  stopReason: string | null;
  latencyMs: number;
  /** HTTP status returned to the caller. */
  status: number;
  stream: boolean;
  errorKind: string | null;
  /** Why the served model served (`x-costwise-route`). */
  route: string;
  /** The technique the saving is attributed to; null when served as asked. */
  technique: string | null;
  /** Set on a billed sub-call: the id of the request it was made for. */
  parentId: string | null;
  /** Upstream attempts when there was more than one, oldest first. */
  attempts: LedgerAttempt[] | null;
  /** `hit-exact`, `hit-semantic` or `miss`; null when the response cache was not consulted. */
  cache: string | null;
}

/** A row of the plain listing (GET /api/requests with no search parameter). */
export interface LedgerListRow extends StoredLedgerRow {
  cost_usd: UsdString;
  baseline_usd: UsdString;
}

/** GET /api/requests?limit=&offset= (no search parameter): newest first. */
export interface RequestsListResponse {
  data: LedgerListRow[];
  limit: number;
  offset: number;
}

/** A row of the search and of the detail: the stored row with all its USD amounts. */
export interface LedgerRowJson extends LedgerListRow {
  saving_usd: UsdString;
  prompt_cache_saving_usd: UsdString;
}

/** GET /api/requests?q=&model=&status=&technique=&cache=&top_level=&from=&to=&limit=&offset= */
export interface RequestsSearchResponse {
  data: LedgerRowJson[];
  limit: number;
  offset: number;
  /** Whether there is a next page (there is no total count). */
  has_more: boolean;
}

/** GET /api/requests/{id} */
export interface RequestDetailResponse extends LedgerRowJson {
  /** Billed sub-calls made for this request, oldest first. */
  sub_calls: LedgerRowJson[];
  /** The request with its sub-calls. */
  total_cost_usd: UsdString;
  /** baseline − total cost. */
  net_saving_usd: UsdString;
}

// ---- GET /api/stats/latency-cost?from=&to=&sample=

export interface Percentiles<T> {
  p50: T;
  p90: T;
  p99: T;
  max: T;
}

export interface LatencyCostGroup {
  /** Served model, or `(all)`. */
  model: string;
  /** Rows in the sample. */
  requests: number;
  cost_usd: Percentiles<UsdString>;
  latency_ms: Percentiles<number>;
}

export interface LatencyCostResponse extends RangeEcho {
  /** Top-level requests the sample was drawn from (an estimate when sampled). */
  population: number;
  sampled: boolean;
  data: LatencyCostGroup[];
}

// ---- GET /api/routing?from=&to=

export interface RoutingResponse extends RangeEcho {
  requests: number;
  by_model: Array<{ model: string; tier: string | null; requests: number; cost_usd: UsdString }>;
  /** `(no tier)` for models without one; most requests first. */
  by_tier: Array<{ tier: string; requests: number; cost_usd: UsdString }>;
  by_technique: Array<{ technique: string; requests: number; cost_usd: UsdString }>;
  fallbacks: number;
  fallback_rate: number;
  cascade_requests: number;
  escalations: number;
  escalation_rate: number;
}

// ---- GET /api/caching?from=&to=

export interface CachingResponse extends RangeEcho {
  response_cache: {
    lookups: number;
    hits_exact: number;
    hits_semantic: number;
    misses: number;
    hit_rate: number;
    saving_usd: UsdString;
    exact_saving_usd: UsdString;
    semantic_saving_usd: UsdString;
  };
  prompt_cache: { saving_usd: UsdString };
}

// ---- GET /api/cache, POST /api/cache/invalidate

/** GET /api/cache: the response cache's configuration and its store's size (shared by the replicas only with `backend: redis`; else this replica's). */
export interface CacheStoreResponse {
  backend: 'memory' | 'sqlite' | 'redis';
  policy: 'deterministic' | 'always' | 'never';
  scope: 'key' | 'tenant';
  /** Live entries. */
  entries: number;
  bytes: number;
  /** Absent when the store has no bound. */
  maxBytes?: number;
  /** Entries removed to stay within `maxBytes`. */
  evictions: number;
  /** The semantic cache of this replica; null when semantic caching is off. */
  semantic: SemanticCacheStatus | null;
}

/** Online verification of semantic hits, per cache namespace (tenant or credential) and model asked for. */
export interface SemanticCacheStatus {
  /** Questions indexed. */
  entries: number;
  /** The target share of wrong hits. */
  max_wrong_hit_rate: number;
  /** Share of would-be hits checked upstream; null when verification is off. */
  verify_sample_rate: number | null;
  namespaces: Array<{
    namespace: string;
    threshold: number;
    /** Checked lookups kept (the window). */
    samples: number;
    /** Of them, at or above the current threshold. */
    samples_at_threshold: number;
    /** Measured wrong-hit rate at the current threshold and its 95% Wilson interval; null with no samples there. */
    wrong_hit_rate: number | null;
    wrong_hit_rate_ci: [number, number] | null;
  }>;
}

/** POST /api/cache/invalidate: entries matching every criterion given (at least one). */
export interface CacheInvalidateRequest {
  key?: string;
  tenant?: string;
  model?: string;
  /** Entries created more than this many seconds ago (`0`: everything). */
  olderThanSeconds?: number;
}

export interface CacheInvalidateResponse {
  removed: number;
}

// ---- GET /api/promptcache

export interface PromptChurnRow {
  /** `tenant:model`. */
  route: string;
  requests: number;
  churned_requests: number;
  tokens_lost: number;
  cost_lost_usd: UsdString;
  /** Where the prompts first differ (characters from the start), in the latest churned request (of any replica). */
  first_difference_at_char: number;
  /** The differing text of the latest churned request (truncated): what to move to the end. */
  example: string;
}

/** The planner's link to the other replicas (`promptCache.sharedStats` with Redis state). */
export interface PromptCacheSharing {
  /** This process's id in the shared stream. */
  replica: string;
  /** This replica's planner events sent, the others' merged, and events lost (Redis down or backlog full). */
  published: number;
  merged: number;
  dropped: number;
  /** The last Redis failure while the link is failing; null when healthy. */
  error: string | null;
}

export interface PromptCacheResponse {
  /**
   * Whose traffic `churn` covers: `all_replicas` with a PostgreSQL ledger (every replica's report,
   * summed; up to `promptCache.churnReportMs` late for the others' traffic), `replica` with SQLite
   * or while PostgreSQL cannot be read (this process's own, since it started).
   */
  churn_scope: 'replica' | 'all_replicas';
  /** Costliest first. */
  churn: PromptChurnRow[];
  /** This replica's own link (per replica, never summed). Null when its planner learns only from its own traffic. */
  shared: PromptCacheSharing | null;
}

// ---- POST /api/estimate

export interface EstimateRequest {
  /** Plain text (one user message), or an OpenAI / Anthropic request body as JSON text. */
  prompt: string;
  output_tokens?: number;
}

export interface EstimateModel {
  model: string;
  provider: string;
  tier: string | null;
  input_tokens: number;
  output_tokens: number;
  cost_usd: UsdString;
  /** True when the token count is costwise's estimate (the provider's tokenizer is not public). */
  estimated_tokens: boolean;
}

export interface EstimateResponse {
  /** The output length assumed. */
  output_tokens: number;
  /** Every chat model, cheapest first. */
  models: EstimateModel[];
}

// ---- /api/batches (src/server/batch-admin.ts)

export type BatchFormat = 'openai' | 'anthropic';

export type BatchState = 'collecting' | 'awaiting_approval' | 'in_progress' | 'cancelling' | 'completed' | 'cancelled' | 'expired' | 'failed';

/** Items of a batch by state. */
export interface BatchCounts {
  pending: number;
  submitted: number;
  running: number;
  succeeded: number;
  errored: number;
  canceled: number;
  expired: number;
}

/** A batch's cost estimate (src/batch/types.ts Estimate). */
export interface BatchEstimate {
  requests: number;
  input_tokens: number;
  expected_output_tokens: number;
  worst_output_tokens: number;
  /** At batch rates. */
  expected_usd: UsdString;
  worst_usd: UsdString;
  /** The same requests sent synchronously (expected output). */
  sync_expected_usd: UsdString;
  saving_usd: UsdString;
  /** Per model: `observed:N` or `default`. */
  output_basis: Record<string, string>;
  models: Record<string, { requests: number; input_tokens: number; expected_usd: UsdString; worst_usd: UsdString; batch_rates: boolean }>;
}

/** A batch as GET /api/batches lists it. */
export interface BatchSummary {
  id: string;
  format: BatchFormat;
  state: BatchState;
  /** The same as `state`. */
  status: BatchState;
  /** The batch's models, comma-separated. */
  model: string;
  requests: number;
  /** Items ended in any way, plus input lines that were invalid. */
  completed: number;
  counts: BatchCounts;
  /** `estimate.expected_usd`. */
  estimate_usd: UsdString;
  estimate: BatchEstimate;
  /** What its items have cost so far: the sum of their ledger rows' costs. */
  cost_usd: UsdString;
  origin: 'api' | 'deferral';
  created_at: EpochMs;
  ended_at: EpochMs | null;
}

/** GET /api/batches?limit=&after= (newest first). A 503 error when batch processing is not running. */
export interface BatchesResponse {
  available: true;
  data: BatchSummary[];
  has_more: boolean;
}

/** GET /api/batches/{id}, and the answer of POST /api/batches/{id}/approve and …/cancel. */
export interface BatchDetailResponse extends BatchSummary {
  /** The provider's batch object (OpenAI Batch or Anthropic MessageBatch, after `format`) with costwise's view. */
  view: Record<string, unknown>;
  /** The state as OpenAI names it (`validating`, `in_progress`, …). */
  openai_status: string;
}

// GET /api/batches/{id}/results is JSONL in the batch's own format, not JSON.

// ---- keys, teams and budgets

export type BudgetPeriod = 'day' | 'week' | 'month' | 'total';

/** A budget as it is set: USD per period (a number, or a decimal string so no float touches money). */
export interface BudgetSetting {
  usd: number | string;
  period: BudgetPeriod;
}

/** POST /api/keys. `budget_usd` with `budget_period` (default month) is shorthand for one budget. */
export interface KeyCreateRequest {
  name: string;
  team?: string | null;
  tenant?: string;
  allow_tenant_header?: boolean;
  models?: string[];
  budget_usd?: number | string;
  budget_period?: BudgetPeriod;
  budgets?: BudgetSetting[];
  rpm?: number | null;
  tpm?: number | null;
  tags?: string[];
  /** Epoch ms, or an ISO 8601 date or date-time. */
  expires_at?: number | string | null;
  enabled?: boolean;
  on_budget?: 'refuse' | 'downgrade';
  metadata?: Record<string, string | number | boolean | null>;
}

/** PATCH /api/keys/{id}: any of the fields of a new key. */
export type KeyUpdateRequest = Partial<KeyCreateRequest>;

/** POST /api/teams. */
export interface TeamCreateRequest {
  /** A readable id (letters, digits, `_.:-`), or one is made. */
  id?: string;
  name: string;
  parent?: string | null;
  budget_usd?: number | string;
  budget_period?: BudgetPeriod;
  budgets?: BudgetSetting[];
  rpm?: number | null;
  tpm?: number | null;
  metadata?: Record<string, string | number | boolean | null>;
}

/** PATCH /api/teams/{id}. */
export type TeamUpdateRequest = Partial<Omit<TeamCreateRequest, 'id'>>;

/** A budget now: its limit, what is spent and held by requests in flight, what is left, and where it is heading. */
export interface BudgetView {
  /** `key:<id>`, `team:<id>` or `tag:<name>`. */
  subject: string;
  /** The key's or team's name, or the tag. */
  name: string;
  period: BudgetPeriod;
  /** The window's name (`day:2026-12-07`, `month:2026-12@Europe/Berlin`, `total`). */
  window: string;
  limit_usd: UsdString;
  spent_usd: UsdString;
  reserved_usd: UsdString;
  remaining_usd: UsdString;
  /** Share of the limit spent, 0–1 (or above, when a late settle went over). */
  used: number;
  /** false when the shared state (Redis) could not be read: spent is the ledger's, reserved unknown (0). */
  live: boolean;
  period_start: EpochMs;
  /** null for `total`. */
  period_end: EpochMs | null;
  /** Spend of the last 24 hours, as USD per day. */
  burn_usd_per_day: UsdString;
  /** When the budget runs out at that rate: before the period ends, or null. */
  runs_out_at: EpochMs | null;
}

export type KeyStatus = 'active' | 'revoked' | 'expired' | 'disabled';

/** A virtual key as the admin API shows it: never its secret or hash. */
export interface KeyView {
  id: string;
  name: string;
  /** The secret's first characters (`cw-AbC1…`), to recognise it. */
  prefix: string;
  status: KeyStatus;
  team: string | null;
  tenant: string;
  allow_tenant_header: boolean;
  /** Model names or tiers it may use; empty: all. */
  models: string[];
  rpm: number | null;
  tpm: number | null;
  tags: string[];
  expires_at: EpochMs | null;
  enabled: boolean;
  on_budget: 'refuse' | 'downgrade';
  created_at: EpochMs;
  revoked_at: EpochMs | null;
  metadata: Record<string, string | number | boolean | null>;
  budgets: BudgetView[];
}

/** POST /api/keys: the key with its secret, shown this once. Also POST /api/keys/{id}/rotate. */
export interface KeyCreatedResponse extends KeyView {
  key: string;
}

/** GET /api/keys?team= */
export interface KeysResponse {
  data: KeyView[];
}

export interface TeamView {
  id: string;
  name: string;
  parent: string | null;
  rpm: number | null;
  tpm: number | null;
  created_at: EpochMs;
  metadata: Record<string, string | number | boolean | null>;
  /** Keys whose team this is. */
  keys: number;
  budgets: BudgetView[];
}

/** GET /api/teams */
export interface TeamsResponse {
  data: TeamView[];
}

/** GET /api/budgets: every budget of every key, team and tag, tightest first. */
export interface BudgetsResponse {
  data: BudgetView[];
}

// ---- GET /api/advice?days=30

export interface AdviceModelEvidence {
  shadow_samples: number;
  agreements: number;
  agreement: number;
  interval: [number, number];
  confidence: number;
  max_accuracy_loss: number;
  compared_as: Record<string, number>;
  /** Graded shadowed requests (stored feedback, POST /api/feedback, or `costwise advise --grades`): the paired accuracy loss and its interval. */
  graded?: { pairs: number; served_only_right: number; candidate_only_right: number; accuracy_loss: number; interval: [number, number] };
}

export interface AdviceEvidence {
  requests: number;
  window_days: number;
  current_cost_usd: UsdString;
  repriced_cost_usd: UsdString;
  model?: AdviceModelEvidence;
  non_streaming_share?: number;
  churn?: { requests: number; churned_requests: number; tokens_lost: number; cost_lost_usd: UsdString; first_difference_at_char: number; example: string };
  repeats?: { uncached_requests: number; exact_repeats: number; repeat_share: number; ttl_seconds: number };
  output?: { answers: number; truncated: number; truncated_share: number; output_p99_tokens: number; uncapped: number; median_cap_tokens: number | null };
  note: string;
}

export interface AdviceRecommendation {
  kind: 'model' | 'batch' | 'prompt_cache' | 'response_cache' | 'max_tokens';
  /** `tag:<tag>`, `key:<key id>`, or `route:<tenant>:<model>` (prompt caching). */
  scope: string;
  current_model: string;
  recommended_model: string;
  monthly_saving_usd: UsdString;
  evidence: AdviceEvidence;
  /** YAML ready to paste: a routing rule (model), a deferral rule (batch), a cache rule (response_cache); comments for prompt_cache and max_tokens. */
  rule: string;
}

export interface AdviceRejected {
  scope: string;
  current_model: string;
  candidate_model: string;
  reason: string;
  evidence: AdviceModelEvidence;
}

export interface AdviceResponse {
  window: { days: number; from: string | null; to: string | null };
  recommendations: AdviceRecommendation[];
  rejected: AdviceRejected[];
  /** Ledger rows read (the newest, at most `limit_rows`). */
  rows_read: number;
  limit_rows: number;
}

// ---- POST /api/feedback

/** One score of a ledger request's answer: a request's own id, or a shadow row's (`<id>.shadow-<model>`). */
export interface FeedbackItem {
  request_id: string;
  /** 0 (wrong) to 1 (right); true is 1, false is 0. */
  score: number | boolean;
  comment?: string | null;
}

/** One item, or up to 1,000 in `feedback`: stored all or none; a later score of a request id replaces its earlier one. */
export type FeedbackRequest = FeedbackItem | { feedback: FeedbackItem[] };

export interface FeedbackResponse {
  /** Request ids stored (an id given twice in one body counts once: its last score). */
  stored: number;
}

// ---- for the server's compile-time checks

/**
 * `true` when A and B have the same keys and each is assignable to the other; the server asserts it
 * (`Assert<Agrees<Stored, Json>>`) where it sends a stored structure whole, so that a field added
 * to or renamed in one of them fails `tsc` until the other follows.
 */
export type Agrees<A, B> = [keyof A, A] extends [keyof B, B] ? ([keyof B, B] extends [keyof A, A] ? true : false) : false;

export type Assert<T extends true> = T;
