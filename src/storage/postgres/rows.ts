// Ledger rows on their way into and out of PostgreSQL: the queued snapshot, the checks only
// PostgreSQL needs, and the mapping back from a result row. (Validation shared with SQLite lives in
// sqlite-rows.ts: invalidReason, rejectionLog.)
import type { LedgerAttempt, LedgerRow } from '../types.js';

/**
 * A validated snapshot of a row: its column values in COLUMNS order (schema.ts), tags and attempts
 * as JSON text like SQLite stores them, plus its distinct tags for ledger_tags and the rollup.
 */
export interface QueuedRow {
  values: (string | number | null)[];
  tags: string[];
}

/** The snapshot of a valid row that the write queue holds (the caller may change `row` afterwards). */
export function snapshot(row: LedgerRow): QueuedRow {
  return {
    values: [
      row.requestId,
      row.ts,
      row.tenant,
      row.keyId,
      JSON.stringify(row.tags),
      row.ingress,
      row.endpoint,
      row.requestedModel,
      row.servedModel,
      row.provider,
      row.inputTokens,
      row.cacheReadTokens,
      row.cacheWrite5mTokens,
      row.cacheWrite1hTokens,
      row.outputTokens,
      row.reasoningTokens,
      row.costPico,
      row.baselinePico,
      row.latencyMs,
      row.status,
      row.stream ? 1 : 0, // a number: postgres.js sends an array of booleans as one boolean
      row.errorKind,
      row.route,
      row.technique,
      row.parentId,
      row.attempts === null ? null : JSON.stringify(row.attempts),
      row.cache,
      row.promptCachePico,
      row.promptTokensRemoved,
      row.promptHash,
      row.maxTokens,
      row.stopReason,
    ],
    tags: row.tags.length === 0 ? [] : row.tags.length === 1 ? [row.tags[0]!] : [...new Set(row.tags)],
  };
}

const NUL = '\u0000';

/**
 * What PostgreSQL refuses in a row SQLite takes: a NUL character in a text column (tags and
 * attempts are JSON text, where NUL is escaped). Checked on append, after invalidReason, so such a
 * row is rejected with a log line instead of failing its batch.
 */
export function postgresInvalidReason(row: LedgerRow): string | null {
  const texts = [row.requestId, row.tenant, row.keyId, row.ingress, row.endpoint, row.requestedModel, row.servedModel, row.provider, row.route];
  for (const text of texts) if (text.includes(NUL)) return 'a text field holds a NUL character, which PostgreSQL cannot store';
  for (const text of [row.errorKind, row.technique, row.parentId, row.cache]) {
    if (text !== null && text.includes(NUL)) return 'a text field holds a NUL character, which PostgreSQL cannot store';
  }
  for (const tag of row.tags) if (tag.includes(NUL)) return 'a tag holds a NUL character, which PostgreSQL cannot store';
  return null;
}

/** A ledger row as `SELECT ${COLUMNS}` returns it through postgres.js (int8 arrives as a string). */
export interface PgRow {
  request_id: string;
  ts: string;
  tenant: string;
  key_id: string;
  tags: string;
  ingress: string;
  endpoint: string;
  requested_model: string;
  served_model: string;
  provider: string;
  input_tokens: string;
  cache_read_tokens: string;
  cache_write_5m_tokens: string;
  cache_write_1h_tokens: string;
  output_tokens: string;
  reasoning_tokens: string;
  cost_pico: string;
  baseline_pico: string;
  latency_ms: number;
  status: string;
  stream: boolean;
  error_kind: string | null;
  route: string;
  technique: string | null;
  parent_id: string | null;
  attempts: string | null;
  cache: string | null;
  prompt_cache_pico: string;
  prompt_tokens_removed: string;
  prompt_hash: string | null;
  max_tokens: string | null;
  stop_reason: string | null;
}

export function decode(r: PgRow): LedgerRow {
  return {
    requestId: r.request_id,
    ts: Number(r.ts),
    tenant: r.tenant,
    keyId: r.key_id,
    tags: JSON.parse(r.tags) as string[],
    ingress: r.ingress,
    endpoint: r.endpoint,
    requestedModel: r.requested_model,
    servedModel: r.served_model,
    provider: r.provider,
    inputTokens: Number(r.input_tokens),
    cacheReadTokens: Number(r.cache_read_tokens),
    cacheWrite5mTokens: Number(r.cache_write_5m_tokens),
    cacheWrite1hTokens: Number(r.cache_write_1h_tokens),
    outputTokens: Number(r.output_tokens),
    reasoningTokens: Number(r.reasoning_tokens),
    costPico: Number(r.cost_pico),
    baselinePico: Number(r.baseline_pico),
    latencyMs: r.latency_ms,
    status: Number(r.status),
    stream: r.stream,
    errorKind: r.error_kind,
    route: r.route,
    technique: r.technique,
    parentId: r.parent_id,
    attempts: r.attempts === null ? null : (JSON.parse(r.attempts) as LedgerAttempt[]),
    cache: r.cache,
    promptCachePico: Number(r.prompt_cache_pico),
    promptTokensRemoved: Number(r.prompt_tokens_removed),
    promptHash: r.prompt_hash,
    maxTokens: r.max_tokens === null ? null : Number(r.max_tokens),
    stopReason: r.stop_reason,
  };
}

/** numeric / int8 text (or null for an empty sum) as an exact bigint. */
export function big(value: string | null | undefined): bigint {
  return value === null || value === undefined ? 0n : BigInt(value);
}
