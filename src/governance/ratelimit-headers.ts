// Response headers for rate limits, OpenAI style: per kind, the most constraining limit (least
// remaining) names limit, remaining and reset.
import type { LimitState } from './ratelimit-types.js';

export function rateLimitHeaders(states: readonly LimitState[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const kind of ['requests', 'tokens'] as const) {
    let tightest: LimitState | undefined;
    for (const s of states) if (s.limit.kind === kind && (tightest === undefined || s.remaining < tightest.remaining)) tightest = s;
    if (tightest === undefined) continue;
    headers[`x-ratelimit-limit-${kind}`] = String(tightest.limit.limit);
    headers[`x-ratelimit-remaining-${kind}`] = String(Math.max(0, tightest.remaining));
    headers[`x-ratelimit-reset-${kind}`] = `${Math.max(0, tightest.resetMs) / 1000}s`;
  }
  return headers;
}
