// HTTP for the providers' batch APIs, on the shared undici pools of src/providers/http.ts: auth
// headers per provider kind, JSON in and out, a non-2xx answer thrown as the provider's GatewayError.
import { ANTHROPIC_VERSION } from '../../providers/anthropic.js';
import { flattenHeaders, readJson, upstreamRequest, type UpstreamResponse } from '../../providers/http.js';
import type { ProviderConfig } from '../../providers/types.js';
import { parseAnthropicError } from '../../wire/anthropic/errors.js';
import { parseOpenAIError } from '../../wire/openai/errors.js';

export interface BatchCall {
  provider: ProviderConfig;
  method: 'GET' | 'POST' | 'DELETE';
  /** Below the version prefix: `files`, `batches/{id}`, `messages/batches`. */
  endpoint: string;
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

function path(baseUrl: string, endpoint: string): string {
  return /\/v1\/?$/.test(new URL(baseUrl).pathname) ? `/${endpoint}` : `/v1/${endpoint}`;
}

function authHeaders(p: ProviderConfig): Record<string, string> {
  if (p.kind === 'anthropic') return { 'anthropic-version': ANTHROPIC_VERSION, ...(p.apiKey ? { 'x-api-key': p.apiKey } : {}) };
  return p.apiKey ? { authorization: `Bearer ${p.apiKey}` } : {};
}

export async function send(c: BatchCall): Promise<UpstreamResponse> {
  const headers: Record<string, string> = { ...c.headers, ...authHeaders(c.provider) };
  if (c.contentType) headers['content-type'] = c.contentType;
  const res = await upstreamRequest({
    provider: c.provider,
    path: path(c.provider.baseUrl, c.endpoint),
    method: c.method,
    headers,
    ...(c.body !== undefined ? { body: c.body } : {}),
  });
  if (res.status >= 200 && res.status < 300) return res;
  const text = await res.body.text().catch(() => '');
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the text is the message
  }
  const parse = c.provider.kind === 'anthropic' ? parseAnthropicError : parseOpenAIError;
  throw parse(res.status, body, flattenHeaders(res.headers), c.provider.name);
}

export async function sendJson(c: BatchCall): Promise<Record<string, unknown>> {
  const res = await send(c);
  const json = await readJson(res, c.provider.name);
  return typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
}

export async function sendText(c: BatchCall): Promise<string> {
  return (await send(c)).body.text();
}

/** JSONL text → parsed lines (blank lines skipped). */
export function jsonLines(text: string): unknown[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown);
}
