// Bedrock error responses → GatewayError. Bedrock names the error in the `x-amzn-errortype` header
// (`ValidationException:http://…`) or a `__type` field, with `{"message": …}` as the body; mid-
// stream errors come as event-stream exception messages with the same names.
import { GatewayError, kindForStatus, type ErrorKind } from '../../core/errors.js';
import { passBackHeaders } from '../../core/headers.js';

/** Exception name → the status it stands for (a stream exception has no status of its own). */
const STATUS_BY_TYPE: Record<string, number> = {
  ValidationException: 400,
  AccessDeniedException: 403,
  UnrecognizedClientException: 403,
  InvalidSignatureException: 403,
  ExpiredTokenException: 403,
  ResourceNotFoundException: 404,
  ModelTimeoutException: 408,
  ModelErrorException: 424,
  ThrottlingException: 429,
  ModelNotReadyException: 429,
  ServiceQuotaExceededException: 429,
  ModelStreamErrorException: 424,
  InternalServerException: 500,
  ServiceUnavailableException: 503,
};

/** Credential problems are costwise's own, whatever status carries them. */
const AUTH_TYPES = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'IncompleteSignatureException',
  'MissingAuthenticationTokenException',
]);

export function parseBedrockError(status: number, body: unknown, headers: Record<string, string>, provider: string): GatewayError {
  const type = errorType(headers['x-amzn-errortype'], body);
  const requestId = headers['x-amzn-requestid'];
  return build({ status, type, message: messageOf(body), provider, headers, ...(requestId !== undefined ? { requestId } : {}) });
}

/** A ConverseStream exception message (`:exception-type`, lowerCamel there: `throttlingException`). */
export function bedrockStreamError(streamType: string, payload: string, provider: string): GatewayError {
  const type = streamType.charAt(0).toUpperCase() + streamType.slice(1);
  let body: unknown = payload;
  try {
    body = JSON.parse(payload) as unknown;
  } catch {
    // a plain-text payload is its own message
  }
  return build({ status: STATUS_BY_TYPE[type] ?? 500, type, message: messageOf(body), provider, headers: {} });
}

function build(e: {
  status: number;
  type: string;
  message: string | undefined;
  provider: string;
  headers: Record<string, string>;
  requestId?: string;
}): GatewayError {
  const kind: ErrorKind = AUTH_TYPES.has(e.type) ? 'authentication' : e.status === 424 ? 'upstream_error' : kindForStatus(e.status);
  const label = e.type || `HTTP ${e.status}`;
  return new GatewayError({
    kind,
    status: e.status === 424 ? 502 : e.status,
    message: `upstream ${e.provider} (Bedrock ${label}): ${e.message ?? 'no message'}`,
    code: e.type || null,
    provider: e.provider,
    ...(e.requestId !== undefined ? { upstreamRequestId: e.requestId } : {}),
    headers: passBackHeaders(e.headers),
  });
}

function errorType(header: string | undefined, body: unknown): string {
  const raw = header ?? (typeof body === 'object' && body !== null ? (body as { __type?: unknown }).__type : undefined);
  if (typeof raw !== 'string') return '';
  // `ValidationException:http://internal…` or `com.amazon.coral.service#UnrecognizedClientException`
  const name = raw.split(':')[0]!;
  return name.slice(name.lastIndexOf('#') + 1);
}

function messageOf(body: unknown): string | undefined {
  if (typeof body === 'string') return body.trim() === '' ? undefined : body.trim().slice(0, 500);
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as { message?: unknown; Message?: unknown };
  const m = b.message ?? b.Message;
  return typeof m === 'string' ? m : undefined;
}
