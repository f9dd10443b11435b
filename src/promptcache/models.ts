// Which models get planned breakpoints, and their minimum cacheable prefix. The table is the
// emulator's (one source of the Anthropic caching rules), with per-deployment overrides.
import { DEFAULT_MIN_CACHE_TOKENS, minCacheTokens } from '../providers/anthropic-cache-rules.js';

/** Strips provider prefixes such as `anthropic.` or `us.anthropic.` (Bedrock ids). */
function bareModel(upstreamModel: string): string {
  const i = upstreamModel.lastIndexOf('claude-');
  return i >= 0 ? upstreamModel.slice(i) : upstreamModel;
}

export function isClaudeModel(upstreamModel: string): boolean {
  return /(^|[./:])claude-/.test(upstreamModel);
}

export function minCacheableTokens(upstreamModel: string, overrides: Readonly<Record<string, number>> = {}): number {
  return minCacheTokens(bareModel(upstreamModel), { ...DEFAULT_MIN_CACHE_TOKENS, ...overrides });
}
