// Provider prompt caching around dispatch: per attempt, the request is adapted to the serving
// provider's cache (OpenAI: a `prompt_cache_key` from the tenant and the stable prefix when the
// caller set none); after a served request, its prompt feeds the prefix-churn detector behind
// `GET /api/promptcache`.
import type { CanonicalRequest } from '../core/canonical.js';
import type { Deployment } from '../config/catalog.js';
import type { PrefixChurnDetector } from '../promptcache/churn.js';
import { requestAffinityKey } from './candidates.js';
import type { RequestContext } from './context.js';

/** OpenAI caches prompts from 1,024 tokens; a key on anything shorter is noise. */
const OPENAI_MIN_CACHED_TOKENS = 1024;

export function adaptToProviderCache(request: CanonicalRequest, d: Deployment, ctx: RequestContext): CanonicalRequest {
  if (d.provider.kind !== 'openai' || request.promptCacheKey !== undefined) return request;
  if ((ctx.features?.promptTokens ?? 0) < OPENAI_MIN_CACHED_TOKENS) return request;
  // Requests sharing tenant and stable prefix share a key, so OpenAI routes them to one cache.
  return { ...request, promptCacheKey: `cw-${requestAffinityKey(request, ctx.caller.tenant)}` };
}

export function observePromptChurn(ctx: RequestContext, detector: PrefixChurnDetector): void {
  const d = ctx.deployment;
  if (!d || ctx.cacheResult?.startsWith('hit')) return;
  let text = '';
  for (const part of ctx.request.system) text += part.text;
  if (!text) {
    const first = ctx.request.messages[0];
    if (first) for (const part of first.content) if (part.type === 'text') text += part.text;
  }
  const p = d.pricing.base;
  detector.observe({ route: `${ctx.caller.tenant}:${ctx.request.model}`, stableText: text, savingPerTokenPico: Math.max(0, p.input - p.cacheRead) });
}
