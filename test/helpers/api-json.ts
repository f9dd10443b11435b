// Schemas of the gateway's own JSON bodies that several suites read (see ./json.ts for how they are
// used). Where src has the type, the schema is checked against it at compile time.
import { z } from 'zod';
import type { LedgerRow } from '../../src/storage/types.js';
import type { Estimate } from '../../src/batch/types.js';
import type { StateCounts } from '../../src/batch/store.js';

/** A row of GET /api/requests: the stored ledger row plus its USD amounts. */
export type LedgerRowJson = LedgerRow & { cost_usd: string; baseline_usd: string };

export const LedgerRowJson = z.object({
  requestId: z.string(),
  ts: z.number(),
  tenant: z.string(),
  keyId: z.string(),
  tags: z.array(z.string()),
  ingress: z.string(),
  endpoint: z.string(),
  requestedModel: z.string(),
  servedModel: z.string(),
  provider: z.string(),
  inputTokens: z.number(),
  cacheReadTokens: z.number(),
  cacheWrite5mTokens: z.number(),
  cacheWrite1hTokens: z.number(),
  outputTokens: z.number(),
  reasoningTokens: z.number(),
  costPico: z.number(),
  baselinePico: z.number(),
  promptCachePico: z.number(),
  promptTokensRemoved: z.number(),
  promptHash: z.string().nullable(),
  maxTokens: z.number().nullable(),
  stopReason: z.string().nullable(),
  latencyMs: z.number(),
  status: z.number(),
  stream: z.boolean(),
  errorKind: z.string().nullable(),
  route: z.string(),
  technique: z.string().nullable(),
  parentId: z.string().nullable(),
  attempts: z.array(z.object({ deployment: z.string(), status: z.number(), error: z.string().exactOptional(), ms: z.number() })).nullable(),
  cache: z.string().nullable(),
  cost_usd: z.string(),
  baseline_usd: z.string(),
}) satisfies z.ZodType<LedgerRowJson>;

/** GET /api/requests. */
export const LedgerPage = z.object({ data: z.array(LedgerRowJson) });

/** The 202 answer to a deferred request (`x-costwise-defer`). */
export const AcceptedJob = z.object({ id: z.string(), object: z.string(), status: z.string(), url: z.string(), not_after: z.number() });

/** A deferred request's job, as GET /v1/costwise/jobs/{id} and the webhook show it; `response.body` is the provider-shaped answer. */
export const Job = z.object({
  id: z.string(),
  object: z.string(),
  /** queued, in_progress, completed, failed, cancelled or expired. */
  status: z.string(),
  batch_id: z.string(),
  model: z.string().nullable(),
  cost_usd: z.string(),
  response: z.object({ status_code: z.number(), body: z.unknown() }).nullable(),
});
export type Job = z.infer<typeof Job>;

/** A batch's cost estimate (costwise's view of a batch, and the admin API). */
export const BatchEstimate = z.object({
  requests: z.number(),
  input_tokens: z.number(),
  expected_output_tokens: z.number(),
  worst_output_tokens: z.number(),
  expected_usd: z.string(),
  worst_usd: z.string(),
  sync_expected_usd: z.string(),
  saving_usd: z.string(),
  output_basis: z.record(z.string(), z.string()),
  models: z.record(
    z.string(),
    z.object({ requests: z.number(), input_tokens: z.number(), expected_usd: z.string(), worst_usd: z.string(), batch_rates: z.boolean() }),
  ),
}) satisfies z.ZodType<Estimate>;

/** Item counts of a batch by state. */
export const BatchCounts = z.object({
  pending: z.number(),
  submitted: z.number(),
  running: z.number(),
  succeeded: z.number(),
  errored: z.number(),
  canceled: z.number(),
  expired: z.number(),
}) satisfies z.ZodType<StateCounts>;

/** The `costwise` member costwise adds to both providers' batch objects. */
export const WithCostwiseView = z.object({ costwise: z.object({ state: z.string(), estimate: BatchEstimate, counts: BatchCounts }) });

/** A batch as the admin API (/api/batches) summarises it. */
export const AdminBatch = z.object({ id: z.string(), state: z.string(), requests: z.number(), estimate: BatchEstimate, counts: BatchCounts });

/** GET /api/batches. */
export const AdminBatchList = z.object({ available: z.boolean(), data: z.array(AdminBatch) });

/** A row of GET /api/spend: the group's key is under the `group_by` name, so only the one asked for is there. */
export const SpendRow = z.object({
  model: z.string().optional(),
  day: z.string().optional(),
  tag: z.string().optional(),
  key: z.string().optional(),
  technique: z.string().optional(),
  requests: z.number(),
  tokens: z.object({ input: z.number(), cache_read: z.number(), cache_write_5m: z.number(), cache_write_1h: z.number(), output: z.number() }),
  cost_usd: z.string(),
  baseline_usd: z.string(),
  saving_usd: z.string(),
  prompt_cache_saving_usd: z.string(),
});

/** GET /api/spend. */
export const SpendPage = z.object({
  group_by: z.string(),
  total: z.object({ cost_usd: z.string(), baseline_usd: z.string(), saving_usd: z.string() }),
  data: z.array(SpendRow),
});
