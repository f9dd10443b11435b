// Explicit Gemini context caches, created, reused, extended and deleted by costwise.
//
// Per request (`prepare`), for the prefix candidates of ./prefix.ts, longest first:
//   1. a live cache for the prefix (with more than `safetyMarginMs` left) → use it; when less
//      than half its TTL is left and the recent reads pay for more storage, extend it (PATCH,
//      in the background);
//   2. a creation already in flight for the prefix → wait for it (single flight);
//   3. otherwise record the sighting and create a cache when ./decide.ts says it pays, the prefix
//      reaches the model minimum, and fewer than `maxCaches` are live; the request then uses it.
// A create that fails blocks the prefix for one TTL. Unused caches simply expire at the provider.
// The caller sends the prepared body and reports `forget(name)` when the provider answers 403 or
// 404 for it (expired or deleted) before sending the full body once.
//
// Times: expiry is tracked on the injected local clock as "sent at + the lifetime the provider
// granted" (expireTime − updateTime in the provider's answer), so clock skew does not matter and
// the estimate errs early.
//
// Storage accounting: each change of a cache's paid lifetime is one StorageCharge, in pico-dollars
// at the model's storage price (./rules.ts): the TTL at creation, the added time on an extension
// and a negative charge for the unused remainder when `close()` deletes a cache. They go to
// `onCharge` as they happen; a creation's charge is also returned on the request that caused it.
import type { ModelPricing } from '../../cost/prices.js';
import { pricesFor } from '../../cost/calculate.js';
import type { ContextCacheApi } from './api.js';
import { judge, storagePico, type CacheEconomics } from './decide.js';
import { bodyUsingCache, prefixCandidates, type GeminiBody, type PrefixCandidate } from './prefix.js';
import { minCacheTokens, storagePicoPerTokenHour } from './rules.js';
import { ReuseTracker } from './tracker.js';

export interface ContextCacheOptions {
  /** Lifetime given to a cache and added by each extension. Default 300 s. */
  ttlSeconds: number;
  /** Prefixes whose reuse is tracked (LRU). Default 10,000. */
  maxPrefixes: number;
  /** Live caches at most, per manager. Default 1,000. */
  maxCaches: number;
  /** A cache this close to its expiry is not used. Default 10 s. */
  safetyMarginMs: number;
  /** One-off creation cost in pico-dollars per cached token. Default 0 (the Gemini API bills none). */
  creationPicoPerToken: number;
}

export const DEFAULT_CONTEXT_CACHE_OPTIONS: Readonly<ContextCacheOptions> = Object.freeze({
  ttlSeconds: 300,
  maxPrefixes: 10_000,
  maxCaches: 1_000,
  safetyMarginMs: 10_000,
  creationPicoPerToken: 0,
});

export interface StorageCharge {
  cache: string;
  model: string;
  tokens: number;
  reason: 'create' | 'extend' | 'delete';
  /** Lifetime added (negative when a delete gave some back). */
  ms: number;
  /** Pico-dollars (negative for a delete). */
  pico: number;
}

export interface PrepareInput {
  /** Provider account (name or base URL): caches are never shared across accounts. */
  scope: string;
  model: string;
  pricing: ModelPricing;
  body: GeminiBody;
}

export interface PreparedRequest {
  body: GeminiBody;
  /** Set when `body` uses a cache. */
  cache?: string;
  /** Storage charged because of this request (a creation). */
  charges: StorageCharge[];
}

export interface ContextCacheDeps {
  api: ContextCacheApi;
  now: () => number;
  onCharge?: (charge: StorageCharge) => void;
  options?: Partial<ContextCacheOptions>;
}

interface LiveCache {
  key: string;
  name: string;
  model: string;
  tokens: number;
  /** Local clock. */
  expiresAt: number;
  /** Provider clock, for exact storage charges. */
  providerExpireTime: number;
  reads: number;
  storagePico: number;
  extending: boolean;
}

export interface ContextCacheSnapshot {
  live: Array<{ name: string; model: string; tokens: number; expiresAt: number; reads: number; storagePico: number }>;
  created: number;
  reads: number;
  storagePico: number;
  trackedPrefixes: number;
}

export class GeminiContextCache {
  private readonly options: ContextCacheOptions;
  private readonly tracker: ReuseTracker;
  private readonly live = new Map<string, LiveCache>();
  private readonly inflight = new Map<string, Promise<LiveCache | null>>();
  private readonly background = new Set<Promise<void>>();
  private created = 0;
  private reads = 0;
  private storageTotal = 0;

  constructor(private readonly deps: ContextCacheDeps) {
    this.options = { ...DEFAULT_CONTEXT_CACHE_OPTIONS, ...deps.options };
    this.tracker = new ReuseTracker({ maxKeys: this.options.maxPrefixes, maxStamps: 64 });
  }

  private get ttlMs(): number {
    return this.options.ttlSeconds * 1000;
  }

  async prepare(input: PrepareInput): Promise<PreparedRequest> {
    const plain: PreparedRequest = { body: input.body, charges: [] };
    const storage = storagePicoPerTokenHour(input.model);
    if (storage === undefined) return plain;
    const candidates = prefixCandidates(input.body, input.scope, input.model);
    const now = this.deps.now();
    const economics = (tokens: number): CacheEconomics => {
      const prices = pricesFor(input.pricing, tokens);
      return {
        tokens,
        inputPrice: prices.input,
        cacheReadPrice: prices.cacheRead,
        storagePicoPerTokenHour: storage,
        creationPicoPerToken: this.options.creationPicoPerToken,
      };
    };

    for (const c of candidates) {
      const live = this.usable(c.key, now);
      if (!live) continue;
      this.tracker.sight(c.key, now, this.ttlMs);
      this.maybeExtend(live, economics(live.tokens), now);
      return this.use(live, c, input.body, []);
    }
    for (const c of candidates) {
      const pending = this.inflight.get(c.key);
      if (!pending) continue;
      this.tracker.sight(c.key, now, this.ttlMs);
      const live = await pending;
      if (live) return this.use(live, c, input.body, []);
    }

    const priorSightings = candidates.map((c) => this.tracker.sight(c.key, now, this.ttlMs));
    const chosen = candidates.find((c, i) => this.worthCreating(c, input.model, economics(c.estimatedTokens), priorSightings[i] ?? 0, now));
    if (!chosen) return plain;
    const charges: StorageCharge[] = [];
    const live = await this.createOnce(chosen, input.model, storage, charges);
    return live ? this.use(live, chosen, input.body, charges) : plain;
  }

  /** The provider no longer has this cache (403/404): stop using it. */
  forget(name: string): void {
    for (const [key, live] of this.live) if (live.name === name) this.live.delete(key);
  }

  /** Deletes the live caches (best effort) and waits for background calls. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.background]);
    const now = this.deps.now();
    const live = [...this.live.values()].filter((c) => c.expiresAt > now);
    this.live.clear();
    await Promise.allSettled(
      live.map(async (c) => {
        await this.deps.api.remove(c.name);
        const remaining = Math.min(c.expiresAt - now, this.ttlMs);
        this.charge(c, 'delete', -remaining);
      }),
    );
  }

  snapshot(): ContextCacheSnapshot {
    return {
      live: [...this.live.values()].map((c) => ({
        name: c.name,
        model: c.model,
        tokens: c.tokens,
        expiresAt: c.expiresAt,
        reads: c.reads,
        storagePico: c.storagePico,
      })),
      created: this.created,
      reads: this.reads,
      storagePico: this.storageTotal,
      trackedPrefixes: this.tracker.size,
    };
  }

  private usable(key: string, now: number): LiveCache | undefined {
    const live = this.live.get(key);
    if (!live) return undefined;
    if (live.expiresAt - now > this.options.safetyMarginMs) return live;
    this.live.delete(key); // about to expire at the provider: let it
    return undefined;
  }

  private dropExpired(now: number): void {
    for (const [key, live] of this.live) if (live.expiresAt <= now) this.live.delete(key);
  }

  private use(live: LiveCache, c: PrefixCandidate, body: GeminiBody, charges: StorageCharge[]): PreparedRequest {
    live.reads++;
    this.reads++;
    return { body: bodyUsingCache(body, live.name, c.tail), cache: live.name, charges };
  }

  private worthCreating(c: PrefixCandidate, model: string, e: CacheEconomics, priorSightings: number, now: number): boolean {
    if (c.estimatedTokens < minCacheTokens(model)) return false;
    if (this.tracker.isBlocked(c.key, now)) return false;
    if (this.live.size + this.inflight.size >= this.options.maxCaches) this.dropExpired(now);
    if (this.live.size + this.inflight.size >= this.options.maxCaches) return false;
    return judge(e, priorSightings, this.ttlMs, true).pays;
  }

  private createOnce(c: PrefixCandidate, model: string, storage: number, charges: StorageCharge[]): Promise<LiveCache | null> {
    const sentAt = this.deps.now();
    const creation = this.deps.api
      .create({ model, parts: c.parts, ttlSeconds: this.options.ttlSeconds })
      .then((info) => {
        const lifetime = info.expireTime - info.updateTime;
        const live: LiveCache = {
          key: c.key,
          name: info.name,
          model,
          tokens: info.tokens,
          expiresAt: sentAt + lifetime,
          providerExpireTime: info.expireTime,
          reads: 0,
          storagePico: 0,
          extending: false,
        };
        this.live.set(c.key, live);
        this.created++;
        charges.push(this.charge(live, 'create', lifetime, storage));
        return live;
      })
      .catch(() => {
        // Too small after all, a quota, an outage: the request goes uncached; try again later.
        this.tracker.block(c.key, this.deps.now() + this.ttlMs);
        return null;
      })
      .finally(() => this.inflight.delete(c.key));
    this.inflight.set(c.key, creation);
    return creation;
  }

  private maybeExtend(live: LiveCache, e: CacheEconomics, now: number): void {
    if (live.extending || live.expiresAt - now >= this.ttlMs / 2) return;
    const addedMs = now + this.ttlMs - live.expiresAt;
    const recentReads = this.tracker.recent(live.key, now, this.ttlMs);
    if (!judge(e, recentReads, addedMs, false).pays) return;
    live.extending = true;
    const task = this.deps.api
      .extend(live.name, this.options.ttlSeconds)
      .then((info) => {
        const added = info.expireTime - live.providerExpireTime;
        live.providerExpireTime = info.expireTime;
        live.expiresAt = now + (info.expireTime - info.updateTime);
        if (added > 0) this.charge(live, 'extend', added);
      })
      .catch(() => this.forget(live.name))
      .finally(() => {
        live.extending = false;
        this.background.delete(task);
      });
    this.background.add(task);
  }

  private charge(live: LiveCache, reason: StorageCharge['reason'], ms: number, price = storagePicoPerTokenHour(live.model) ?? 0): StorageCharge {
    const pico = Math.sign(ms) * storagePico(live.tokens, price, Math.abs(ms));
    const charge: StorageCharge = { cache: live.name, model: live.model, tokens: live.tokens, reason, ms, pico };
    live.storagePico += pico;
    this.storageTotal += pico;
    this.deps.onCharge?.(charge);
    return charge;
  }
}
