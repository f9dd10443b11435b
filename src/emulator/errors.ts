// Errors the emulator answers with, rendered in each provider's exact error shape. Handlers throw
// EmuError; the router renders it for the route's provider.

export type Provider = 'openai' | 'anthropic' | 'gemini' | 'bedrock';

export interface EmuErrorOptions {
  param?: string | null;
  code?: string | null;
  /** OpenAI's `type` when it is not the status default (e.g. `tokens` for a token rate limit). */
  openaiType?: string;
  /** Extra response headers (retry-after…). */
  headers?: Record<string, string>;
  /** Extra fields of an OpenAI-shaped error object (Azure's `innererror`). */
  details?: Record<string, unknown>;
}

export class EmuError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly options: EmuErrorOptions = {},
  ) {
    super(message);
    this.name = 'EmuError';
  }
}

export const badRequest = (message: string, param: string | null = null, code: string | null = null): EmuError => new EmuError(400, message, { param, code });

const OPENAI_TYPE: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  404: 'invalid_request_error',
  413: 'invalid_request_error',
  429: 'requests',
  500: 'server_error',
  503: 'server_error',
};

const ANTHROPIC_TYPE: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  405: 'invalid_request_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  503: 'overloaded_error',
  529: 'overloaded_error',
};

const GEMINI_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  405: 'INVALID_ARGUMENT',
  413: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

/** Bedrock's exception name for a status (sent in `x-amzn-errortype`), unless the error names its own in `code`. */
const BEDROCK_TYPE: Record<number, string> = {
  400: 'ValidationException',
  403: 'AccessDeniedException',
  404: 'ResourceNotFoundException',
  413: 'ValidationException',
  429: 'ThrottlingException',
  500: 'InternalServerException',
  503: 'ServiceUnavailableException',
};

export function bedrockErrorType(err: EmuError): string {
  const code = err.options.code;
  if (code?.endsWith('Exception')) return code;
  return BEDROCK_TYPE[wireStatus('bedrock', err.status)] ?? 'InternalServerException';
}

/** The status actually sent: only Anthropic has 529; the others see it as 503. */
export function wireStatus(provider: Provider, status: number): number {
  return status === 529 && provider !== 'anthropic' ? 503 : status;
}

export function errorBody(provider: Provider, err: EmuError, requestId: string): string {
  const status = wireStatus(provider, err.status);
  switch (provider) {
    case 'openai':
      return JSON.stringify({
        error: {
          message: err.message,
          type: err.options.openaiType ?? OPENAI_TYPE[status] ?? 'server_error',
          param: err.options.param ?? null,
          code: err.options.code ?? null,
          ...err.options.details,
        },
      });
    case 'anthropic':
      return JSON.stringify({
        type: 'error',
        error: { type: ANTHROPIC_TYPE[status] ?? 'api_error', message: err.message },
        request_id: requestId,
      });
    case 'gemini':
      return JSON.stringify({ error: { code: status, message: err.message, status: GEMINI_STATUS[status] ?? 'UNKNOWN' } });
    case 'bedrock':
      return JSON.stringify({ message: err.message });
  }
}
