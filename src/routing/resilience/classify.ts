// What an upstream failure means for dispatch: retry the same deployment, fall back to the next
// candidate, or return the error to the caller at once. One place, so retry, fallback and the
// breaker agree.
import { GatewayError, toGatewayError } from '../../core/errors.js';

/** Same deployment again (after a backoff). Only for errors the upstream marked `retryable`. */
export function isRetryable(err: GatewayError): boolean {
  return err.retryable;
}

const CONTEXT_CODES = new Set(['context_length_exceeded', 'string_above_max_length', 'model_context_window_exceeded']);
const CONTEXT_MESSAGE =
  /context[ _-]?(length|window)|maximum context|too many (input )?tokens|prompt is too long|input is too long|exceeds? the (model'?s? )?(max(imum)? )?(context|token)|exceeds the maximum number of tokens/i;

/**
 * An upstream "your prompt does not fit" error. Another deployment with a larger window may serve
 * it, so it falls back instead of going back to the caller. OpenAI: 400 `context_length_exceeded`;
 * Anthropic: 400 "prompt is too long"; Gemini: 400 "input token count ... exceeds"; some
 * OpenAI-compatible servers answer 413.
 */
export function isContextLengthError(err: GatewayError): boolean {
  if (err.kind !== 'invalid_request' && err.kind !== 'request_too_large') return false;
  if (err.code !== null && CONTEXT_CODES.has(err.code)) return true;
  return CONTEXT_MESSAGE.test(err.message);
}

/**
 * An upstream refused costwise's own credentials: this deployment is misconfigured, another
 * provider may still serve the request. Unrelated to the caller's key.
 */
export function isCredentialError(err: GatewayError): boolean {
  return err.provider !== undefined && (err.kind === 'authentication' || err.kind === 'permission');
}

/** Try the next candidate: 429, 5xx/529, timeouts, context length, our credentials refused. */
export function shouldFallBack(err: GatewayError): boolean {
  if (err.kind === 'rate_limit' || err.kind === 'timeout' || err.kind === 'overloaded' || err.kind === 'upstream_error') return true;
  if (err.status === 429 || err.status >= 500) return err.kind !== 'internal' || err.provider !== undefined;
  return isContextLengthError(err) || isCredentialError(err);
}

/**
 * Does this failure say something about the deployment's health (and so count towards opening
 * its breaker)? A caller's bad request or a too-long prompt does not, and neither does a rate
 * limit: a 429 is back-pressure from a healthy provider (throttle.ts handles it).
 */
export function countsAgainstHealth(err: GatewayError): boolean {
  if (isContextLengthError(err) || err.kind === 'rate_limit' || err.status === 429) return false;
  return shouldFallBack(err);
}

/** Anything thrown, as a GatewayError (non-gateway errors become a masked, non-retryable internal). */
export function asGatewayError(err: unknown): GatewayError {
  return toGatewayError(err);
}
