// The three cachedContents calls the manager makes, over the adapters' shared HTTP path
// (../../providers/http.ts). No caller headers are forwarded: these are costwise's own calls.
import { GatewayError } from '../../core/errors.js';
import { postUpstream, readJson, upstreamRequest, flattenHeaders, type UpstreamRequest } from '../../providers/http.js';
import type { ProviderConfig } from '../../providers/types.js';
import { modelResource } from '../../wire/gemini/embeddings.js';
import { parseGeminiError } from '../../wire/gemini/errors.js';
import type { CachedParts } from './prefix.js';

/** A CachedContent as the provider reported it; times are the PROVIDER's clock, in ms. */
export interface CachedContentInfo {
  name: string;
  tokens: number;
  updateTime: number;
  expireTime: number;
}

export interface ContextCacheApi {
  create(input: { model: string; parts: CachedParts; ttlSeconds: number }): Promise<CachedContentInfo>;
  /** Sets the expiry to `ttlSeconds` from now (PATCH). */
  extend(name: string, ttlSeconds: number): Promise<CachedContentInfo>;
  remove(name: string): Promise<void>;
}

export function httpContextCacheApi(provider: ProviderConfig): ContextCacheApi {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...(provider.apiKey ? { 'x-goog-api-key': provider.apiKey } : {}),
  };
  return {
    async create({ model, parts, ttlSeconds }) {
      const { contents, ...owned } = parts;
      const body = { model: modelResource(model), ...owned, ...(contents.length > 0 ? { contents } : {}), ttl: `${ttlSeconds}s` };
      const res = await postUpstream({ provider, path: '/v1beta/cachedContents', headers, body: JSON.stringify(body) }, parseGeminiError);
      return readInfo(await readJson(res, provider.name), provider.name);
    },
    async extend(name, ttlSeconds) {
      // http.ts's method type lists no PATCH; undici sends any method string as given.
      const method = 'PATCH' as UpstreamRequest['method'];
      const res = await upstreamRequest({ provider, method, path: `/v1beta/${name}?updateMask=ttl`, headers, body: JSON.stringify({ ttl: `${ttlSeconds}s` }) });
      await throwUnlessOk(res, provider.name);
      return readInfo(await readJson(res, provider.name), provider.name);
    },
    async remove(name) {
      const res = await upstreamRequest({ provider, method: 'DELETE', path: `/v1beta/${name}`, headers: { ...headers, 'content-type': 'text/plain' } });
      await throwUnlessOk(res, provider.name);
      await res.body.dump();
    },
  };
}

async function throwUnlessOk(res: Awaited<ReturnType<typeof upstreamRequest>>, providerName: string): Promise<void> {
  if (res.status >= 200 && res.status < 300) return;
  const text = await res.body.text().catch(() => '');
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep the text
  }
  throw parseGeminiError(res.status, body, flattenHeaders(res.headers), providerName);
}

function readInfo(body: unknown, providerName: string): CachedContentInfo {
  const o = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const usage = typeof o.usageMetadata === 'object' && o.usageMetadata !== null ? (o.usageMetadata as Record<string, unknown>) : {};
  const updateTime = typeof o.updateTime === 'string' ? Date.parse(o.updateTime) : NaN;
  const expireTime = typeof o.expireTime === 'string' ? Date.parse(o.expireTime) : NaN;
  if (typeof o.name !== 'string' || typeof usage.totalTokenCount !== 'number' || Number.isNaN(updateTime) || Number.isNaN(expireTime)) {
    throw new GatewayError({ kind: 'upstream_error', message: `upstream ${providerName} returned a malformed CachedContent`, provider: providerName });
  }
  return { name: o.name, tokens: usage.totalTokenCount, updateTime, expireTime };
}
