// Gemini error responses → GatewayError. Gemini's body is Google's standard
// `{"error":{"code":429,"message":"...","status":"RESOURCE_EXHAUSTED","details":[...]}}`
// (some endpoints wrap it in a one-element array).
import { GatewayError, kindForStatus, type ErrorKind } from '../../core/errors.js';
import { passBackHeaders } from '../../core/headers.js';

interface GoogleError {
  message?: string;
  status?: string;
  details: unknown[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readGoogleError(body: unknown): GoogleError | undefined {
  const root: unknown = Array.isArray(body) ? body[0] : body;
  if (!isObject(root) || !isObject(root.error)) return undefined;
  const e = root.error;
  return {
    ...(typeof e.message === 'string' ? { message: e.message } : {}),
    ...(typeof e.status === 'string' ? { status: e.status } : {}),
    details: Array.isArray(e.details) ? e.details : [],
  };
}

/**
 * `body` is the parsed JSON (or the raw text when it was not JSON). Gemini answers a bad API key
 * with 400 INVALID_ARGUMENT + reason API_KEY_INVALID: that is reported as `authentication`. The
 * retry delay comes from `retry-after`, else from a `RetryInfo` detail (`"retryDelay": "31s"`).
 */
export function parseGeminiError(status: number, body: unknown, headers: Record<string, string>, provider: string): GatewayError {
  const err = readGoogleError(body);
  const keyInvalid = err?.details.some((d) => isObject(d) && d.reason === 'API_KEY_INVALID') ?? false;
  const kind: ErrorKind = keyInvalid ? 'authentication' : kindForStatus(status);
  const retryAfterSeconds = retryAfterFromHeaders(headers) ?? retryDelayFromDetails(err?.details ?? []);
  const text = typeof body === 'string' && body.trim() !== '' ? body.trim().slice(0, 500) : undefined;
  return new GatewayError({
    kind,
    message: err?.message ?? text ?? `upstream ${provider} returned HTTP ${status}`,
    code: err?.status ?? null,
    provider,
    ...(status >= 500 ? { status } : {}),
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    headers: passBackHeaders(headers),
  });
}

function retryAfterFromHeaders(headers: Record<string, string>): number | undefined {
  const ms = headers['retry-after-ms'];
  if (ms !== undefined && Number.isFinite(Number(ms))) return Number(ms) / 1000;
  const value = headers['retry-after'];
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}

function retryDelayFromDetails(details: unknown[]): number | undefined {
  for (const d of details) {
    if (!isObject(d) || typeof d.retryDelay !== 'string') continue;
    const m = /^(\d+(?:\.\d+)?)s$/.exec(d.retryDelay);
    if (m?.[1] !== undefined) return Number(m[1]);
  }
  return undefined;
}
