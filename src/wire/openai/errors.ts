// GatewayError ⇄ OpenAI error bodies `{"error":{"message","type","param","code"}}`.
import { GatewayError, kindForStatus, type ErrorKind } from '../../core/errors.js';
import { passBackHeaders } from '../../core/headers.js';
import { isRecord } from './validate.js';

const TYPE_BY_KIND: Record<ErrorKind, string> = {
  invalid_request: 'invalid_request_error',
  authentication: 'authentication_error',
  permission: 'permission_error',
  budget_exceeded: 'budget_exceeded',
  not_found: 'invalid_request_error',
  request_too_large: 'invalid_request_error',
  rate_limit: 'rate_limit_error',
  upstream_error: 'server_error',
  overloaded: 'server_error',
  timeout: 'timeout',
  internal: 'server_error',
};

/** Codes OpenAI callers key on, used when the error carries none of its own. */
const DEFAULT_CODE: Partial<Record<ErrorKind, string>> = {
  rate_limit: 'rate_limit_exceeded',
  request_too_large: 'request_too_large',
  budget_exceeded: 'budget_exceeded',
};

export interface RenderedError {
  status: number;
  body: Record<string, unknown>;
}

export function renderOpenAIError(err: GatewayError): RenderedError {
  let code = err.code ?? DEFAULT_CODE[err.kind] ?? null;
  if (code === null && err.kind === 'not_found' && err.param === 'model') code = 'model_not_found';
  return {
    // 529 is Anthropic's "overloaded"; OpenAI callers (and their SDK's retry rule) expect 503.
    status: err.status === 529 ? 503 : err.status,
    body: { error: { message: err.message, type: TYPE_BY_KIND[err.kind], param: err.param, code } },
  };
}

/**
 * An upstream error response → GatewayError. Reads OpenAI's shape and the looser ones
 * compatible servers send (`{"error":"…"}`, `{"message":"…"}`, `{"detail":"…"}`, plain text).
 */
export function parseOpenAIError(status: number, body: unknown, headers: Record<string, string>, provider: string): GatewayError {
  const inner = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  const code = inner ? codeOf(inner.code) : null;
  const kind = kindForStatus(status);
  const quota = code === 'insufficient_quota' || (inner !== undefined && inner.type === 'insufficient_quota');
  const retryable = retryableFor(status, quota, headers['x-should-retry']);
  const retryAfter = retryAfterSeconds(headers);
  const requestId = headers['x-request-id'];
  return new GatewayError({
    kind,
    status,
    message: messageOf(body, inner) ?? `upstream ${provider} returned HTTP ${status}`,
    param: inner && typeof inner.param === 'string' ? inner.param : null,
    code,
    ...(retryable !== undefined ? { retryable } : {}),
    provider,
    ...(requestId !== undefined ? { upstreamRequestId: requestId } : {}),
    ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}),
    headers: passBackHeaders(headers),
  });
}

/**
 * The HTTP status a mid-stream `{"error":{…}}` event stands for (the stream itself was a 200),
 * from its type / code; unknown ones count as a 500 (an upstream_error).
 */
export function statusForStreamError(body: unknown): number {
  const inner = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  // only text names a kind (a number, boolean or object matches none of the words below)
  const words = inner ? `${typeof inner.type === 'string' ? inner.type : ''} ${codeOf(inner.code) ?? ''}` : '';
  if (/invalid_request|context_length/.test(words)) return 400;
  if (/authentication|invalid_api_key/.test(words)) return 401;
  if (/permission/.test(words)) return 403;
  if (/not_found/.test(words)) return 404;
  if (/rate_limit|insufficient_quota|tokens|requests/.test(words)) return 429;
  if (/overloaded/.test(words)) return 503;
  if (/timeout/.test(words)) return 504;
  return 500;
}

function messageOf(body: unknown, inner: Record<string, unknown> | undefined): string | undefined {
  if (inner && typeof inner.message === 'string' && inner.message !== '') return inner.message;
  if (isRecord(body)) {
    for (const key of ['error', 'message', 'detail'] as const) {
      const v = body[key];
      if (typeof v === 'string' && v !== '') return v;
    }
    return undefined;
  }
  if (typeof body === 'string' && body.trim() !== '') return body.trim().slice(0, 500);
  return undefined;
}

function codeOf(value: unknown): string | null {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return null;
}

/** `x-should-retry` decides first (as in the SDK); quota exhaustion never clears by retrying. */
/** `undefined` keeps the kind's default. */
function retryableFor(status: number, quota: boolean, shouldRetry: string | undefined): boolean | undefined {
  if (shouldRetry === 'true') return true;
  if (shouldRetry === 'false') return false;
  if (quota) return false;
  if (status === 409) return true; // a lock conflict; the SDK retries it too
  return undefined;
}

function retryAfterSeconds(headers: Record<string, string>): number | undefined {
  const ms = headers['retry-after-ms'];
  if (ms !== undefined) {
    const n = Number(ms);
    if (Number.isFinite(n) && n >= 0) return n / 1000;
  }
  const ra = headers['retry-after'];
  if (ra === undefined) return undefined;
  const seconds = Number(ra);
  if (Number.isFinite(seconds) && ra.trim() !== '') return Math.max(0, seconds);
  const date = Date.parse(ra);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}
