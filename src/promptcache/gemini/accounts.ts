// The Gemini adapter's context caches: one manager (./manager.ts) per upstream account, since a
// cachedContent belongs to the API key that made it; made on first use, all deleted on close.
import { createHash } from 'node:crypto';
import { lookupPricing, type ModelPricing } from '../../cost/prices.js';
import type { GeminiContextCaches } from '../../providers/gemini.js';
import type { ProviderConfig, UpstreamTarget } from '../../providers/types.js';
import { httpContextCacheApi } from './api.js';
import { GeminiContextCache, type ContextCacheOptions, type PreparedRequest, type StorageCharge } from './manager.js';
import type { GeminiBody } from './prefix.js';

export interface ContextCachingOptions {
  /** Explicit context caching (cachedContents); on when absent. */
  contextCache?: { enabled: boolean } & Partial<ContextCacheOptions>;
  /** Prices the caching decision uses; default: the pricing library's list price for the model. */
  pricingFor?: (target: UpstreamTarget) => ModelPricing | null;
  /** Every storage charge (creation, extension, refund on delete), in pico-dollars, for the ledger. */
  onStorageCharge?: (charge: StorageCharge & { provider: string }) => void;
  /** Clock of the caching decisions; default Date.now. */
  now?: () => number;
}

export interface ContextCaches extends GeminiContextCaches {
  prepare(target: UpstreamTarget, body: GeminiBody): Promise<PreparedRequest>;
  /** The provider answered 403/404 for this cache. */
  forget(target: UpstreamTarget, name: string): void;
  close(): Promise<void>;
}

export function createContextCaches(o: ContextCachingOptions): ContextCaches {
  const managers = new Map<string, GeminiContextCache>();
  const pricing = new Map<string, ModelPricing | null>();
  const pricingFor = o.pricingFor ?? ((t: UpstreamTarget) => lookupPricing('gemini', t.upstreamModel));
  const managerFor = (provider: ProviderConfig): GeminiContextCache => {
    const scope = scopeOf(provider);
    let m = managers.get(scope);
    if (!m) {
      m = new GeminiContextCache({
        api: httpContextCacheApi(provider),
        now: o.now ?? Date.now,
        ...(o.onStorageCharge ? { onCharge: (c: StorageCharge) => o.onStorageCharge?.({ ...c, provider: provider.name }) } : {}),
        options: {
          ...(o.contextCache ? withoutEnabled(o.contextCache) : {}),
          ...(provider.contextCache ? { ttlSeconds: provider.contextCache.ttlSeconds } : {}),
        },
      });
      managers.set(scope, m);
    }
    return m;
  };
  return {
    async prepare(target, body) {
      if (target.provider.contextCache?.enabled === false) return { body, charges: [] };
      const key = `${target.provider.name}|${target.upstreamModel}`;
      if (!pricing.has(key)) pricing.set(key, pricingFor(target));
      const prices = pricing.get(key);
      if (!prices) return { body, charges: [] };
      const model = target.upstreamModel.replace(/^models\//, '');
      return managerFor(target.provider).prepare({ scope: scopeOf(target.provider), model, pricing: prices, body });
    },
    forget(target, name) {
      managers.get(scopeOf(target.provider))?.forget(name);
    },
    async close() {
      await Promise.allSettled([...managers.values()].map((m) => m.close()));
    },
  };
}

function scopeOf(p: ProviderConfig): string {
  const key = createHash('sha256')
    .update(p.apiKey ?? '')
    .digest('hex')
    .slice(0, 16);
  return `${p.name}|${p.baseUrl}|${key}`;
}

function withoutEnabled(o: { enabled: boolean } & Partial<ContextCacheOptions>): Partial<ContextCacheOptions> {
  const { enabled: _enabled, ...rest } = o;
  return rest;
}
