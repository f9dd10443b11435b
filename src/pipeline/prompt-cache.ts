// Stage: prompt-cache plan. It picks the route's planner mode (`promptCache.rules`, else
// `promptCache.mode`); dispatch then adapts every attempt's request to the serving provider's
// cache — Anthropic: breakpoints planned by a reuse cost model when the caller placed none;
// OpenAI: a `prompt_cache_key` from the tenant and the stable prefix when the caller set none.
// The planner also hears the conversation's continuation signals (conversationOf, previousStop):
// a request carrying tool results is a turn of an agent loop, which is followed within seconds.
// After a served request, settle feeds its prompt to the prefix-churn detector behind
// `GET /api/promptcache`.
import type { CanonicalRequest } from '../core/canonical.js';
import type { Config } from '../config/schema.js';
import type { Deployment } from '../config/catalog.js';
import type { PrefixChurnDetector } from '../promptcache/churn.js';
import {
  AutoCachePlanner,
  ContinuationModel,
  applyBreakpoints,
  blocksOfRequest,
  hasCallerCacheControl,
  isClaudeModel,
  minCacheableTokens,
  type BreakpointPlan,
  type PlannerEvent,
  type PromptBlock,
  type PlannerMode,
  type SharedPlannerStats,
  type Ttl,
} from '../promptcache/index.js';
import type { RequestFeatures } from '../routing/policy/features.js';
import { compileMatch } from '../routing/policy/rules.js';
import { requestAffinityKey } from './candidates.js';
import { featuresOf, type RequestContext } from './context.js';
import type { Stage } from './stage.js';

/** The gateway's prompt-cache planning state, shared by all requests. */
export interface PromptCachePlanning {
  planner: AutoCachePlanner;
  /** Epoch ms (the gateway's clock: wall time, or a replay's simulated time). */
  now: () => number;
  mode: PlannerMode | 'off';
  rules: ReadonlyArray<{ matches(f: RequestFeatures): boolean; mode: PlannerMode | 'off' }>;
  /** The link to the other replicas' planners, when they share observations (`promptCache.sharedStats`). */
  shared?: { stats(): SharedPlannerStats };
  /** Agent-aware continuation signals per conversation (promptcache/continuation.ts). */
  continuation: ContinuationModel;
}

export interface PlanningOptions {
  now?: () => number;
  /** Where this replica's planner events go (see promptcache/shared-redis.ts). */
  publish?: (event: PlannerEvent) => void;
  shared?: { stats(): SharedPlannerStats };
}

export function promptCachePlanStage(planning: PromptCachePlanning): Stage {
  return {
    name: 'prompt-cache-plan',
    run(ctx, next) {
      if (planning.rules.length === 0) ctx.promptCacheMode = planning.mode;
      else {
        const features = featuresOf(ctx);
        ctx.promptCacheMode = planning.rules.find((r) => r.matches(features))?.mode ?? planning.mode;
      }
      return next(ctx);
    },
  };
}

export function createPromptCachePlanning(config: Config['promptCache'], opts: PlanningOptions = {}): PromptCachePlanning {
  return {
    planner: new AutoCachePlanner(opts.publish ? { publish: opts.publish } : {}),
    continuation: new ContinuationModel(),
    now: opts.now ?? Date.now,
    mode: config.mode,
    rules: config.rules.map((r) => ({ matches: compileMatch(r.match), mode: r.mode })),
    ...(opts.shared ? { shared: opts.shared } : {}),
  };
}

/**
 * Claude models are billed per token at roughly 3.5–4 characters a token; planning needs block
 * sizes on every request, so they are estimated (a cheap pass) rather than tokenized. An
 * over-estimate near a model's minimum only costs a marker the provider ignores.
 */
const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

/**
 * The request with planned Anthropic breakpoints, when the deployment is a Claude model on the
 * Anthropic API, Bedrock or Vertex, the route's mode is not `off` and the caller placed no `cache_control`. Planned
 * once per request and deployment (a retry reuses the plan); the plan is committed to the
 * tracker when the upstream answered.
 */
function planAnthropic(request: CanonicalRequest, d: Deployment, ctx: RequestContext, planning: PromptCachePlanning): CanonicalRequest {
  const mode = ctx.promptCacheMode ?? planning.mode;
  if (mode === 'off' || !isClaudeModel(d.upstreamModel) || hasCallerCacheControl(request)) return request;
  ctx.promptCachePlans ??= new Map();
  const planned = ctx.promptCachePlans;
  let entry = planned.get(d.key);
  if (!entry) {
    const blocks = blocksOfRequest(request, estimateTokens);
    const namespace = `${d.key}|${ctx.caller.tenant}`;
    const floor = planning.continuation.arrive({
      conversation: `${namespace}|${conversationOf(request, ctx, blocks)}`,
      previousStop: previousStop(request),
      now: planning.now(),
    });
    const auto = planning.planner.plan({
      namespace,
      model: d.upstreamModel,
      blocks,
      pricing: d.pricing,
      minCacheableTokens: minCacheableTokens(d.upstreamModel),
      mode,
      now: planning.now(),
      continuation: floor && { expectedReads: floor, throughBlock: blocks.length - 1 },
      ...(d.provider.kind === 'bedrock' && d.api !== 'invoke' ? { ttls: FIVE_MINUTES_ONLY } : {}),
    });
    entry = {
      request: auto.plan.breakpoints.length ? applyBreakpoints(request, auto.plan) : request,
      commit: () => auto.commit(planning.now()),
      summary: summarize(auto.plan),
    };
    planned.set(d.key, entry);
  }
  ctx.promptCacheSummary = entry.summary;
  return entry.request;
}

/**
 * The conversation a request belongs to: the caller's `prompt_cache_key`, its end user
 * (`user` / `metadata.user_id`), an `x-costwise-session` header, else its lineage — the prefix up
 * to the first message, which every later turn of the conversation repeats.
 */
function conversationOf(request: CanonicalRequest, ctx: RequestContext, blocks: readonly PromptBlock[]): string {
  if (request.promptCacheKey) return `key:${request.promptCacheKey}`;
  if (request.user) return `user:${request.user}`;
  const session = ctx.inbound.headers['x-costwise-session'];
  if (typeof session === 'string' && session !== '') return `session:${session}`;
  const first = blocks.find((b) => b.kind === 'message');
  return `lineage:${first?.hash ?? ''}`;
}

/**
 * How the previous response of the conversation ended, read from the request itself (so any
 * replica knows it): tool results last → it asked for tools; an earlier assistant turn → it
 * ended. No signal on a first request, nor when an assistant turn is last (a prefill looks the same
 * as the continuation of a `pause_turn`).
 */
function previousStop(request: CanonicalRequest): string | undefined {
  const msgs = request.messages;
  const last = msgs[msgs.length - 1];
  if (!last || last.role === 'assistant') return undefined;
  if (last.content.some((p) => p.type === 'tool_result')) return 'tool_use';
  return msgs.some((m) => m.role === 'assistant') ? 'end_turn' : undefined;
}

/**
 * `planned:<ttl of each breakpoint>|none`, then `; cached=<tokens>` when a prefix is believed to be
 * in the provider's cache and `; seen=<n>` when a prefix of the prompt has arrived before (with
 * shared statistics, through any replica).
 */
function summarize(plan: BreakpointPlan): string {
  let s = plan.breakpoints.length ? `planned:${plan.breakpoints.map((b) => b.ttl).join(',')}` : 'planned:none';
  if (plan.cachedTokens > 0) s += `; cached=${plan.cachedTokens}`;
  if (plan.seen > 1) s += `; seen=${plan.seen}`;
  return s;
}

/** Marks the plan of the deployment that answered as sent (its cache entries now exist). */
export function commitPromptCachePlan(ctx: RequestContext, d: Deployment): void {
  ctx.promptCachePlans?.get(d.key)?.commit();
}

/** Where Claude is served with Anthropic's cache rules: its own API, Bedrock and Vertex. */
const CLAUDE_HOSTS: ReadonlySet<string> = new Set(['anthropic', 'bedrock', 'vertex']);

/** Bedrock Converse's `cachePoint` has no TTL: its breakpoints are 5-minute ones. */
const FIVE_MINUTES_ONLY: readonly Ttl[] = ['5m'];

/** OpenAI caches prompts from 1,024 tokens; a key on anything shorter is noise. */
const OPENAI_MIN_CACHED_TOKENS = 1024;

export function adaptToProviderCache(request: CanonicalRequest, d: Deployment, ctx: RequestContext, planning?: PromptCachePlanning): CanonicalRequest {
  if (CLAUDE_HOSTS.has(d.provider.kind)) return planning ? planAnthropic(request, d, ctx, planning) : request;
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
