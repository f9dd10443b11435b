// The admin API's JSON, as the dashboard reads it (src/server/admin.ts, admin-dashboard.ts).
// Money is an exact decimal string in USD.

export interface Money {
  requests: number;
  cost_usd: string;
  baseline_usd: string;
  saving_usd: string;
  prompt_cache_saving_usd: string;
}

export interface SpendResponse {
  group_by: string;
  total: { cost_usd: string; baseline_usd: string; saving_usd: string };
  data: Array<Omit<Money, 'requests'> & { requests: number; [group: string]: unknown }>;
}

export interface TimeseriesPoint extends Money {
  t: number;
  saving_by_technique?: Record<string, string>;
  by: Record<string, Money>;
}

export interface TimeseriesResponse {
  bucket: 'hour' | 'day';
  group_by: string;
  total: Money & { saving_by_technique?: Record<string, string> };
  data: TimeseriesPoint[];
}

export interface Attempt {
  deployment: string;
  status: number;
  error?: string;
  ms: number;
}

export interface LedgerRow {
  requestId: string;
  ts: number;
  tenant: string;
  keyId: string;
  tags: string[];
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
  latencyMs: number;
  status: number;
  stream: boolean;
  errorKind: string | null;
  route: string;
  technique: string | null;
  parentId: string | null;
  attempts: Attempt[] | null;
  cache: string | null;
  cost_usd: string;
  baseline_usd: string;
  saving_usd: string;
  prompt_cache_saving_usd: string;
}

export interface RequestsResponse {
  data: LedgerRow[];
  limit: number;
  offset: number;
  has_more: boolean;
}

export interface RequestDetailResponse extends LedgerRow {
  sub_calls: LedgerRow[];
  total_cost_usd: string;
  net_saving_usd: string;
}

export interface Percentiles<T> {
  p50: T;
  p90: T;
  p99: T;
  max: T;
}

export interface LatencyCostResponse {
  population: number;
  sampled: boolean;
  data: Array<{ model: string; requests: number; cost_usd: Percentiles<string>; latency_ms: Percentiles<number> }>;
}

export interface RoutingResponse {
  requests: number;
  by_model: Array<{ model: string; tier: string | null; requests: number; cost_usd: string }>;
  by_tier: Array<{ tier: string; requests: number; cost_usd: string }>;
  by_technique: Array<{ technique: string; requests: number; cost_usd: string }>;
  fallbacks: number;
  fallback_rate: number;
  cascade_requests: number;
  escalations: number;
  escalation_rate: number;
}

export interface CachingResponse {
  response_cache: {
    lookups: number;
    hits_exact: number;
    hits_semantic: number;
    misses: number;
    hit_rate: number;
    saving_usd: string;
    exact_saving_usd: string;
    semantic_saving_usd: string;
  };
  prompt_cache: { saving_usd: string };
}

export interface CacheStoreResponse {
  backend: string;
  policy: string;
  scope: string;
  entries: number;
  bytes: number;
  maxBytes?: number;
  evictions: number;
}

export interface PromptCacheResponse {
  churn: Array<{
    route: string;
    requests: number;
    churned_requests: number;
    tokens_lost: number;
    cost_lost_usd: string;
    first_difference_at_char: number;
    example: unknown;
  }>;
}

export interface Batch {
  id: string;
  status: string;
  model: string;
  requests: number;
  completed: number;
  estimate_usd: string;
  created_at: number;
}

export interface BatchesResponse {
  available: boolean;
  data: Batch[];
}

export interface EstimateResponse {
  output_tokens: number;
  models: Array<{
    model: string;
    provider: string;
    tier: string | null;
    input_tokens: number;
    output_tokens: number;
    cost_usd: string;
    estimated_tokens: boolean;
  }>;
}
