import { GatewayError } from '../../core/errors.js';

/** An upstream body that does not have the Anthropic shape we read. */
export function malformed(what: string, provider: string | undefined): GatewayError {
  return new GatewayError({
    kind: 'upstream_error',
    message: `upstream${provider ? ` ${provider}` : ''} returned a malformed Anthropic response: ${what}`,
    ...(provider !== undefined ? { provider } : {}),
  });
}
