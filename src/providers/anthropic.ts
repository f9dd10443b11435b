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
import { parseSse, type SseEvent } from '../wire/sse.js';
import {
  parseJsonBody,
  passBackHeaders,
  postBuffered,
  postUpstream,
  type BufferedResponse,
  type UpstreamCall,
  type UpstreamErrorParser,
  type UpstreamResponse,
} from './http.js';
import { headerValue } from '../core/headers.js';
import type { CallOptions, CompletionResult, ProviderAdapter, ProviderConfig, StreamResult, UpstreamTarget } from './types.js';

export const ANTHROPIC_VERSION = '2023-06-01';

/** Where a Messages call goes when it is not Anthropic's own API (Vertex: ./vertex.ts, Bedrock: ./bedrock-invoke.ts). */
export interface AnthropicEndpoint {
  /** The provider to call (its regional copy), the path, and the auth headers (which may sign `body`, the text sent). */
  resolve(target: UpstreamTarget, stream: boolean, body: string): Promise<{ provider: ProviderConfig; path: string; auth: Record<string, string> }>;
  /** The Messages body as this endpoint wants it. */
  body(body: Record<string, unknown>): Record<string, unknown>;
  /** The host's error shape, when it is not Anthropic's. */
  parseError?: UpstreamErrorParser;
  /** The stream's Messages events, when the host does not send them as SSE. */
  events?(body: AsyncIterable<Uint8Array>, provider: string): AsyncIterable<SseEvent>;
  /** The response header carrying the host's request id, when not `request-id`. */
  requestIdHeader?: string;
}

export function createAnthropicAdapter(endpoint?: AnthropicEndpoint): ProviderAdapter {
  const requestIdHeader = endpoint?.requestIdHeader ?? 'request-id';
  /** A Messages call for a stream: Anthropic's own path, or the endpoint's. */
  function send(target: UpstreamTarget, body: Record<string, unknown>, options: CallOptions): Promise<UpstreamResponse> {
    if (endpoint === undefined) return postUpstream(upstreamCall(target.provider, 'messages', JSON.stringify(body), options), parseAnthropicError);
    const text = JSON.stringify(endpoint.body(body));
    return endpoint
      .resolve(target, true, text)
      .then((r) => postUpstream(upstreamCall(r.provider, r.path, text, options, r.auth), endpoint.parseError ?? parseAnthropicError));
  }

  /** The same for an answer read whole. */
  function sendWhole(target: UpstreamTarget, body: Record<string, unknown>, options: CallOptions): Promise<BufferedResponse> {
    if (endpoint === undefined) return postBuffered(upstreamCall(target.provider, 'messages', JSON.stringify(body), options), parseAnthropicError);
    const text = JSON.stringify(endpoint.body(body));
    return endpoint
      .resolve(target, false, text)
      .then((r) => postBuffered(upstreamCall(r.provider, r.path, text, options, r.auth), endpoint.parseError ?? parseAnthropicError));
  }

  return {
    format: 'anthropic',

    // async only so that a translation error rejects (as before) rather than throws; the rest is one promise chain.
    async complete(target, request, warnings, options): Promise<CompletionResult> {
      const body = toMessagesRequestBody(request, target.upstreamModel, warnings, { stream: false });
      const name = target.provider.name;
      return sendWhole(target, body, options).then((res) => withIds(parseMessage(parseJsonBody(res, name), { provider: name }), res, requestIdHeader));
    },

    async stream(target, request, warnings, options): Promise<StreamResult> {
      const body = toMessagesRequestBody(request, target.upstreamModel, warnings, { stream: true });
      const res = await send(target, body, options);
      const name = target.provider.name;
      const events = anthropicEventsToCanonical(endpoint?.events ? endpoint.events(res.body, name) : parseSse(res.body), { provider: name });
      const requestId = headerValue(res.headers, requestIdHeader);
      const result: StreamResult = { events, upstreamHeaders: passBackHeaders(res.headers) };
      if (requestId !== undefined) result.upstreamRequestId = requestId;
      return result;
    },

    ...(endpoint === undefined ? { countTokens } : {}),

    close(): Promise<void> {
      // Pools are shared per origin in http.ts and closed there (closeAllPools).
      return Promise.resolve();
    },
  };
}

async function countTokens(target: UpstreamTarget, request: CanonicalRequest, options: CallOptions): Promise<number> {
  // Warnings do not apply: nothing is generated, and unsent fields do not change the count.
  const body = toCountTokensRequestBody(request, target.upstreamModel, []);
  const res = await postBuffered(upstreamCall(target.provider, 'messages/count_tokens', JSON.stringify(body), options), parseAnthropicError);
  const json = parseJsonBody(res, target.provider.name);
  if (!isObject(json) || typeof json.input_tokens !== 'number') throw malformed('count_tokens without input_tokens', target.provider.name);
  return json.input_tokens;
}

/** One literal (no spreads: this runs on every request). */
function withIds(response: CompletionResult['response'], res: BufferedResponse, requestIdHeader: string): CompletionResult {
  const requestId = headerValue(res.headers, requestIdHeader);
  const result: CompletionResult = { response, upstreamHeaders: passBackHeaders(res.headers) };
  if (requestId !== undefined) result.upstreamRequestId = requestId;
  return result;
}

const versionPrefix = new Map<string, string>();

function endpointPath(baseUrl: string, endpoint: string): string {
  let prefix = versionPrefix.get(baseUrl);
  if (prefix === undefined) {
    prefix = /\/v1\/?$/.test(new URL(baseUrl).pathname) ? '' : '/v1';
    versionPrefix.set(baseUrl, prefix);
  }
  return `${prefix}/${endpoint}`;
}

/**
 * The call of a JSON POST. `endpoint` is a Messages API name below `/v1`, or with `auth` (another
 * endpoint's credentials) a whole path.
 */
function upstreamCall(provider: ProviderConfig, endpoint: string, body: string, options: CallOptions, auth?: Record<string, string>): UpstreamCall {
  // Forwarded headers (e.g. anthropic-beta, a client's anthropic-version) may refine the defaults
  // but never replace the gateway's own credentials.
  const forward = options.forwardHeaders;
  let headers: Record<string, string>;
  if (forward === undefined || isEmpty(forward)) {
    headers = { 'content-type': 'application/json', 'anthropic-version': ANTHROPIC_VERSION };
  } else {
    headers = { 'content-type': 'application/json', 'anthropic-version': ANTHROPIC_VERSION, ...forward };
    delete headers['authorization'];
  }
  if (provider.apiKey && auth === undefined) headers['x-api-key'] = provider.apiKey;
  else if ('x-api-key' in headers) delete headers['x-api-key'];
  if (auth !== undefined) Object.assign(headers, auth);
  const path = auth === undefined ? endpointPath(provider.baseUrl, endpoint) : endpoint;
  const req: UpstreamCall = { provider, path, headers, body };
  if (options.signal) req.signal = options.signal;
  return req;
}

function isEmpty(obj: object): boolean {
  for (const _ in obj) return false;
  return true;
}
