// Stage: the response cache (after parse, before route). A request the policy lets in is looked up by its
// canonical key within its namespace (credential or tenant); a hit is served in the caller's
// format and mode with nothing billed, its baseline the cost the answer had avoided. On a miss
// the first request for a key leads and identical requests arriving meanwhile wait for its answer
// (no stampede); the leader's answer is stored once complete. With semantic caching on, an exact
// miss is looked up by meaning among the answers to the same context (same namespace, model and
// everything but the last user turn), and the best candidate is verified before it is served.
import { ZERO_USAGE, type CanonicalResponse, type StreamEvent } from '../core/canonical.js';
import { invalidRequest } from '../core/errors.js';
import { replay, responseEvents } from '../core/response-stream.js';
import { StreamCollector } from '../core/stream-collect.js';
import type { Catalog } from '../config/catalog.js';
import type { Config } from '../config/schema.js';
import { cacheKey, isDeterministic } from '../cache/exact/index.js';
import type { ResponseCacheStore } from '../cache/types.js';
import type { RequestFeatures } from '../routing/policy/features.js';
import { compileMatch } from '../routing/policy/rules.js';
import { featuresOf, type RequestContext } from './context.js';
import type { CachePlan, StoredAnswer } from './cache-plan.js';
import type { EmbeddingCall, SemanticCache } from './semantic-cache.js';
import { answersAgree } from '../cache/semantic/answer-agreement.js';
import { createBuiltinEmbedder, type BuiltinEmbedder } from '../cache/semantic/builtin-embedder.js';
import type { DurableStore } from '../storage/types.js';
import { recordSubCall } from './ledger.js';
import { price } from './price.js';
import type { Next, Stage } from './stage.js';

type Policy = Config['cache']['policy'];

interface CacheRule {
  matches(f: RequestFeatures): boolean;
  policy: Policy | undefined;
  ttlMs: number | undefined;
  semantic: boolean | undefined;
}

export interface ResponseCache {
  store: ResponseCacheStore;
  policy: Policy;
  ttlMs: number;
  scope: Config['cache']['scope'];
  rules: readonly CacheRule[];
  /** Answers being produced right now, by key: identical requests wait for them. */
  pending: Map<string, Promise<StoredAnswer | undefined>>;
  now: () => number;
  semantic: SemanticCache | undefined;
  /** Semantic lookups unless a rule says otherwise. */
  semanticByDefault: boolean;
}

export function createResponseCache(config: Config['cache'], store: ResponseCacheStore, semantic?: SemanticCache, now: () => number = Date.now): ResponseCache {
  return {
    semantic,
    semanticByDefault: config.semantic.enabled,
    store,
    policy: config.policy,
    ttlMs: config.ttlSeconds * 1000,
    scope: config.scope,
    rules: config.rules.map((r) => ({
      matches: compileMatch(r.match),
      policy: r.policy,
      ttlMs: r.ttlSeconds !== undefined ? r.ttlSeconds * 1000 : undefined,
      semantic: r.semantic,
    })),
    pending: new Map(),
    now,
  };
}

/** Is semantic caching on anywhere (globally or in a rule)? Only then is the matcher built. */
export function usesSemanticCache(config: Config['cache']): boolean {
  return config.semantic.enabled || config.rules.some((r) => r.semantic === true);
}

/** `x-costwise-cache` and `x-costwise-cache-ttl` from the caller. */
export interface CacheDirective {
  /** no-store: neither read nor write; no-cache: do not read (the answer is still stored); refresh: do not read, replace. */
  mode: 'default' | 'no-store' | 'no-cache' | 'refresh';
  ttlMs: number | undefined;
}

const MODES = new Set(['no-store', 'no-cache', 'refresh']);

export function cacheDirective(headers: Readonly<Record<string, string | string[] | undefined>>): CacheDirective {
  const mode = headers['x-costwise-cache'];
  const ttl = headers['x-costwise-cache-ttl'];
  let ttlMs: number | undefined;
  if (typeof ttl === 'string') {
    const seconds = Number(ttl);
    if (!(seconds > 0) || !Number.isFinite(seconds))
      throw invalidRequest(`x-costwise-cache-ttl: expected a positive number of seconds, got "${ttl}"`, 'x-costwise-cache-ttl');
    ttlMs = seconds * 1000;
  }
  if (mode === undefined) return { mode: 'default', ttlMs };
  if (typeof mode !== 'string' || !MODES.has(mode)) {
    throw invalidRequest(`x-costwise-cache: expected no-store, no-cache or refresh, got "${String(mode)}"`, 'x-costwise-cache');
  }
  return { mode: mode as CacheDirective['mode'], ttlMs };
}

/** What the response cache stage uses. */
export interface CacheStageDeps {
  responseCache: ResponseCache;
  catalog: Catalog;
  /** The ledger: embedding calls of the semantic cache are billed on their own rows. */
  store: DurableStore;
}

export function responseCacheStage(deps: CacheStageDeps): Stage {
  return {
    name: 'response-cache',
    run(ctx, next) {
      const directive = cacheDirective(ctx.inbound.headers);
      const rule = applicableRule(ctx, deps.responseCache, directive);
      // Not cacheable (the common case for non-deterministic requests): no promise of its own.
      if (rule === NOT_CACHED) return next(ctx);
      return lookupAndRun(ctx, next, deps, directive, rule);
    },
  };
}

async function lookupAndRun(ctx: RequestContext, next: Next, deps: CacheStageDeps, directive: CacheDirective, rule: CacheRule | undefined): Promise<void> {
  if (await lookupCache(ctx, deps, directive, rule)) {
    price(ctx, ZERO_USAGE);
    return;
  }
  await next(ctx);
  // A streamed miss is collected as it passes, so that settle can store the whole answer.
  const outcome = ctx.outcome;
  if (ctx.cachePlan && outcome?.kind === 'stream') {
    const collector = (ctx.cacheCollector = new StreamCollector());
    ctx.outcome = { kind: 'stream', events: collected(outcome.events, collector) };
  }
}

const NOT_CACHED = Symbol('not cached');

/** The cache rule that applies (undefined: the defaults), or NOT_CACHED when the cache is not consulted at all. */
function applicableRule(ctx: RequestContext, cache: ResponseCache, directive: CacheDirective): CacheRule | undefined | typeof NOT_CACHED {
  if (directive.mode === 'no-store') return NOT_CACHED;
  const features = featuresOf(ctx);
  const rule = cache.rules.find((r) => r.matches(features));
  const policy = rule?.policy ?? cache.policy;
  if (policy === 'never' || (policy === 'deterministic' && !isDeterministic(ctx.request))) return NOT_CACHED;
  return rule;
}

async function* collected(events: AsyncIterable<StreamEvent>, collector: StreamCollector): AsyncGenerator<StreamEvent> {
  for await (const event of events) {
    collector.add(event);
    yield event;
  }
}

/** Looks a cacheable request up; true when it was answered from the cache (`ctx.outcome` is set). */
async function lookupCache(ctx: RequestContext, deps: CacheStageDeps, directive: CacheDirective, rule: CacheRule | undefined): Promise<boolean> {
  const { responseCache: cache, catalog, store: ledger } = deps;
  const features = featuresOf(ctx);

  // The credential is hashed into the key's namespace under scope `key`; the tenant is checked again on every read.
  const tenant = ctx.caller.tenant;
  const namespace = cache.scope === 'key' ? `${tenant}/${ctx.caller.keyId}` : tenant;
  const key = cacheKey(ctx.request, { tenant: namespace, model: ctx.request.model });
  const plan: CachePlan = { key, tenant, ttlMs: directive.ttlMs ?? rule?.ttlMs ?? cache.ttlMs };
  ctx.cachePlan = plan;
  ctx.cacheResult = 'miss';
  const semantic = cache.semantic && (rule?.semantic ?? cache.semanticByDefault) ? semanticTarget(ctx, namespace, features.lastUserText) : undefined;
  if (semantic) plan.semantic = semantic;
  if (directive.mode === 'default') {
    const entry = await cache.store.get(key, tenant);
    if (entry !== undefined && serveStored(ctx, catalog, decode(entry.value), 'exact')) return true;
    const inFlight = cache.pending.get(key);
    if (inFlight !== undefined && serveStored(ctx, catalog, await inFlight, 'exact')) return true;
    if (semantic && (await serveSemantic(ctx, cache, catalog, semantic, tenant, ledger))) return true;
  }
  if (!cache.pending.has(key)) {
    let release!: (answer: StoredAnswer | undefined) => void;
    const answer = new Promise<StoredAnswer | undefined>((resolve) => (release = resolve));
    cache.pending.set(key, answer);
    plan.release = (stored) => {
      if (cache.pending.get(key) === answer) cache.pending.delete(key);
      release(stored);
    };
  }
  return false;
}

/**
 * After the request: stores a complete answer (unless the caller said no-store, which never made
 * a plan) and hands it to the identical requests that waited. `response` is undefined when the
 * request failed or its stream did not finish: nothing is stored, the waiters go upstream.
 */
export function finishCache(
  ctx: RequestContext,
  deps: Pick<CacheStageDeps, 'responseCache' | 'store'>,
  response: CanonicalResponse | undefined,
  log: (m: string) => void = console.error,
): void {
  const { responseCache: cache, store: ledger } = deps;
  const plan = ctx.cachePlan;
  if (!plan || ctx.cacheResult !== 'miss') return;
  const model = ctx.deployment?.name;
  const stored: StoredAnswer | undefined = response && model ? { v: 1, model, response } : undefined;
  if (response) recordVerification(ctx, cache, response);
  if (stored) {
    const now = cache.now();
    cache.store
      .set({ key: plan.key, tenant: plan.tenant, model: ctx.request.model, createdAt: now, expiresAt: now + plan.ttlMs, value: JSON.stringify(stored) })
      .then((ok) => {
        if (ok && plan.semantic && cache.semantic) return cache.semantic.index(plan.semantic.namespace, plan.key, plan.semantic.text);
      })
      .then((call) => {
        if (call) billEmbedding(ctx, ledger, call, 'embed-store');
      })
      .catch((err: unknown) => log(`costwise: response cache write failed: ${(err as Error).message}`));
  }
  plan.release?.(stored);
}

function decode(value: string | Uint8Array): StoredAnswer | undefined {
  try {
    // Bytes of any format version may be stored: only v1 answers are served.
    const parsed = JSON.parse(typeof value === 'string' ? value : Buffer.from(value).toString('utf8')) as Partial<StoredAnswer>;
    return parsed.v === 1 ? (parsed as StoredAnswer) : undefined;
  } catch {
    return undefined;
  }
}

function serveStored(ctx: RequestContext, catalog: Catalog, stored: StoredAnswer | undefined, kind: 'exact' | 'semantic'): boolean {
  return stored !== undefined && serveAnswer(ctx, catalog, stored.model, stored.response, kind);
}

/**
 * The semantic namespace: the exact namespace, the model asked for and a hash of everything the
 * answer depends on besides the last user turn (system, earlier turns, tools, parameters), so a
 * near-duplicate question is only ever matched within an identical context.
 */
function semanticTarget(ctx: RequestContext, namespace: string, text: string): SemanticTarget | undefined {
  const messages = ctx.request.messages;
  const last = messages.at(-1);
  if (!text || !last || last.role !== 'user' || last.content.some((p) => p.type !== 'text')) return undefined;
  const context = cacheKey({ ...ctx.request, messages: messages.slice(0, -1) }, { tenant: namespace, model: ctx.request.model });
  // Thresholds are learned per cache namespace and model asked for: a context alone sees too few lookups.
  return { namespace: context, text, scope: `${namespace}/${ctx.request.model}` };
}

type SemanticTarget = NonNullable<CachePlan['semantic']>;

/**
 * Serves the best verified candidate when it clears the scope's threshold. With online
 * verification, a sampled share of such would-be hits goes upstream anyway (technique
 * `cache_verify`), and near misses just below the threshold are checked for free: either way the
 * fresh answer is compared with the cached one at settle (`finishCache`).
 */
async function serveSemantic(
  ctx: RequestContext,
  cache: ResponseCache,
  catalog: Catalog,
  target: SemanticTarget,
  tenant: string,
  ledger: DurableStore,
): Promise<boolean> {
  const semantic = cache.semantic!;
  const { candidate, call } = await semantic.lookup(target.namespace, target.scope, target.text);
  if (call) billEmbedding(ctx, ledger, call, 'embed');
  if (!candidate) return false;
  const entry = await cache.store.get(candidate.id, tenant);
  if (entry === undefined) {
    semantic.forget(target.namespace, candidate.id); // expired or invalidated: drop it from the index
    return false;
  }
  const stored = decode(entry.value);
  const verification = semantic.verification;
  const wouldHit = candidate.similarity >= candidate.threshold;
  if (verification && stored && (!wouldHit || verification.sample())) {
    const weight = wouldHit ? 1 / verification.settings.sampleRate : 1;
    ctx.cacheVerify = { scope: target.scope, similarity: candidate.similarity, cached: textOf(stored.response), weight, sampledHit: wouldHit };
    return false;
  }
  if (!wouldHit || !serveStored(ctx, catalog, stored, 'semantic')) return false;
  ctx.semanticSimilarity = candidate.similarity;
  return true;
}

function textOf(response: CanonicalResponse): string {
  let out = '';
  for (const part of response.content) if (part.type === 'text') out += part.text;
  return out;
}

/** Compares a checked lookup's fresh answer with the cached one; the outcome moves the scope's threshold. */
function recordVerification(ctx: RequestContext, cache: ResponseCache, response: CanonicalResponse): void {
  const check = ctx.cacheVerify;
  const verification = cache.semantic?.verification;
  if (!check || !verification) return;
  const { agree } = answersAgree(check.cached, textOf(response), { embedder: agreementEmbedder() });
  verification.record(check.scope, { similarity: check.similarity, wrong: !agree, weight: check.weight });
}

let embedderForAgreement: BuiltinEmbedder | undefined;
function agreementEmbedder(): BuiltinEmbedder {
  return (embedderForAgreement ??= createBuiltinEmbedder());
}

/** An embeddings API call made for the semantic cache, billed on its own row under its technique. */
function billEmbedding(ctx: RequestContext, ledger: DurableStore, call: EmbeddingCall, label: string): void {
  recordSubCall(ctx, ledger, {
    label,
    deployment: call.deployment,
    usage: call.usage,
    latencyMs: call.latencyMs,
    route: 'cache:semantic-embed',
    technique: 'cache_semantic',
  });
}

/** Answers from the cache; false when the model that made the answer is no longer in the catalog. */
function serveAnswer(ctx: RequestContext, catalog: Catalog, model: string, response: CanonicalResponse, kind: 'exact' | 'semantic'): boolean {
  const served = catalog.get(model);
  if (!served) return false;
  const asked = catalog.get(ctx.request.model);
  ctx.deployment = served;
  // The baseline is what the request would have cost without costwise: on the model asked for.
  if (asked && asked.kind === 'chat' && asked !== served) ctx.requestedDeployment = asked;
  ctx.cachedUsage = response.usage;
  ctx.cacheResult = kind === 'exact' ? 'hit-exact' : 'hit-semantic';
  ctx.technique = kind === 'exact' ? 'cache_exact' : 'cache_semantic';
  ctx.routeReason = `cache:${kind}`;
  ctx.outcome = ctx.request.stream ? { kind: 'stream', events: replay(responseEvents(response)) } : { kind: 'complete', response };
  return true;
}
