// Converse `usage` → canonical token classes. Bedrock reports cache reads and writes apart from
// `inputTokens` (which excludes them) and bills writes at the 5-minute cache-write price.
import type { Usage } from '../../core/canonical.js';

export function mapConverseUsage(u: unknown): Usage {
  const r = (typeof u === 'object' && u !== null ? u : {}) as Record<string, unknown>;
  return {
    inputTokens: count(r.inputTokens),
    cacheReadTokens: count(r.cacheReadInputTokens),
    cacheWrite5mTokens: count(r.cacheWriteInputTokens),
    cacheWrite1hTokens: 0,
    outputTokens: count(r.outputTokens),
    reasoningTokens: 0,
  };
}

function count(v: unknown): number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : 0;
}
