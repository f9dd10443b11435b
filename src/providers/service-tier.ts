// OpenAI's flex service tier answers 429 "Resource Unavailable" when it has no capacity. That is
// not back-pressure on the account (retrying the same tier soon rarely helps): it is marked
// `flex_unavailable`, not retryable, so dispatch moves straight on to the same deployment at the
// default tier (src/pipeline/dispatch.ts).
import { GatewayError } from '../core/errors.js';
import type { UpstreamErrorParser } from './http.js';

export const FLEX_UNAVAILABLE = 'flex_unavailable';

export function isFlexCapacityError(err: GatewayError): boolean {
  return err.status === 429 && (err.code === 'resource_unavailable' || /resource unavailable/i.test(err.message));
}

export function flexAware(parse: UpstreamErrorParser): UpstreamErrorParser {
  return (status, body, headers, provider) => {
    const err = parse(status, body, headers, provider);
    if (!isFlexCapacityError(err)) return err;
    return new GatewayError({
      kind: 'rate_limit',
      status: 429,
      message: `upstream ${provider} has no flex capacity: ${err.message}`,
      code: FLEX_UNAVAILABLE,
      retryable: false,
      provider,
      ...(err.upstreamRequestId !== undefined ? { upstreamRequestId: err.upstreamRequestId } : {}),
    });
  };
}
