// The closed error taxonomy. One place maps a kind to a status; one renderer per wire format
// (src/wire/*/errors.ts) turns a GatewayError into the caller's error body.

export type ErrorKind =
  | 'invalid_request'
  | 'authentication'
  | 'permission'
  | 'budget_exceeded'
  | 'not_found'
  | 'request_too_large'
  | 'rate_limit'
  | 'upstream_error'
  | 'overloaded'
  | 'timeout'
  | 'internal';

const STATUS_BY_KIND: Record<ErrorKind, number> = {
  invalid_request: 400,
  authentication: 401,
  permission: 403,
  budget_exceeded: 402,
  not_found: 404,
  request_too_large: 413,
  rate_limit: 429,
  upstream_error: 502,
  overloaded: 529,
  timeout: 504,
  internal: 500,
};

export interface GatewayErrorInit {
  kind: ErrorKind;
  message: string;
  /** The request field that is wrong, as a path (`messages[2].content`). */
  param?: string | null;
  /** Overrides the kind's default status (e.g. an upstream 503 passed back as 503). */
  status?: number;
  /** Provider-style code, e.g. `model_not_found`, `rate_limit_exceeded`. */
  code?: string | null;
  retryable?: boolean;
  provider?: string;
  upstreamRequestId?: string;
  /** Seconds, from the upstream's retry-after. */
  retryAfterSeconds?: number;
  /** Upstream headers worth passing back (rate-limit headers). */
  headers?: Record<string, string>;
}

export class GatewayError extends Error {
  readonly kind: ErrorKind;
  readonly status: number;
  readonly param: string | null;
  readonly code: string | null;
  readonly retryable: boolean;
  readonly provider: string | undefined;
  readonly upstreamRequestId: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly headers: Record<string, string>;

  constructor(init: GatewayErrorInit) {
    super(init.message);
    this.name = 'GatewayError';
    this.kind = init.kind;
    this.status = init.status ?? STATUS_BY_KIND[init.kind];
    this.param = init.param ?? null;
    this.code = init.code ?? null;
    this.retryable = init.retryable ?? (init.kind === 'rate_limit' || init.kind === 'overloaded' || init.kind === 'timeout' || init.kind === 'upstream_error');
    this.provider = init.provider;
    this.upstreamRequestId = init.upstreamRequestId;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.headers = init.headers ?? {};
  }
}

export function invalidRequest(message: string, param?: string | null, code?: string): GatewayError {
  return new GatewayError({ kind: 'invalid_request', message, param: param ?? null, code: code ?? null });
}

/** Maps an HTTP status received from an upstream to a kind. */
export function kindForStatus(status: number): ErrorKind {
  if (status === 400 || status === 422) return 'invalid_request';
  if (status === 401) return 'authentication';
  if (status === 403) return 'permission';
  if (status === 404) return 'not_found';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit';
  if (status === 408 || status === 504) return 'timeout';
  if (status === 503 || status === 529) return 'overloaded';
  if (status >= 500) return 'upstream_error';
  return 'invalid_request';
}

/** Turns anything thrown into a GatewayError, masking internals. */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError({ kind: 'internal', message: 'internal gateway error', retryable: false });
}
