// Dispatch: send the canonical request upstream, surviving providers: the candidate deployments
// (balanced, with prefix affinity, then fallback models) are tried in order with retries on each
// and a circuit breaker per deployment. A stream counts as served once its first event arrived;
// a failure before that falls back like any other.
import type { CanonicalRequest, CanonicalResponse, StreamEvent } from '../core/canonical.js';
import { GatewayError } from '../core/errors.js';
import type { Catalog, Deployment } from '../config/catalog.js';
import type { AdapterRegistry } from '../providers/registry.js';
import type { UpstreamTarget } from '../providers/types.js';
import { DispatchError, fallbackReason, runWithFallbacks, type Attempt } from '../routing/resilience/index.js';
import type { LedgerAttempt } from '../storage/types.js';
import { candidateDeployments } from './candidates.js';
import { adaptToProviderCache, commitPromptCachePlan, type PromptCachePlanning } from './prompt-cache.js';
import { featuresOf, need, type RequestContext } from './context.js';
import type { Resilience } from './resilience.js';
import type { AttemptPurpose, Telemetry } from '../telemetry/index.js';
import type { AttemptWatch } from '../telemetry/attempt-watch.js';

export interface DispatchDeps {
  adapters: AdapterRegistry;
  catalog: Catalog;
  resilience: Resilience;
  promptCache?: PromptCachePlanning;
  telemetry?: Telemetry | undefined;
}

export type Served =
  | { kind: 'complete'; response: CanonicalResponse; headers: Record<string, string>; warnings: string[] }
  | { kind: 'stream'; events: AsyncIterable<StreamEvent>; headers: Record<string, string>; warnings: string[] };

/**
 * Sends `ctx.request` to `ctx.deployment`'s model (or its fallbacks), leaving the outcome, the
 * serving deployment and the attempt trace on the context.
 */
export async function dispatch(ctx: RequestContext, deps: DispatchDeps): Promise<void> {
  const model = need(ctx.deployment, 'deployment', 'route');
  const features = featuresOf(ctx);
  const candidates = onServiceTier(ctx, model, candidateDeployments(model, ctx.request, features, deps.catalog, deps.resilience));
  const served = await callWithFallbacks(ctx, ctx.request, candidates, deps);
  if (served.fallback) ctx.routeReason = `${ctx.routeReason ?? 'requested'}; ${served.fallback}`;
  ctx.deployment = served.deployment;
  ctx.upstreamHeaders = served.value.headers;
  for (const w of served.value.warnings) ctx.warnings.push(w);
  ctx.outcome = served.value.kind === 'complete' ? { kind: 'complete', response: served.value.response } : { kind: 'stream', events: served.value.events };
}

/**
 * One upstream call with retries and fallbacks, for dispatch and for extra calls a router makes
 * (a cascade's steps and judges, named by `purpose` in traces). The attempts go on `ctx.attempts`;
 * `fallback` says why the first candidate did not serve (`fallback:429->model`), for the route header.
 */
export async function callWithFallbacks(
  ctx: RequestContext,
  request: CanonicalRequest,
  candidates: readonly Deployment[],
  deps: DispatchDeps,
  purpose: AttemptPurpose = 'answer',
): Promise<{ deployment: Deployment; value: Served; fallback: string | undefined }> {
  const res = deps.resilience;
  const all = withDefaultTiers(candidates);
  try {
    const result = await runWithFallbacks(all.map(asCandidate), (c) => attempt(c.deployment, request, ctx, deps, purpose), {
      deps: res.deps,
      retry: res.retry,
      breaker: res.breaker,
      signal: ctx.abort.signal,
    });
    noteAttempts(ctx, result.attempts, all);
    const reason = fallbackReason(result.attempts);
    return { deployment: result.served.deployment, value: result.value, fallback: reason && `${reason}->${result.served.deployment.name}` };
  } catch (err) {
    if (err instanceof DispatchError) noteAttempts(ctx, err.attempts, all);
    maskCredentialErrors(err);
  }
}

/**
 * A deferrable request (a `via: flex` deferral rule) goes to each candidate's flex-tier twin where
 * it has one. The saving is the tier's: the baseline stays the routed deployment at its own price.
 */
function onServiceTier(ctx: RequestContext, routed: Deployment, candidates: readonly Deployment[]): readonly Deployment[] {
  const tier = ctx.serviceTier;
  if (tier === undefined || !candidates.some((d) => d.flexTier !== undefined)) return candidates;
  if (ctx.requestedDeployment === undefined) {
    ctx.requestedDeployment = routed;
    ctx.technique ??= 'service_tier';
  }
  ctx.routeReason = `${ctx.routeReason ?? 'requested'}; deferrable:${tier.rule}->flex`;
  return candidates.map((d) => d.flexTier ?? d);
}

/** A flex-tier deployment is followed by itself at the default tier: where flex capacity errors go. */
function withDefaultTiers(candidates: readonly Deployment[]): readonly Deployment[] {
  if (!candidates.some((d) => d.defaultTier !== undefined)) return candidates;
  return candidates.flatMap((d) => (d.defaultTier ? [d, d.defaultTier] : [d]));
}

interface DeploymentCandidate {
  key: string;
  deployment: Deployment;
}

function asCandidate(deployment: Deployment): DeploymentCandidate {
  return { key: deployment.key, deployment };
}

async function attempt(d: Deployment, asked: CanonicalRequest, ctx: RequestContext, deps: DispatchDeps, purpose: AttemptPurpose): Promise<Served> {
  const adapter = deps.adapters.forKind(d.provider.kind);
  const request = adaptToProviderCache(asked, d, ctx, deps.promptCache);
  const target: UpstreamTarget = d.target;
  const options = { signal: ctx.abort.signal, forwardHeaders: ctx.forwardHeaders };
  // Translation notes of this attempt only: a retried attempt must not repeat them.
  const warnings: string[] = [];
  const load = deps.resilience.load;
  const end = load.begin(d.key);
  const watch = deps.telemetry?.attempt(d, ctx.trace, purpose);
  const t0 = performance.now();
  try {
    if (!request.stream) {
      const result = await adapter.complete(target, request, warnings, options);
      load.observeLatency(d.key, performance.now() - t0);
      deps.resilience.throttle.observe(d.key, result.upstreamHeaders);
      commitPromptCachePlan(ctx, d);
      end();
      watch?.succeeded(result.response.model);
      return { kind: 'complete', response: result.response, headers: result.upstreamHeaders, warnings };
    }
    const result = await adapter.stream(target, request, warnings, options);
    const iterator = result.events[Symbol.asyncIterator]();
    const first = await iterator.next();
    load.observeLatency(d.key, performance.now() - t0);
    watch?.firstEvent();
    deps.resilience.throttle.observe(d.key, result.upstreamHeaders);
    commitPromptCachePlan(ctx, d);
    return { kind: 'stream', events: resumed(first, iterator, watch === undefined ? end : endWatched(end, watch)), headers: result.upstreamHeaders, warnings };
  } catch (err) {
    watch?.failed(err);
    end();
    if (err instanceof GatewayError && (err.kind === 'rate_limit' || err.status === 429)) deps.resilience.throttle.limited(d.key, err);
    throw err;
  }
}

/** The stream again from its already-read first event; `end` runs once it finishes or is dropped. */
async function* resumed(first: IteratorResult<StreamEvent>, iterator: AsyncIterator<StreamEvent>, end: () => void): AsyncGenerator<StreamEvent> {
  try {
    if (first.done) return;
    yield first.value;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  } finally {
    end();
    await iterator.return?.();
  }
}

function endWatched(end: () => void, watch: AttemptWatch): () => void {
  return () => {
    end();
    watch.succeeded();
  };
}

/** Keeps the trace on the context when there was more than one attempt (retries, fallbacks). */
function noteAttempts(ctx: RequestContext, attempts: readonly Attempt[], candidates: readonly Deployment[]): void {
  if (attempts.length <= 1 && !ctx.attempts) return;
  const trace = (ctx.attempts ??= []);
  for (const a of attempts) trace.push(ledgerAttempt(a, candidates));
}

function ledgerAttempt(a: Attempt, candidates: readonly Deployment[]): LedgerAttempt {
  const deployment = candidates.find((d) => d.key === a.key)?.key ?? a.key;
  if (a.outcome === 'ok') return { deployment, status: 200, ms: round(a.durationMs) };
  return { deployment, status: a.status ?? 0, error: a.contextLength ? 'context_length' : (a.kind ?? 'error'), ms: round(a.durationMs) };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/**
 * An upstream 401/403 means costwise's own provider credentials were refused, not the caller's:
 * passing it through would tell the caller their key is wrong. It becomes a 502 naming the provider.
 */
function maskCredentialErrors(err: unknown): never {
  if (err instanceof GatewayError && err.provider && (err.kind === 'authentication' || err.kind === 'permission')) {
    throw new GatewayError({
      kind: 'upstream_error',
      status: 502,
      message: `provider ${err.provider} refused costwise's credentials (${err.kind}): ${err.message}`,
      provider: err.provider,
      retryable: false,
      ...(err.upstreamRequestId ? { upstreamRequestId: err.upstreamRequestId } : {}),
    });
  }
  throw err;
}
