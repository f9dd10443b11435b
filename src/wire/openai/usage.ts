// OpenAI `usage` ⇄ canonical Usage.
// `prompt_tokens` INCLUDES cached reads and cache writes; reasoning is INSIDE completion_tokens.
// Lossy: OpenAI has one `cache_write_tokens`, so 5-minute and 1-hour writes render as their sum and
// parse back as 5-minute writes.
import type { Usage } from '../../core/canonical.js';
import { count, malformed } from './upstream.js';
import { isRecord, type Json } from './validate.js';

export function renderUsage(u: Usage): Json {
  const cacheWrite = u.cacheWrite5mTokens + u.cacheWrite1hTokens;
  const prompt = u.inputTokens + u.cacheReadTokens + cacheWrite;
  const promptDetails: Json = { cached_tokens: u.cacheReadTokens, audio_tokens: 0 };
  if (cacheWrite > 0) promptDetails.cache_write_tokens = cacheWrite;
  return {
    prompt_tokens: prompt,
    completion_tokens: u.outputTokens,
    total_tokens: prompt + u.outputTokens,
    prompt_tokens_details: promptDetails,
    completion_tokens_details: {
      reasoning_tokens: u.reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/**
 * Upstream usage → canonical. Cached tokens come from `prompt_tokens_details.cached_tokens`, or
 * DeepSeek-style `prompt_cache_hit_tokens` from compatible servers. Input never goes negative.
 */
export function parseUsage(value: unknown, provider: string | undefined): Usage {
  if (!isRecord(value)) throw malformed('usage is not an object', provider);
  const prompt = count(value, 'prompt_tokens', 'usage', provider);
  const completion = count(value, 'completion_tokens', 'usage', provider);
  const pd = detailsOf(value, 'prompt_tokens_details', provider);
  const cd = detailsOf(value, 'completion_tokens_details', provider);
  const cached =
    pd && pd.cached_tokens != null
      ? count(pd, 'cached_tokens', 'usage.prompt_tokens_details', provider)
      : count(value, 'prompt_cache_hit_tokens', 'usage', provider);
  const cacheWrite = pd ? count(pd, 'cache_write_tokens', 'usage.prompt_tokens_details', provider) : 0;
  return {
    inputTokens: Math.max(0, prompt - cached - cacheWrite),
    cacheReadTokens: cached,
    cacheWrite5mTokens: cacheWrite,
    cacheWrite1hTokens: 0,
    outputTokens: completion,
    reasoningTokens: cd ? count(cd, 'reasoning_tokens', 'usage.completion_tokens_details', provider) : 0,
  };
}

function detailsOf(usage: Json, key: string, provider: string | undefined): Json | undefined {
  const v = usage[key];
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v)) throw malformed(`usage.${key} is not an object`, provider);
  return v;
}
