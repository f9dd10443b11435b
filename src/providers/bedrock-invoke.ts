// Claude on Bedrock through InvokeModel (`POST /model/{id}/invoke`) and
// InvokeModelWithResponseStream (`/invoke-with-response-stream`): Anthropic's own Messages body,
// with `anthropic_version: bedrock-2023-05-31` in place of `model` and `stream` (the path decides
// both), signed with SigV4. This is the Anthropic adapter with Bedrock's endpoint, errors and
// stream framing; what Converse cannot carry (a breakpoint's 1-hour TTL, Anthropic's own fields)
// goes through unchanged.
import { decodeEventStream, invokeChunksToSse, parseBedrockError } from '../wire/bedrock/index.js';
import { createAnthropicAdapter, type AnthropicEndpoint } from './anthropic.js';
import { awsCredentialsFor } from './aws-credentials.js';
import { signRequest } from './aws-sigv4.js';
import { regionalProvider, regionOf } from './cloud-endpoint.js';
import type { ProviderAdapter } from './types.js';

/** The `anthropic_version` Bedrock requires in the body. */
export const BEDROCK_ANTHROPIC_VERSION = 'bedrock-2023-05-31';

const invokeEndpoint: AnthropicEndpoint = {
  async resolve(target, stream, body) {
    const provider = regionalProvider(target);
    const url = new URL(provider.baseUrl);
    const path = `/model/${encodeURIComponent(target.upstreamModel)}/${stream ? 'invoke-with-response-stream' : 'invoke'}`;
    const headers = { 'content-type': 'application/json', accept: stream ? 'application/vnd.amazon.eventstream' : 'application/json' };
    const signed = await signRequest({
      credentials: awsCredentialsFor(target.provider),
      region: regionOf(target),
      url,
      path: `${url.pathname.replace(/\/$/, '')}${path}`,
      headers,
      body,
    });
    return { provider, path, auth: signed };
  },
  body({ model: _model, stream: _stream, ...rest }) {
    return { anthropic_version: BEDROCK_ANTHROPIC_VERSION, ...rest };
  },
  parseError: parseBedrockError,
  events: (body, provider) => invokeChunksToSse(decodeEventStream(body), provider),
  requestIdHeader: 'x-amzn-requestid',
};

export function createBedrockInvokeAdapter(): ProviderAdapter {
  return createAnthropicAdapter(invokeEndpoint);
}
