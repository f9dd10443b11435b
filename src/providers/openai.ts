// The adapter for OpenAI and every OpenAI-compatible server: translation lives in src/wire/openai,
// this file only builds the call. Differences between the two provider kinds are configuration:
// - path: a base URL ending in `/v1` gets `/chat/completions` appended, any other `/v1/chat/completions`
//   (the same rule for `/embeddings`);
// - max tokens: `max_completion_tokens` for OpenAI, `max_tokens` for compatible servers (the field
//   all of them understand).
// - api: a deployment with `api: responses` is called through `/responses` (the Responses API)
//   instead of `/chat/completions`, for models that exist only there.
// - Azure OpenAI: the same wire format at `/openai/deployments/{deployment}/…?api-version=…`, with
//   an `api-key` header or an Entra ID bearer token, and content-filter refusals named as such
//   (./azure.ts).
// No countTokens: the gateway estimates input tokens with the tokenizer.
import type { CanonicalRequest, EmbeddingRequest, EmbeddingResponse } from '../core/canonical.js';
import { parseSse } from '../wire/sse.js';
import { parseOpenAIError } from '../wire/openai/errors.js';
import { parseEmbeddingsResponse, toEmbeddingsBody } from '../wire/openai/embeddings.js';
import { toChatRequestJson } from '../wire/openai/request.js';
import { parseChatCompletion } from '../wire/openai/response.js';
import { openAIChunksToEvents } from '../wire/openai/stream.js';
import { toResponsesRequestBody } from '../wire/openai/responses-request-body.js';
import { parseResponseObject, responsesEventsToCanonical } from '../wire/openai/responses-upstream.js';
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
import { azureAuthHeaders, azurePath, parseAzureError } from './azure.js';
import { flexAware } from './service-tier.js';
import type { CallOptions, CompletionResult, ProviderAdapter, StreamResult, UpstreamTarget, Warnings } from './types.js';

export function createOpenAIAdapter(): ProviderAdapter {
  return {
    format: 'openai',

    // async only so that a translation error rejects (as before) rather than throws; the rest is one promise chain.
    async complete(target, request, warnings, options): Promise<CompletionResult> {
      if (target.api === 'responses') return completeResponses(target, request, warnings, options);
      const body = chatBody(target, request, warnings, false);
      const name = target.provider.name;
      return postWhole(target, 'chat/completions', body, options).then((res) => withIds(parseChatCompletion(parseJsonBody(res, name), name), res));
    },

    async stream(target, request, warnings, options): Promise<StreamResult> {
      const responses = target.api === 'responses';
      const body = responses
        ? JSON.stringify(toResponsesRequestBody(request, target.upstreamModel, warnings, true))
        : chatBody(target, request, warnings, true);
      const res = await post(target, responses ? 'responses' : 'chat/completions', body, options);
      const parse = { provider: target.provider.name };
      const events = responses ? responsesEventsToCanonical(parseSse(res.body), parse) : openAIChunksToEvents(parseSse(res.body), parse);
      const requestId = headerValue(res.headers, 'x-request-id');
      const result: StreamResult = { events, upstreamHeaders: passBackHeaders(res.headers) };
      if (requestId !== undefined) result.upstreamRequestId = requestId;
      return result;
    },

    async embed(target: UpstreamTarget, request: EmbeddingRequest, options: CallOptions): Promise<EmbeddingResponse> {
      const res = await postWhole(target, 'embeddings', JSON.stringify(toEmbeddingsBody(request, target.upstreamModel)), options);
      return parseEmbeddingsResponse(parseJsonBody(res, target.provider.name), target.provider.name);
    },

    close(): Promise<void> {
      // Pools are shared per origin in http.ts and closed there (closeAllPools).
      return Promise.resolve();
    },
  };
}

async function completeResponses(target: UpstreamTarget, request: CanonicalRequest, warnings: Warnings, options: CallOptions): Promise<CompletionResult> {
  const name = target.provider.name;
  const res = await postWhole(target, 'responses', JSON.stringify(toResponsesRequestBody(request, target.upstreamModel, warnings, false)), options);
  return withIds(parseResponseObject(parseJsonBody(res, name), name), res);
}

/** The upstream body as JSON text (written directly for common requests; see toChatRequestJson). */
function chatBody(target: UpstreamTarget, request: CanonicalRequest, warnings: Warnings, stream: boolean): string {
  return toChatRequestJson(request, target.upstreamModel, warnings, {
    stream,
    maxTokensField: target.provider.kind === 'openai-compatible' ? 'max_tokens' : 'max_completion_tokens',
    ...(target.serviceTier !== undefined ? { serviceTier: target.serviceTier } : {}),
  });
}

/** One literal (no spreads: this runs on every request). */
function withIds(response: CompletionResult['response'], res: BufferedResponse): CompletionResult {
  const requestId = headerValue(res.headers, 'x-request-id');
  const result: CompletionResult = { response, upstreamHeaders: passBackHeaders(res.headers) };
  if (requestId !== undefined) result.upstreamRequestId = requestId;
  return result;
}

const versionPrefix = new Map<string, string>();

/** `/chat/completions` → the path below the provider's base URL (see the rule at the top). */
export function endpointPath(baseUrl: string, endpoint: string): string {
  let prefix = versionPrefix.get(baseUrl);
  if (prefix === undefined) {
    prefix = /\/v1\/?$/.test(new URL(baseUrl).pathname) ? '' : '/v1';
    versionPrefix.set(baseUrl, prefix);
  }
  return `${prefix}/${endpoint}`;
}

/** POSTs a JSON body for a stream; a non-2xx answer is read and thrown as a GatewayError. */
function post(target: UpstreamTarget, endpoint: string, body: string, options: CallOptions): Promise<UpstreamResponse> {
  return postUpstream(upstreamCall(target, endpoint, body, options), errorParser(target));
}

/** The same for an answer read whole. */
function postWhole(target: UpstreamTarget, endpoint: string, body: string, options: CallOptions): Promise<BufferedResponse> {
  return postBuffered(upstreamCall(target, endpoint, body, options), errorParser(target));
}

function errorParser(target: UpstreamTarget): UpstreamErrorParser {
  const parse = target.provider.kind === 'azure-openai' ? parseAzureError : parseOpenAIError;
  return target.serviceTier === 'flex' ? flexAware(parse) : parse;
}

function upstreamCall(target: UpstreamTarget, endpoint: string, body: string, options: CallOptions): UpstreamCall {
  const provider = target.provider;
  const forward = options.forwardHeaders;
  let headers: Record<string, string>;
  if (forward === undefined || isEmpty(forward)) headers = { 'content-type': 'application/json' };
  else headers = { ...forward, 'content-type': 'application/json' };
  const azure = provider.kind === 'azure-openai';
  if (azure) azureAuthHeaders(provider, headers);
  else if (provider.apiKey) headers.authorization = `Bearer ${provider.apiKey}`;
  const path = azure ? azurePath(target, endpoint) : endpointPath(provider.baseUrl, endpoint);
  const req: UpstreamCall = { provider, path, headers, body };
  if (options.signal) req.signal = options.signal;
  return req;
}

function isEmpty(obj: object): boolean {
  for (const _ in obj) return false;
  return true;
}
