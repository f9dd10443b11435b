// The batch domain: what a batch, an item and a provider batch are, and the states they move through.
import type { CanonicalResponse } from '../core/canonical.js';
import type { ErrorKind } from '../core/errors.js';

/** The wire format the batch was submitted in (and its results are rendered in). */
export type BatchFormat = 'openai' | 'anthropic';

/**
 * (collecting: deferred requests being grouped →) awaiting_approval → in_progress → (cancelling →) completed | cancelled | expired | failed.
 * `failed`: nothing could run (every line of the input was invalid).
 */
export type BatchState = 'collecting' | 'awaiting_approval' | 'in_progress' | 'cancelling' | 'completed' | 'cancelled' | 'expired' | 'failed';

export const ENDED_STATES: ReadonlySet<BatchState> = new Set(['completed', 'cancelled', 'expired', 'failed']);

/**
 * pending → submitted (in a provider batch) | running (through the pipeline) → a terminal state.
 * Every transition is a conditional UPDATE on the expected state, so a result applied twice is a no-op.
 */
export type ItemState = 'pending' | 'submitted' | 'running' | 'succeeded' | 'errored' | 'canceled' | 'expired';

export const TERMINAL_ITEM_STATES: readonly ItemState[] = ['succeeded', 'errored', 'canceled', 'expired'];

/** How an item is executed: on a provider's batch API, through the request pipeline, or not at all (it failed validation). */
export type ItemRoute = 'native' | 'pipeline' | 'none';

export interface StoredError {
  status: number;
  kind: ErrorKind;
  message: string;
  param: string | null;
  code: string | null;
}

export type ItemResult =
  | { type: 'succeeded'; response: CanonicalResponse; model: string; warnings: string[] }
  | { type: 'errored'; error: StoredError }
  | { type: 'canceled' }
  | { type: 'expired' };

/** A line of an OpenAI input file that could not become an item. */
export interface LineError {
  line: number;
  customId: string | null;
  code: string;
  message: string;
  param: string | null;
}

/** Money as exact decimal USD strings; tokens as integers. */
export interface Estimate {
  requests: number;
  input_tokens: number;
  expected_output_tokens: number;
  worst_output_tokens: number;
  /** At batch rates. */
  expected_usd: string;
  worst_usd: string;
  /** The same requests sent synchronously (expected output). */
  sync_expected_usd: string;
  saving_usd: string;
  /** Where the expected output length came from, per model: `observed:N` (ledger rows) or `default`. */
  output_basis: Record<string, string>;
  models: Record<string, { requests: number; input_tokens: number; expected_usd: string; worst_usd: string; batch_rates: boolean }>;
}

export interface BatchRecord {
  id: string;
  format: BatchFormat;
  state: BatchState;
  endpoint: string;
  models: string[];
  inputFileId: string | null;
  outputFileId: string | null;
  errorFileId: string | null;
  total: number;
  estimate: Estimate;
  metadata: Record<string, string> | null;
  lineErrors: LineError[];
  tenant: string;
  keyId: string;
  tags: string[];
  forwardHeaders: Record<string, string>;
  createdAt: number;
  approvedAt: number | null;
  inProgressAt: number | null;
  cancelRequestedAt: number | null;
  endedAt: number | null;
  expiresAt: number;
  /** Set for batches made from deferred requests. */
  origin: 'api' | 'deferral';
}

export interface ItemRecord {
  batchId: string;
  seq: number;
  customId: string;
  /** The custom_id sent to the provider's batch API (its pattern is stricter than OpenAI's). */
  upstreamCustomId: string;
  /** Canonical request JSON. */
  request: string;
  route: ItemRoute;
  /** The deployment chosen at planning (native and pipeline items). */
  deploymentKey: string | null;
  servedModel: string | null;
  /** Model asked for when routing served another: the baseline is priced on it. */
  requestedModel: string | null;
  technique: string | null;
  routeReason: string | null;
  state: ItemState;
  providerBatchId: string | null;
  result: ItemResult | null;
  costPico: number;
  baselinePico: number;
  billed: boolean;
}

export type ProviderBatchState = 'creating' | 'submitted' | 'collected' | 'failed';

export interface ProviderBatchRecord {
  id: string;
  batchId: string;
  providerName: string;
  kind: 'openai' | 'anthropic';
  deploymentKey: string;
  state: ProviderBatchState;
  upstreamId: string | null;
  items: number;
  createdAt: number;
  cancelSent: boolean;
}

export interface FileRecord {
  id: string;
  purpose: string;
  filename: string;
  bytes: number;
  lines: number;
  createdAt: number;
  keyId: string;
  batchId: string | null;
}
