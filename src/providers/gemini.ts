// The Gemini upstream client: canonical → Gemini REST (`v1beta/models/{model}:…`) over the shared
// undici pool, and back. All translation lives in src/wire/gemini; this file only does HTTP, plus
// explicit context caching on generateContent when the gateway gives it context caches
// (implemented in src/promptcache/gemini).
import type { CanonicalRequest, EmbeddingRequest } from '../core/canonical.js';
import { GatewayError } from '../core/errors.js';
import { cacheAwareParser, CachedContentGone } from './gemini-cache-gone.js';
import { countTextTokens } from '../tokens/count.js';
import { toGeminiContents } from '../wire/gemini/contents.js';
import { modelResource, parseBatchEmbedResponse, toBatchEmbedBody } from '../wire/gemini/embeddings.js';
import { parseGeminiError } from '../wire/gemini/errors.js';
import { toGenerateContentBody, toSystemInstruction } from '../wire/gemini/request.js';
import { parseGenerateContentResponse } from '../wire/gemini/response.js';
import { geminiChunksToEvents } from '../wire/gemini/stream.js';
import { parseSse } from '../wire/sse.js';
import { passBackHeaders, postUpstream, readJson, type UpstreamErrorParser, type UpstreamResponse } from './http.js';
import type { CallOptions, ProviderAdapter, ProviderConfig, UpstreamTarget } from './types.js';

/** Explicit context caches (cachedContents) the adapter sends requests through when one pays. */
export interface GeminiContextCaches {
  /** The body to send: unchanged, or with its stable prefix moved into the named cache. */
  prepare(target: UpstreamTarget, body: Record<string, unknown>): Promise<{ body: Record<string, unknown>; cache?: string | undefined }>;
  /** The provider answered 403/404 for this cache. */
  forget(target: UpstreamTarget, name: string): void;
  close(): Promise<void>;
}

/** Where a Gemini call goes when it is not the Gemini API's own `v1beta/models/…` (Vertex: ./vertex.ts). */
export interface GeminiEndpoint {
  /** The provider to call (its regional copy), the path for `method`, and the auth headers. */
  resolve(target: UpstreamTarget, method: string): Promise<{ provider: ProviderConfig; path: string; auth: Record<string, string> }>;
}

export interface GeminiAdapterOptions {
  /** Without them, requests are sent as they are (no context caching). */
  contextCaches?: GeminiContextCaches;
  endpoint?: GeminiEndpoint;
}

export function createGeminiAdapter(adapterOptions: GeminiAdapterOptions = {}): ProviderAdapter {
  const caches = adapterOptions.contextCaches ?? null;
  const endpoint = adapterOptions.endpoint;

  function post(
    target: UpstreamTarget,
    method: string,
    body: unknown,
    options: CallOptions,
    parseError: UpstreamErrorParser = parseGeminiError,
  ): Promise<UpstreamResponse> {
    if (endpoint === undefined) return postTo(geminiApiRoute(target, method), body, options, parseError);
    return endpoint.resolve(target, method).then((route) => postTo(route, body, options, parseError));
  }

  /** generateContent, through a context cache when one pays; a vanished cache falls back once. */
  async function generate(target: UpstreamTarget, method: string, body: Record<string, unknown>, options: CallOptions): Promise<UpstreamResponse> {
    const prepared = caches ? await caches.prepare(target, body) : undefined;
    if (!prepared?.cache) return post(target, method, body, options);
    try {
      return await post(target, method, prepared.body, options, cacheAwareParser(parseGeminiError));
    } catch (err) {
      if (!(err instanceof CachedContentGone)) throw err;
      caches?.forget(target, prepared.cache);
      return post(target, method, body, options);
    }
  }

  return {
    format: 'gemini',

    async complete(target, request, warnings, options) {
      const body = toGenerateContentBody(request, warnings, { upstreamModel: target.upstreamModel });
      const res = await generate(target, 'generateContent', body, options);
      const response = parseGenerateContentResponse(await readJson(res, target.provider.name), target.upstreamModel);
      return { response, upstreamRequestId: response.id, upstreamHeaders: passBackHeaders(res.headers) };
    },

    async stream(target, request, warnings, options) {
      const body = toGenerateContentBody(request, warnings, { upstreamModel: target.upstreamModel });
      const res = await generate(target, 'streamGenerateContent?alt=sse', body, options);
      const events = geminiChunksToEvents(parseSse(res.body), target.upstreamModel, { provider: target.provider.name });
      return { events, upstreamHeaders: passBackHeaders(res.headers) };
    },

    async embed(target, request, options) {
      const res = await post(target, 'batchEmbedContents', toBatchEmbedBody(request, target.upstreamModel), options);
      const out = parseBatchEmbedResponse(await readJson(res, target.provider.name), estimateInputTokens(request), target.upstreamModel);
      if (out.embeddings.length !== request.input.length) {
        throw new GatewayError({
          kind: 'upstream_error',
          message: `upstream ${target.provider.name} returned ${out.embeddings.length} embeddings for ${request.input.length} inputs`,
          provider: target.provider.name,
        });
      }
      return out;
    },

    async countTokens(target, request, options) {
      const res = await post(target, 'countTokens', toCountTokensBody(request, target.upstreamModel), options);
      const json = await readJson(res, target.provider.name);
      const total = typeof json === 'object' && json !== null ? (json as { totalTokens?: unknown }).totalTokens : undefined;
      if (typeof total !== 'number') {
        throw new GatewayError({
          kind: 'upstream_error',
          message: `upstream ${target.provider.name} returned a countTokens body without totalTokens`,
          provider: target.provider.name,
        });
      }
      return total;
    },

    async close() {
      // Pools are shared per origin by ./http.ts and closed there (closeAllPools), after this.
      await caches?.close();
    },
  };
}

/**
 * countTokens takes either bare `contents` or a whole `generateContentRequest` (needed to count a
 * system instruction and tools); the two are mutually exclusive.
 */
function toCountTokensBody(request: CanonicalRequest, upstreamModel: string): Record<string, unknown> {
  const system = toSystemInstruction(request);
  const hasTools = request.tools !== undefined && request.tools.length > 0;
  if (!system && !hasTools) return { contents: toGeminiContents(request.messages, [], { requireCallSignatures: false }) };
  const { generationConfig: _unused, ...generateContentRequest } = toGenerateContentBody(request, [], { upstreamModel });
  return { generateContentRequest: { model: modelResource(upstreamModel), ...generateContentRequest } };
}

/** Gemini reports no usage for embeddings: the input is counted locally (an estimate). */
function estimateInputTokens(request: EmbeddingRequest): number {
  return request.input.reduce((sum, text) => sum + countTextTokens(text, request.model), 0);
}

interface GeminiRoute {
  provider: ProviderConfig;
  path: string;
  auth: Record<string, string>;
}

function geminiApiRoute(target: UpstreamTarget, method: string): GeminiRoute {
  const { provider } = target;
  const modelId = target.upstreamModel.replace(/^models\//, '');
  return { provider, path: `/v1beta/models/${encodeURIComponent(modelId)}:${method}`, auth: provider.apiKey ? { 'x-goog-api-key': provider.apiKey } : {} };
}

function postTo(route: GeminiRoute, body: unknown, options: CallOptions, parseError: UpstreamErrorParser): Promise<UpstreamResponse> {
  return postUpstream(
    {
      provider: route.provider,
      path: route.path,
      headers: { ...options.forwardHeaders, 'content-type': 'application/json', ...route.auth },
      body: JSON.stringify(body),
      ...(options.signal ? { signal: options.signal } : {}),
    },
    parseError,
  );
}
