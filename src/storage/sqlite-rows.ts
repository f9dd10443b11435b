// Ledger rows on their way into and out of SQLite: validation, the queued snapshot, the column mapping.
import { HOUR_MS, NO_TECHNIQUE } from './sqlite-schema.js';
import type { LedgerAttempt, LedgerRow } from './types.js';

export type SqlValue = string | number | null;

/** A validated snapshot of a row: its column values (see COLUMNS) and what it adds to the rollups. */
export interface QueuedRow {
  params: SqlValue[];
  tags: string[];
  hour: number;
  model: string;
  keyId: string;
  technique: string;
  /** One value per SUMS entry. */
  sums: number[];
}

/** A ledger row as SELECT ${COLUMNS} returns it. */
export interface DbRow {
  request_id: string;
  ts: number;
  tenant: string;
  key_id: string;
  tags: string;
  ingress: string;
  endpoint: string;
  requested_model: string;
  served_model: string;
  provider: string;
  input_tokens: number;
  cache_read_tokens: number;
  cache_write_5m_tokens: number;
  cache_write_1h_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  cost_pico: number;
  baseline_pico: number;
  latency_ms: number;
  status: number;
  stream: number;
  error_kind: string | null;
  route: string;
  technique: string | null;
  parent_id: string | null;
  attempts: string | null;
  cache: string | null;
  prompt_cache_pico: number;
  prompt_tokens_removed: number;
  prompt_hash: string | null;
  max_tokens: number | null;
  stop_reason: string | null;
}

const STRING_FIELDS = ['requestId', 'tenant', 'keyId', 'ingress', 'endpoint', 'requestedModel', 'servedModel', 'provider', 'route'] as const;
const NULLABLE_STRING_FIELDS = ['errorKind', 'technique', 'parentId', 'cache', 'promptHash', 'stopReason'] as const;
const INTEGER_FIELDS = [
  'inputTokens',
  'cacheReadTokens',
  'cacheWrite5mTokens',
  'cacheWrite1hTokens',
  'outputTokens',
  'reasoningTokens',
  'costPico',
  'baselinePico',
  'promptCachePico',
  'promptTokensRemoved',
  'status',
] as const;

/** Why a row cannot be stored faithfully, or null. Checked on append so a bad row never blocks a batch. */
export function invalidReason(row: LedgerRow): string | null {
  return isValid(row) ? null : reason(row);
}

/**
 * The same checks as `reason`, field by field without loops or messages: every row is checked on
 * append (and again in the ledger worker), and almost every row is valid.
 */
function isValid(r: LedgerRow): boolean {
  const value: unknown = r; // rows come from callers: checked, not trusted
  if (typeof value !== 'object' || value === null) return false;
  if (
    typeof r.requestId !== 'string' ||
    typeof r.tenant !== 'string' ||
    typeof r.keyId !== 'string' ||
    typeof r.ingress !== 'string' ||
    typeof r.endpoint !== 'string' ||
    typeof r.requestedModel !== 'string' ||
    typeof r.servedModel !== 'string' ||
    typeof r.provider !== 'string' ||
    typeof r.route !== 'string' ||
    r.requestId === ''
  )
    return false;
  if (!Number.isSafeInteger(r.ts) || r.ts < 0) return false;
  if (
    !Number.isSafeInteger(r.inputTokens) ||
    !Number.isSafeInteger(r.cacheReadTokens) ||
    !Number.isSafeInteger(r.cacheWrite5mTokens) ||
    !Number.isSafeInteger(r.cacheWrite1hTokens) ||
    !Number.isSafeInteger(r.outputTokens) ||
    !Number.isSafeInteger(r.reasoningTokens) ||
    !Number.isSafeInteger(r.costPico) ||
    !Number.isSafeInteger(r.baselinePico) ||
    !Number.isSafeInteger(r.promptCachePico) ||
    !Number.isSafeInteger(r.promptTokensRemoved) ||
    !Number.isSafeInteger(r.status)
  )
    return false;
  if (typeof r.latencyMs !== 'number' || !Number.isFinite(r.latencyMs) || typeof r.stream !== 'boolean') return false;
  if (
    (r.errorKind !== null && typeof r.errorKind !== 'string') ||
    (r.technique !== null && typeof r.technique !== 'string') ||
    (r.parentId !== null && typeof r.parentId !== 'string') ||
    (r.cache !== null && typeof r.cache !== 'string') ||
    (r.promptHash !== null && typeof r.promptHash !== 'string') ||
    (r.stopReason !== null && typeof r.stopReason !== 'string') ||
    (r.maxTokens !== null && !Number.isSafeInteger(r.maxTokens))
  )
    return false;
  if (r.attempts !== null && !Array.isArray(r.attempts)) return false;
  const tags = r.tags;
  if (!Array.isArray(tags)) return false;
  for (let i = 0; i < tags.length; i++) if (typeof tags[i] !== 'string') return false;
  return true;
}

/** Why `isValid` refused a row (the first check it fails, in this order). */
function reason(row: LedgerRow): string | null {
  const value: unknown = row; // rows come from callers: checked, not trusted
  if (typeof value !== 'object' || value === null) return 'not an object';
  for (const f of STRING_FIELDS) if (typeof row[f] !== 'string') return `${f} is not a string`;
  if (row.requestId === '') return 'requestId is empty';
  if (!Number.isSafeInteger(row.ts) || row.ts < 0) return `ts ${row.ts} is not a non-negative integer of epoch ms`;
  for (const f of INTEGER_FIELDS) if (!Number.isSafeInteger(row[f])) return `${f} ${row[f]} is not a safe integer`;
  if (typeof row.latencyMs !== 'number' || !Number.isFinite(row.latencyMs)) return `latencyMs ${row.latencyMs} is not finite`;
  if (typeof row.stream !== 'boolean') return 'stream is not a boolean';
  for (const f of NULLABLE_STRING_FIELDS) if (row[f] !== null && typeof row[f] !== 'string') return `${f} is not a string or null`;
  if (row.maxTokens !== null && !Number.isSafeInteger(row.maxTokens)) return `maxTokens ${row.maxTokens} is not a safe integer or null`;
  if (row.attempts !== null && !Array.isArray(row.attempts)) return 'attempts is not an array or null';
  if (!Array.isArray(row.tags) || !row.tags.every((t) => typeof t === 'string')) return 'tags is not an array of strings';
  return null;
}

/** The requestId of a row from a caller, for a log line: the row may not be valid, or an object. */
export function loggedRequestId(row: LedgerRow): string {
  const value: unknown = row; // rows come from callers: checked, not trusted
  return String(typeof value === 'object' && value !== null ? (value as { requestId?: unknown }).requestId : undefined);
}

/**
 * Reports rejected rows at the 1st, 10th, 100th, … rejection, so a systematic bug upstream cannot
 * flood the log. Returns the function to call once per rejected row.
 */
export function rejectionLog(log: (message: string) => void): (row: LedgerRow, problem: string) => void {
  let rejected = 0;
  return (row, problem) => {
    rejected += 1;
    if (/^10*$/.test(String(rejected))) {
      log(`costwise: ledger row ${loggedRequestId(row)} rejected, not stored: ${problem} (${rejected} rejected so far)`);
    }
  };
}

/** Pico-dollars in whole micro-dollars, truncated as SQLite's / does (the rest is `picoRem`). */
function micro(pico: number): number {
  return Math.trunc(pico / 1_000_000);
}

/** What is left of pico-dollars after `micro`, signed as SQLite's % is. */
function picoRem(pico: number): number {
  return pico - micro(pico) * 1_000_000;
}

/** The snapshot of a valid row that the write queue holds. */
export function encode(row: LedgerRow): QueuedRow {
  return {
    params: [
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
      row.stream ? 1 : 0,
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
    hour: Math.floor(row.ts / HOUR_MS),
    model: row.servedModel,
    keyId: row.keyId,
    technique: row.technique ?? NO_TECHNIQUE,
    // A billed sub-call (parentId set) adds its tokens and cost, not a request.
    sums: [
      row.parentId === null ? 1 : 0,
      row.inputTokens,
      row.cacheReadTokens,
      row.cacheWrite5mTokens,
      row.cacheWrite1hTokens,
      row.outputTokens,
      micro(row.costPico),
      picoRem(row.costPico),
      micro(row.baselinePico),
      picoRem(row.baselinePico),
      micro(row.promptCachePico),
      picoRem(row.promptCachePico),
    ],
  };
}

export function decode(r: DbRow): LedgerRow {
  return {
    requestId: r.request_id,
    ts: r.ts,
    tenant: r.tenant,
    keyId: r.key_id,
    tags: JSON.parse(r.tags) as string[],
    ingress: r.ingress,
    endpoint: r.endpoint,
    requestedModel: r.requested_model,
    servedModel: r.served_model,
    provider: r.provider,
    inputTokens: r.input_tokens,
    cacheReadTokens: r.cache_read_tokens,
    cacheWrite5mTokens: r.cache_write_5m_tokens,
    cacheWrite1hTokens: r.cache_write_1h_tokens,
    outputTokens: r.output_tokens,
    reasoningTokens: r.reasoning_tokens,
    costPico: r.cost_pico,
    baselinePico: r.baseline_pico,
    latencyMs: r.latency_ms,
    status: r.status,
    stream: r.stream === 1,
    errorKind: r.error_kind,
    route: r.route,
    technique: r.technique,
    parentId: r.parent_id,
    attempts: r.attempts === null ? null : (JSON.parse(r.attempts) as LedgerAttempt[]),
    cache: r.cache,
    promptCachePico: r.prompt_cache_pico,
    promptTokensRemoved: r.prompt_tokens_removed,
    promptHash: r.prompt_hash,
    maxTokens: r.max_tokens,
    stopReason: r.stop_reason,
  };
}
