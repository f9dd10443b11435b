// Stage: admit (after parse, before defer and the response cache). For a virtual key: may it use
// the model it asked for, and do its and its teams' rate limits (requests and tokens per minute,
// exact sliding windows over every replica) admit one more request now? A refused request gets
// 429 with `retry-after` and the limit's `x-ratelimit-*` headers (`anthropic-ratelimit-*` for
// Anthropic callers, added by the responder).
import { GatewayError } from '../core/errors.js';
import { isModelAllowed, rateLimitHeaders, rateLimits } from '../governance/index.js';
import type { Catalog } from '../config/catalog.js';
import { featuresOf, type RequestContext } from './context.js';
import type { Governance } from './governance.js';
import type { Stage } from './stage.js';

/** Names that are resolved by routing rather than being a model (checked again on the model that serves). */
function isRoutedName(model: string): boolean {
  return model === 'auto' || model.startsWith('router/') || model === 'cheap' || model === 'mid' || model === 'frontier';
}

/** The key may not use the model it asked for: 403 naming it. */
export function modelRefused(model: string): GatewayError {
  return new GatewayError({ kind: 'permission', message: `This API key may not use model '${model}'.`, param: 'model', code: 'model_not_allowed' });
}

export function admitStage(deps: { governance: Governance; catalog: Catalog }): Stage {
  const { governance, catalog } = deps;
  return {
    name: 'admit',
    run(ctx, next) {
      const key = ctx.caller.key;
      if (key === undefined) return next(ctx); // auth: open — nothing to admit (no promise of its own on the hot path)
      const model = ctx.request.model;
      if (!isRoutedName(model) && !isModelAllowed({ key, model, ...tierOf(catalog, model) })) return Promise.reject(modelRefused(model));
      const limits = rateLimits({ key, teams: ctx.caller.teams ?? [] });
      if (limits.length === 0) return next(ctx);
      return acquire(ctx, governance, limits).then(() => next(ctx));
    },
  };
}

function tierOf(catalog: Catalog, model: string): { tier?: string } {
  const tier = catalog.get(model)?.tier;
  return tier === undefined ? {} : { tier };
}

/** Output tokens a request may produce: its own limit, or the one costwise sets for it (reserve.ts). */
export function outputAllowance(ctx: RequestContext, governance: Governance): number {
  return ctx.request.maxTokens ?? governance.settings.defaultMaxOutputTokens;
}

async function acquire(ctx: RequestContext, governance: Governance, limits: ReturnType<typeof rateLimits>): Promise<void> {
  const tokens = featuresOf(ctx).promptTokens + outputAllowance(ctx, governance);
  const result = await governance.limiter.acquire({ limits, tokens });
  switch (result.status) {
    case 'admitted':
      ctx.permit = result.permit;
      return;
    case 'limited': {
      const { limit } = result.state;
      throw new GatewayError({
        kind: 'rate_limit',
        message: `Rate limit reached for ${limit.subject}: ${limit.limit} ${limit.kind} per minute. Try again in ${result.retryAfterSeconds}s.`,
        code: 'rate_limit_exceeded',
        retryable: true,
        retryAfterSeconds: result.retryAfterSeconds,
        headers: rateLimitHeaders([result.state]),
      });
    }
    case 'too_large':
      throw new GatewayError({
        kind: 'rate_limit',
        message: `Request too large for ${result.limit.subject}: about ${tokens} tokens (prompt and output limit) against a limit of ${result.limit.limit} tokens per minute. Send fewer tokens or a lower max_tokens.`,
        code: 'tokens_exceed_limit',
        retryable: false,
      });
    case 'unavailable':
      if (governance.settings.failMode === 'open') return;
      throw new GatewayError({
        kind: 'overloaded',
        status: 503,
        message: 'Rate limits cannot be checked right now (shared state unavailable); try again shortly.',
        retryable: true,
      });
  }
}

/** At settle: the token limits count the tokens the request really used, not the estimate. */
export async function settlePermit(ctx: RequestContext, governance: Governance): Promise<void> {
  const permit = ctx.permit;
  if (permit === undefined || permit.tokenLimits.length === 0) return;
  const u = ctx.settlement?.usage;
  const used = u === undefined ? 0 : u.inputTokens + u.cacheReadTokens + u.cacheWrite5mTokens + u.cacheWrite1hTokens + u.outputTokens;
  await governance.limiter.adjust(permit, used);
}
