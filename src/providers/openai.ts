// The adapter for OpenAI and every OpenAI-compatible server: translation lives in src/wire/openai,
// this file only builds the call. Differences between the two provider kinds are configuration:
// - path: a base URL ending in `/v1` gets `/chat/completions` appended, any other `/v1/chat/completions`
//   (the same rule for `/embeddings`);
// - max tokens: `max_completion_tokens` for OpenAI, `max_tokens` for compatible servers (the field
//   all of them understand).
// No countTokens: the gateway estimates input tokens with the tokenizer.
import type { CanonicalRequest, EmbeddingRequest, EmbeddingResponse } from '../core/canonical.js';
import { parseSse } from '../wire/sse.js';
import { parseOpenAIError } from '../wire/openai/errors.js';
import { parseEmbeddingsResponse, toEmbeddingsBody } from '../wire/openai/embeddings.js';
import { toChatRequestBody } from '../wire/openai/request.js';
import { parseChatCompletion } from '../wire/openai/response.js';
import { openAIChunksToEvents } from '../wire/openai/stream.js';
import { passBackHeaders, postUpstream, readJson, type UpstreamResponse } from './http.js';
import { headerValue } from '../core/headers.js';
import type { CallOptions, CompletionResult, ProviderAdapter, ProviderConfig, StreamResult, UpstreamTarget, Warnings } from './types.js';

export function createOpenAIAdapter(): ProviderAdapter {
  return {
    format: 'openai',

    async complete(target, request, warnings, options): Promise<CompletionResult> {
      const res = await post(target.provider, 'chat/completions', chatBody(target, request, warnings, false), options);
      const response = parseChatCompletion(await readJson(res, target.provider.name), target.provider.name);
      return withIds({ response }, res);
    },

    async stream(target, request, warnings, options): Promise<StreamResult> {
      const res = await post(target.provider, 'chat/completions', chatBody(target, request, warnings, true), options);
      const events = openAIChunksToEvents(parseSse(res.body), { provider: target.provider.name });
      return withIds({ events }, res);
    },

    async embed(target: UpstreamTarget, request: EmbeddingRequest, options: CallOptions): Promise<EmbeddingResponse> {
      const res = await post(target.provider, 'embeddings', toEmbeddingsBody(request, target.upstreamModel), options);
      return parseEmbeddingsResponse(await readJson(res, target.provider.name), target.provider.name);
    },

    close(): Promise<void> {
      // Pools are shared per origin in http.ts and closed there (closeAllPools).
      return Promise.resolve();
    },
  };
}

function chatBody(target: UpstreamTarget, request: CanonicalRequest, warnings: Warnings, stream: boolean): Record<string, unknown> {
  return toChatRequestBody(request, target.upstreamModel, warnings, {
    stream,
    maxTokensField: target.provider.kind === 'openai-compatible' ? 'max_tokens' : 'max_completion_tokens',
  });
}

function withIds<T extends object>(result: T, res: UpstreamResponse): T & { upstreamHeaders: Record<string, string>; upstreamRequestId?: string } {
  const requestId = headerValue(res.headers, 'x-request-id');
  return { ...result, upstreamHeaders: passBackHeaders(res.headers), ...(requestId !== undefined ? { upstreamRequestId: requestId } : {}) };
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

/** POSTs JSON; a non-2xx answer is read and thrown as a GatewayError. */
async function post(provider: ProviderConfig, endpoint: string, body: Record<string, unknown>, options: CallOptions): Promise<UpstreamResponse> {
  const headers: Record<string, string> = { ...options.forwardHeaders, 'content-type': 'application/json' };
  if (provider.apiKey) headers.authorization = `Bearer ${provider.apiKey}`;
  return postUpstream(
    {
      provider,
      path: endpointPath(provider.baseUrl, endpoint),
      headers,
      body: JSON.stringify(body),
      ...(options.signal ? { signal: options.signal } : {}),
    },
    parseOpenAIError,
  );
}
