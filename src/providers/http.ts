// The single path from an adapter to a socket: one undici Pool per upstream origin.
import { Pool, type Dispatcher } from 'undici';
import { GatewayError } from '../core/errors.js';
import type { ProviderConfig } from './types.js';
import type { CancelSignal } from '../core/cancel.js';
import { dispatchBuffered, type BufferedResponse } from './buffered.js';

export type { BufferedResponse } from './buffered.js';

export { passBackHeaders } from '../core/headers.js';

const pools = new Map<string, Pool>();

/** What every request to a provider needs from its base URL, parsed once per provider (not per request). */
interface ProviderRoute {
  baseUrl: string;
  connections: number;
  origin: string;
  /** Pools are shared per origin and connection count. */
  poolKey: string;
  /** The base URL's path without a trailing slash. */
  basePath: string;
  /** The base URL's query (`?…`), or ''. */
  search: string;
}

const routes = new WeakMap<ProviderConfig, ProviderRoute>();

function routeFor(provider: ProviderConfig): ProviderRoute {
  let route = routes.get(provider);
  // A provider object changed since (tests reuse them): parse again.
  if (route === undefined || route.baseUrl !== provider.baseUrl || route.connections !== provider.connections) {
    const base = new URL(provider.baseUrl);
    route = {
      baseUrl: provider.baseUrl,
      connections: provider.connections,
      origin: base.origin,
      poolKey: `${base.origin}|${provider.connections}`,
      basePath: base.pathname.replace(/\/$/, ''),
      search: base.search,
    };
    routes.set(provider, route);
  }
  return route;
}

function poolFor(provider: ProviderConfig, route: ProviderRoute): Pool {
  let pool = pools.get(route.poolKey);
  if (!pool) {
    pool = new Pool(route.origin, {
      connections: provider.connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: provider.timeoutMs,
      bodyTimeout: provider.timeoutMs,
    });
    pools.set(route.poolKey, pool);
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

/** A call whose method the function that sends it decides. */
export type UpstreamCall = Omit<UpstreamRequest, 'method'>;

export function upstreamRequest(req: UpstreamRequest): Promise<UpstreamResponse> {
  return send(req, req.method ?? 'POST');
}

/** One request on the provider's pool; a transport failure becomes a GatewayError naming the provider. */
function send(req: Omit<UpstreamRequest, 'method'>, method: 'GET' | 'POST' | 'DELETE'): Promise<UpstreamResponse> {
  const target = dispatchTarget(req, method);
  if (target instanceof Error) return Promise.reject(target);
  const { pool, options } = target;
  // undici accepts any object with `aborted` and add/removeEventListener.
  return pool.request({ ...options, signal: req.signal ?? null }).then(
    (res) => ({ status: res.statusCode, headers: res.headers, body: res.body }),
    (err: unknown) => {
      throw unreachable(req.provider, err);
    },
  );
}

/** The same, read whole into one Buffer (no stream): the calls that need the complete body. */
function sendBuffered(req: Omit<UpstreamRequest, 'method'>, method: 'GET' | 'POST' | 'DELETE'): Promise<BufferedResponse> {
  const target = dispatchTarget(req, method);
  if (target instanceof Error) return Promise.reject(target);
  return dispatchBuffered(target.pool, target.options, req.signal ?? null).catch((err: unknown) => {
    throw unreachable(req.provider, err);
  });
}

/** The pool and the request options of one call, or the error that the provider's base URL gives. */
function dispatchTarget(req: Omit<UpstreamRequest, 'method'>, method: 'GET' | 'POST' | 'DELETE'): { pool: Pool; options: Dispatcher.DispatchOptions } | Error {
  const provider = req.provider;
  let route: ProviderRoute;
  try {
    route = routeFor(provider);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err)); // new URL's TypeError
  }
  let pool: Pool;
  try {
    pool = poolFor(provider, route);
  } catch (err) {
    return unreachable(provider, err);
  }
  const search = route.search;
  const path = route.basePath + req.path + (search ? (req.path.includes('?') ? '&' + search.slice(1) : search) : '');
  // The provider's headers first, the request's own over them.
  const headers = hasKeys(provider.headers) ? { ...provider.headers, ...req.headers } : req.headers;
  return { pool, options: { path, method, headers, body: req.body ?? null } };
}

function hasKeys(obj: object | undefined): boolean {
  for (const _ in obj) return true;
  return false;
}

function unreachable(provider: ProviderConfig, err: unknown): GatewayError {
  const code = (err as { code?: string } | null)?.code ?? '';
  const timeout = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
  return new GatewayError({
    kind: timeout ? 'timeout' : 'upstream_error',
    status: timeout ? 504 : 502,
    message: timeout ? `upstream ${provider.name} timed out` : `upstream ${provider.name} unreachable (${code || (err as Error).message})`,
    provider: provider.name,
    retryable: true,
  });
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
export function postUpstream(req: Omit<UpstreamRequest, 'method'>, parseError: UpstreamErrorParser): Promise<UpstreamResponse> {
  return send(req, 'POST').then((res) => (res.status >= 200 && res.status < 300 ? res : failed(res, parseError, req.provider.name)));
}

/** `postUpstream`, with the answer read whole into one Buffer: the non-streaming calls. */
export function postBuffered(req: Omit<UpstreamRequest, 'method'>, parseError: UpstreamErrorParser): Promise<BufferedResponse> {
  return sendBuffered(req, 'POST').then((res) => {
    if (res.status >= 200 && res.status < 300) return res;
    throw parseError(res.status, errorBody(res.body.toString('utf8')), flattenHeaders(res.headers), req.provider.name);
  });
}

async function failed(res: UpstreamResponse, parseError: UpstreamErrorParser, providerName: string): Promise<never> {
  throw parseError(res.status, await readErrorBody(res), flattenHeaders(res.headers), providerName);
}

async function readErrorBody(res: UpstreamResponse): Promise<unknown> {
  return errorBody(await res.body.text().catch(() => ''));
}

/** An error body: its JSON when it parses, else its text. */
function errorBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Reads a JSON body; a non-JSON body becomes an upstream error naming what came back. */
export function readJson(res: UpstreamResponse, providerName: string): Promise<unknown> {
  return res.body.text().then((text) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw nonJson(res.status, providerName);
    }
  });
}

/** `readJson` for a body already read whole. */
export function parseJsonBody(res: BufferedResponse, providerName: string): unknown {
  try {
    return JSON.parse(res.body.toString('utf8')) as unknown;
  } catch {
    throw nonJson(res.status, providerName);
  }
}

function nonJson(status: number, providerName: string): GatewayError {
  return new GatewayError({
    kind: 'upstream_error',
    message: `upstream ${providerName} returned a non-JSON body (status ${status})`,
    provider: providerName,
  });
}

export async function closeAllPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.close().catch(() => undefined)));
}
