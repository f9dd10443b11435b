// The adapter for Anthropic Messages upstreams: translation lives in src/wire/anthropic, this file
// only builds the call. Paths are `/v1/messages` and `/v1/messages/count_tokens` below the base URL
// (a base URL that already ends in `/v1` is accepted too).
import type { CanonicalRequest } from '../core/canonical.js';
import { malformed } from '../wire/anthropic/malformed.js';
import { parseAnthropicError } from '../wire/anthropic/errors.js';
import { toCountTokensRequestBody, toMessagesRequestBody } from '../wire/anthropic/request-body.js';
import { parseMessage } from '../wire/anthropic/response.js';
import { anthropicEventsToCanonical } from '../wire/anthropic/stream-reader.js';
import { isObject } from '../wire/anthropic/validate.js';
import { parseSse } from '../wire/sse.js';
import { passBackHeaders, postUpstream, readJson, type UpstreamResponse } from './http.js';
import { headerValue } from '../core/headers.js';
import type { CallOptions, CompletionResult, ProviderAdapter, ProviderConfig, StreamResult, UpstreamTarget } from './types.js';

export const ANTHROPIC_VERSION = '2023-06-01';

export function createAnthropicAdapter(): ProviderAdapter {
  return {
    format: 'anthropic',

    async complete(target, request, warnings, options): Promise<CompletionResult> {
      const body = toMessagesRequestBody(request, target.upstreamModel, warnings, { stream: false });
      const res = await post(target.provider, 'messages', body, options);
      const response = parseMessage(await readJson(res, target.provider.name), { provider: target.provider.name });
      return withIds({ response }, res);
    },

    async stream(target, request, warnings, options): Promise<StreamResult> {
      const body = toMessagesRequestBody(request, target.upstreamModel, warnings, { stream: true });
      const res = await post(target.provider, 'messages', body, options);
      const events = anthropicEventsToCanonical(parseSse(res.body), { provider: target.provider.name });
      return withIds({ events }, res);
    },

    async countTokens(target: UpstreamTarget, request: CanonicalRequest, options: CallOptions): Promise<number> {
      // Warnings do not apply: nothing is generated, and unsent fields do not change the count.
      const body = toCountTokensRequestBody(request, target.upstreamModel, []);
      const res = await post(target.provider, 'messages/count_tokens', body, options);
      const json = await readJson(res, target.provider.name);
      if (!isObject(json) || typeof json.input_tokens !== 'number') throw malformed('count_tokens without input_tokens', target.provider.name);
      return json.input_tokens;
    },

    close(): Promise<void> {
      // Pools are shared per origin in http.ts and closed there (closeAllPools).
      return Promise.resolve();
    },
  };
}

function withIds<T extends object>(result: T, res: UpstreamResponse): T & { upstreamHeaders: Record<string, string>; upstreamRequestId?: string } {
  const requestId = headerValue(res.headers, 'request-id');
  return { ...result, upstreamHeaders: passBackHeaders(res.headers), ...(requestId !== undefined ? { upstreamRequestId: requestId } : {}) };
}

function endpointPath(baseUrl: string, endpoint: string): string {
  return /\/v1\/?$/.test(new URL(baseUrl).pathname) ? `/${endpoint}` : `/v1/${endpoint}`;
}

/** POSTs JSON; a non-2xx answer is read and thrown as a GatewayError. */
async function post(provider: ProviderConfig, endpoint: string, body: Record<string, unknown>, options: CallOptions): Promise<UpstreamResponse> {
  // Forwarded headers (e.g. anthropic-beta, a client's anthropic-version) may refine the defaults
  // but never replace the gateway's own credentials.
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'anthropic-version': ANTHROPIC_VERSION,
    ...options.forwardHeaders,
  };
  delete headers['authorization'];
  if (provider.apiKey) headers['x-api-key'] = provider.apiKey;
  else delete headers['x-api-key'];
  return postUpstream(
    {
      provider,
      path: endpointPath(provider.baseUrl, endpoint),
      headers,
      body: JSON.stringify(body),
      ...(options.signal ? { signal: options.signal } : {}),
    },
    parseAnthropicError,
  );
}
