// Gemini `usageMetadata` → canonical usage by billing class.
import { ZERO_USAGE, type Usage } from '../../core/canonical.js';
import type { ReadUsage } from './read.js';

/**
 * `promptTokenCount` includes the cached tokens, so fresh input is the difference. Tokens of
 * built-in tool results (`toolUsePromptTokenCount`) are billed as input and added to it. Thoughts
 * are billed as output: `outputTokens` = candidates + thoughts, `reasoningTokens` = thoughts.
 * Gemini reports no cache writes (implicit caching is free to write; explicit caches are billed
 * by storage time, outside a request).
 */
export function mapUsage(u: ReadUsage | undefined): Usage {
  if (!u) return { ...ZERO_USAGE };
  const cacheRead = u.cachedContentTokenCount;
  return {
    inputTokens: Math.max(0, u.promptTokenCount - cacheRead) + u.toolUsePromptTokenCount,
    cacheReadTokens: cacheRead,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    outputTokens: u.candidatesTokenCount + u.thoughtsTokenCount,
    reasoningTokens: u.thoughtsTokenCount,
  };
}
