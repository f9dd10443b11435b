// Anthropic usage ⇄ canonical Usage (tokens by billing class).
// Anthropic: input_tokens excludes cache reads and writes; cache_creation_input_tokens is the sum of
// the 5m and 1h writes, broken down in `cache_creation` (when absent, all writes count as 5m).
import type { Usage } from '../../core/canonical.js';
import { isObject, type JsonObject } from './validate.js';

/** The `usage` of a Message (also of `message_start`). */
export function renderUsage(u: Usage): JsonObject {
  const out: JsonObject = {
    input_tokens: u.inputTokens,
    cache_creation_input_tokens: u.cacheWrite5mTokens + u.cacheWrite1hTokens,
    cache_read_input_tokens: u.cacheReadTokens,
    cache_creation: { ephemeral_5m_input_tokens: u.cacheWrite5mTokens, ephemeral_1h_input_tokens: u.cacheWrite1hTokens },
    output_tokens: u.outputTokens,
    service_tier: 'standard',
  };
  if (u.reasoningTokens > 0) out.output_tokens_details = { thinking_tokens: u.reasoningTokens };
  return out;
}

/**
 * The `usage` of `message_delta`: cumulative totals, all of them (the gateway's producers may know
 * input and cache counts only at the end). Besides the fields the SDK reads, it carries the
 * `cache_creation` breakdown so a reader can tell 5m from 1h writes.
 */
export function renderDeltaUsage(u: Usage): JsonObject {
  return {
    input_tokens: u.inputTokens,
    cache_creation_input_tokens: u.cacheWrite5mTokens + u.cacheWrite1hTokens,
    cache_read_input_tokens: u.cacheReadTokens,
    cache_creation: { ephemeral_5m_input_tokens: u.cacheWrite5mTokens, ephemeral_1h_input_tokens: u.cacheWrite1hTokens },
    output_tokens: u.outputTokens,
    // Always stated: a reader overwrites what message_start said only with what is present.
    output_tokens_details: { thinking_tokens: u.reasoningTokens },
  };
}

function count(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

/** A full usage object; undefined when input_tokens or output_tokens is missing. */
export function parseUsage(v: unknown): Usage | undefined {
  if (!isObject(v)) return undefined;
  const input = count(v.input_tokens);
  const output = count(v.output_tokens);
  if (input === undefined || output === undefined) return undefined;
  const base: Usage = {
    inputTokens: input,
    cacheReadTokens: count(v.cache_read_input_tokens) ?? 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    outputTokens: output,
    reasoningTokens: thinkingTokens(v) ?? 0,
  };
  const writes = splitCacheWrites(v, count(v.cache_creation_input_tokens) ?? 0, base);
  base.cacheWrite5mTokens = writes.m5;
  base.cacheWrite1hTokens = writes.h1;
  return base;
}

/**
 * Applies a `message_delta` usage (cumulative; fields other than output_tokens only when present)
 * to the usage known from `message_start`.
 */
export function mergeDeltaUsage(base: Usage, v: unknown): Usage {
  if (!isObject(v)) return base;
  const out: Usage = { ...base };
  const output = count(v.output_tokens);
  if (output !== undefined) out.outputTokens = output;
  const input = count(v.input_tokens);
  if (input !== undefined) out.inputTokens = input;
  const read = count(v.cache_read_input_tokens);
  if (read !== undefined) out.cacheReadTokens = read;
  const reasoning = thinkingTokens(v);
  if (reasoning !== undefined) out.reasoningTokens = reasoning;
  const writes = count(v.cache_creation_input_tokens);
  if (writes !== undefined) {
    const split = splitCacheWrites(v, writes, base);
    out.cacheWrite5mTokens = split.m5;
    out.cacheWrite1hTokens = split.h1;
  }
  return out;
}

function thinkingTokens(v: JsonObject): number | undefined {
  return isObject(v.output_tokens_details) ? count(v.output_tokens_details.thinking_tokens) : undefined;
}

/**
 * The 5m/1h split of `total` cache writes: the `cache_creation` breakdown when given; otherwise the
 * split already known (`prior`) when its total matches, else the 1h share of `prior` is kept (capped)
 * and the rest counts as 5m — the default TTL.
 */
function splitCacheWrites(v: JsonObject, total: number, prior: Usage): { m5: number; h1: number } {
  if (isObject(v.cache_creation)) {
    const m5 = count(v.cache_creation.ephemeral_5m_input_tokens);
    const h1 = count(v.cache_creation.ephemeral_1h_input_tokens);
    if (m5 !== undefined || h1 !== undefined) return { m5: m5 ?? 0, h1: h1 ?? 0 };
  }
  const h1 = Math.min(prior.cacheWrite1hTokens, total);
  return { m5: total - h1, h1 };
}
