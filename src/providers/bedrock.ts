// The Bedrock adapter: Converse and ConverseStream (`POST /model/{modelId}/converse[-stream]`),
// signed with SigV4 for the deployment's region. A cross-region inference profile id (`us.…`,
// `eu.…`, `apac.…`, `global.…`) is a model id like any other; its deployment's region decides the
// endpoint it is called in. Translation lives in src/wire/bedrock. A Claude deployment with
// `api: invoke` goes through InvokeModel instead (./bedrock-invoke.ts).
import { decodeEventStream, converseEventsToCanonical, parseBedrockError, parseConverseResponse, toConverseBody } from '../wire/bedrock/index.js';
import { headerValue } from '../core/headers.js';
import { awsCredentialsFor } from './aws-credentials.js';
import { signRequest } from './aws-sigv4.js';
import { createBedrockInvokeAdapter } from './bedrock-invoke.js';
import { regionalProvider, regionOf } from './cloud-endpoint.js';
import { passBackHeaders, postUpstream, readJson, type UpstreamResponse } from './http.js';
import type { CallOptions, CompletionResult, ProviderAdapter, StreamResult, UpstreamTarget } from './types.js';

export function createBedrockAdapter(): ProviderAdapter {
  const invoke = createBedrockInvokeAdapter();
  return {
    // Converse is no caller-facing format; Claude is what Bedrock mostly serves (informational only).
    format: 'anthropic',

    async complete(target, request, warnings, options): Promise<CompletionResult> {
      if (target.api === 'invoke') return invoke.complete(target, request, warnings, options);
      const res = await post(target, 'converse', JSON.stringify(toConverseBody(request, warnings)), options);
      const requestId = headerValue(res.headers, 'x-amzn-requestid') ?? '';
      const name = target.provider.name;
      const response = parseConverseResponse(await readJson(res, name), { model: target.upstreamModel, requestId, provider: name });
      const result: CompletionResult = { response, upstreamHeaders: passBackHeaders(res.headers) };
      if (requestId) result.upstreamRequestId = requestId;
      return result;
    },

    async stream(target, request, warnings, options): Promise<StreamResult> {
      if (target.api === 'invoke') return invoke.stream(target, request, warnings, options);
      const res = await post(target, 'converse-stream', JSON.stringify(toConverseBody(request, warnings)), options);
      const requestId = headerValue(res.headers, 'x-amzn-requestid') ?? '';
      const ctx = { model: target.upstreamModel, requestId, provider: target.provider.name };
      const result: StreamResult = { events: converseEventsToCanonical(decodeEventStream(res.body), ctx), upstreamHeaders: passBackHeaders(res.headers) };
      if (requestId) result.upstreamRequestId = requestId;
      return result;
    },

    close(): Promise<void> {
      return Promise.resolve();
    },
  };
}

async function post(target: UpstreamTarget, action: 'converse' | 'converse-stream', body: string, options: CallOptions): Promise<UpstreamResponse> {
  const provider = regionalProvider(target);
  const url = new URL(provider.baseUrl);
  const path = `${url.pathname.replace(/\/$/, '')}/model/${encodeURIComponent(target.upstreamModel)}/${action}`;
  // Forwarded headers (emulator directives) ride along unsigned: SigV4 checks only the signed ones.
  let headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: action === 'converse' ? 'application/json' : 'application/vnd.amazon.eventstream',
  };
  headers = await signRequest({ credentials: awsCredentialsFor(target.provider), region: regionOf(target), url, path, headers, body });
  if (options.forwardHeaders) headers = { ...options.forwardHeaders, ...headers };
  const req: Parameters<typeof postUpstream>[0] = { provider, path: `/model/${encodeURIComponent(target.upstreamModel)}/${action}`, headers, body };
  if (options.signal) req.signal = options.signal;
  return postUpstream(req, parseBedrockError);
}
