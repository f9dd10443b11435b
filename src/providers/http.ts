// The single path from an adapter to a socket: one undici Pool per upstream origin.
import { Pool, type Dispatcher } from 'undici';
import { GatewayError } from '../core/errors.js';
import type { ProviderConfig } from './types.js';
import type { CancelSignal } from '../core/cancel.js';

export { passBackHeaders } from '../core/headers.js';

const pools = new Map<string, Pool>();

function poolFor(provider: ProviderConfig): Pool {
  const origin = new URL(provider.baseUrl).origin;
  const key = `${origin}|${provider.connections}`;
  let pool = pools.get(key);
  if (!pool) {
    pool = new Pool(origin, {
      connections: provider.connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: provider.timeoutMs,
      bodyTimeout: provider.timeoutMs,
    });
    pools.set(key, pool);
  }
  return pool;
}

export interface UpstreamRequest {
  provider: ProviderConfig;
  /** Path appended to the provider's base URL path, e.g. `/v1/chat/completions`. */
  path: string;
  method?: 'GET' | 'POST' | 'DELETE';
  headers: Record<string, string>;
  body?: string;
  signal?: CancelSignal;
}

export interface UpstreamResponse {
  status: number;
  /** As undici gives them: lower-case names; repeated headers as arrays. */
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

export async function upstreamRequest(req: UpstreamRequest): Promise<UpstreamResponse> {
  const base = new URL(req.provider.baseUrl);
  const basePath = base.pathname.replace(/\/$/, '');
  try {
    const res = await poolFor(req.provider).request({
      path: basePath + req.path + (base.search ? (req.path.includes('?') ? '&' + base.search.slice(1) : base.search) : ''),
      method: req.method ?? 'POST',
      headers: { ...req.provider.headers, ...req.headers },
      body: req.body ?? null,
      // undici accepts any object with `aborted` and add/removeEventListener.
      signal: (req.signal ?? null) as AbortSignal | null,
    });
    return { status: res.statusCode, headers: res.headers as Record<string, string | string[] | undefined>, body: res.body };
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    const timeout = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
    throw new GatewayError({
      kind: timeout ? 'timeout' : 'upstream_error',
      status: timeout ? 504 : 502,
      message: timeout ? `upstream ${req.provider.name} timed out` : `upstream ${req.provider.name} unreachable (${code || (err as Error).message})`,
      provider: req.provider.name,
      retryable: true,
    });
  }
}

export function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

export type UpstreamErrorParser = (status: number, body: unknown, headers: Record<string, string>, provider: string) => GatewayError;

/** POSTs; a non-2xx answer is read (JSON when it parses, else text) and thrown via `parseError`. */
export async function postUpstream(req: Omit<UpstreamRequest, 'method'>, parseError: UpstreamErrorParser): Promise<UpstreamResponse> {
  const res = await upstreamRequest({ ...req, method: 'POST' });
  if (res.status >= 200 && res.status < 300) return res;
  throw parseError(res.status, await readErrorBody(res), flattenHeaders(res.headers), req.provider.name);
}

async function readErrorBody(res: UpstreamResponse): Promise<unknown> {
  const text = await res.body.text().catch(() => '');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Reads a JSON body; a non-JSON body becomes an upstream error naming what came back. */
export async function readJson(res: UpstreamResponse, providerName: string): Promise<unknown> {
  const text = await res.body.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new GatewayError({
      kind: 'upstream_error',
      message: `upstream ${providerName} returned a non-JSON body (status ${res.status})`,
      provider: providerName,
    });
  }
}

export async function closeAllPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.close().catch(() => undefined)));
}
