// GatewayError ⇄ Anthropic error bodies: `{"type":"error","error":{"type","message"},"request_id"}`.
import { GatewayError, kindForStatus, type ErrorKind } from '../../core/errors.js';
import { passBackHeaders } from '../../core/headers.js';
import { isObject } from './validate.js';

const TYPE_BY_KIND: Record<ErrorKind, string> = {
  invalid_request: 'invalid_request_error',
  authentication: 'authentication_error',
  permission: 'permission_error',
  budget_exceeded: 'budget_exceeded',
  not_found: 'not_found_error',
  request_too_large: 'request_too_large',
  rate_limit: 'rate_limit_error',
  upstream_error: 'api_error',
  overloaded: 'overloaded_error',
  timeout: 'timeout_error',
  internal: 'api_error',
};

/** Anthropic error types → kind and the status Anthropic sends with them. */
const BY_TYPE: Readonly<Record<string, { kind: ErrorKind; status: number }>> = {
  invalid_request_error: { kind: 'invalid_request', status: 400 },
  authentication_error: { kind: 'authentication', status: 401 },
  billing_error: { kind: 'permission', status: 402 },
  permission_error: { kind: 'permission', status: 403 },
  not_found_error: { kind: 'not_found', status: 404 },
  conflict_error: { kind: 'invalid_request', status: 409 },
  request_too_large: { kind: 'request_too_large', status: 413 },
  rate_limit_error: { kind: 'rate_limit', status: 429 },
  api_error: { kind: 'upstream_error', status: 500 },
  timeout_error: { kind: 'timeout', status: 504 },
  overloaded_error: { kind: 'overloaded', status: 529 },
};

/** Anthropic has no `param` field: the path goes in front of the message (`messages[1].content: …`). */
export function renderAnthropicError(err: GatewayError, requestId: string): { status: number; body: Record<string, unknown> } {
  const type =
    err.kind === 'budget_exceeded'
      ? TYPE_BY_KIND[err.kind]
      : err.status === 402
        ? 'billing_error'
        : err.status === 409
          ? 'conflict_error'
          : TYPE_BY_KIND[err.kind];
  const message = err.param && !err.message.startsWith(`${err.param}:`) ? `${err.param}: ${err.message}` : err.message;
  return { status: err.status, body: { type: 'error', error: { type, message }, request_id: requestId } };
}

/** Turns an upstream non-2xx response into a GatewayError (status, retry-after and request id kept). */
export function parseAnthropicError(status: number, body: unknown, headers: Record<string, string>, provider: string): GatewayError {
  const parsed = typeof body === 'string' ? tryJson(body) : body;
  const error = isObject(parsed) && isObject(parsed.error) ? parsed.error : undefined;
  const type = typeof error?.type === 'string' ? error.type : undefined;
  const rawMessage = typeof error?.message === 'string' ? error.message : `upstream ${provider} returned status ${status}`;
  const known = type !== undefined && Object.hasOwn(BY_TYPE, type) ? BY_TYPE[type] : undefined;
  // The type is more precise than the status, except the generic api_error (503 → overloaded, …).
  const kind = known !== undefined && known.kind !== 'upstream_error' ? known.kind : kindForStatus(status);
  const located = kind === 'invalid_request' ? splitParam(rawMessage) : { param: null, message: rawMessage };
  const requestId = headers['request-id'] ?? (isObject(parsed) && typeof parsed.request_id === 'string' ? parsed.request_id : undefined);
  const retryAfter = retryAfterSeconds(headers);
  return new GatewayError({
    kind,
    status,
    message: located.message,
    param: located.param,
    code: type ?? null,
    provider,
    headers: passBackHeaders(headers),
    ...(requestId !== undefined ? { upstreamRequestId: requestId } : {}),
    ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}),
  });
}

/** A mid-stream `event: error` payload → GatewayError, with the status Anthropic uses for its type. */
export function parseAnthropicStreamError(data: string, provider: string | undefined): GatewayError {
  const parsed = tryJson(data);
  const error = isObject(parsed) && isObject(parsed.error) ? parsed.error : undefined;
  const type = typeof error?.type === 'string' ? error.type : 'api_error';
  const known = Object.hasOwn(BY_TYPE, type) ? BY_TYPE[type] : undefined;
  return new GatewayError({
    kind: known?.kind ?? 'upstream_error',
    status: known?.status ?? 502,
    message: typeof error?.message === 'string' ? error.message : `upstream stream error (${type})`,
    code: type,
    ...(provider !== undefined ? { provider } : {}),
  });
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * `messages.1.content.0.type: Field required` → param `messages[1].content[0].type` and the message
 * restated with that path, as costwise's own validation errors read.
 */
function splitParam(message: string): { param: string | null; message: string } {
  const m = /^([a-z_]+(?:\.[a-z_0-9]+)*): (.*)$/s.exec(message);
  if (!m?.[1] || m[2] === undefined) return { param: null, message };
  const param = m[1].replace(/\.(\d+)/g, '[$1]');
  return { param, message: `${param}: ${m[2]}` };
}

function retryAfterSeconds(headers: Record<string, string>): number | undefined {
  const ms = headers['retry-after-ms'];
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim())) return Number(ms) / 1000;
  const v = headers['retry-after'];
  if (v === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - Date.now()) / 1000);
}
