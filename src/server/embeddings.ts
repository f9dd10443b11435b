// POST /v1/embeddings (OpenAI format), priced by input tokens.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError, toGatewayError } from '../core/errors.js';
import { ZERO_USAGE } from '../core/canonical.js';
import { formatUsd } from '../cost/money.js';
import { parseEmbeddingsRequest, renderEmbeddings } from '../wire/openai/embeddings.js';
import { renderOpenAIError } from '../wire/openai/errors.js';
import { createContext } from '../pipeline/context.js';
import { price, recordLedger } from '../pipeline/settle.js';
import type { AppDeps } from './deps.js';
import { callerFrom, forwardHeadersFrom } from './caller.js';
import { parseJsonBody, readBody } from './body.js';
import { newRequestId } from './ids.js';
import { sendJson } from './respond.js';

export async function handleEmbeddings(req: IncomingMessage, res: ServerResponse, deps: AppDeps): Promise<void> {
  const ctx = createContext({
    requestId: newRequestId(),
    ingress: 'openai',
    endpoint: '/v1/embeddings',
    caller: callerFrom(req.headers),
    forwardHeaders: forwardHeadersFrom(req.headers),
    receivedAt: deps.clock(),
  });
  res.on('close', () => {
    if (!res.writableFinished) ctx.abort.abort();
  });
  try {
    const embedReq = parseEmbeddingsRequest(parseJsonBody(await readBody(req, deps.config.server.maxBodyBytes)));
    ctx.request.model = embedReq.model;
    const deployment = deps.catalog.get(embedReq.model);
    if (!deployment || deployment.kind !== 'embedding') {
      throw new GatewayError({
        kind: 'not_found',
        message: `The model '${embedReq.model}' does not exist or is not an embedding model in this costwise catalog.`,
        param: 'model',
        code: 'model_not_found',
      });
    }
    ctx.deployment = deployment;
    const adapter = deps.adapters.forKind(deployment.provider.kind);
    if (!adapter.embed)
      throw new GatewayError({ kind: 'invalid_request', message: `provider ${deployment.provider.name} does not offer embeddings`, param: 'model' });
    const result = await adapter.embed({ provider: deployment.provider, upstreamModel: deployment.upstreamModel }, embedReq, {
      signal: ctx.abort.signal,
      forwardHeaders: ctx.forwardHeaders,
    });
    const { costPico, baselinePico } = price(ctx, { ...ZERO_USAGE, inputTokens: result.usage.inputTokens });
    sendJson(res, 200, renderEmbeddings(result, embedReq, deployment.name), {
      'x-costwise-request-id': ctx.requestId,
      'x-request-id': ctx.requestId,
      'x-costwise-model': deployment.name,
      'x-costwise-cost-usd': formatUsd(costPico),
      'x-costwise-baseline-usd': formatUsd(baselinePico),
    });
    recordLedger(ctx, deps.store, { status: 200 });
  } catch (e) {
    const err = toGatewayError(e);
    const { status, body } = renderOpenAIError(err);
    sendJson(res, status, body, { 'x-costwise-request-id': ctx.requestId, 'x-request-id': ctx.requestId, ...err.headers });
    recordLedger(ctx, deps.store, { status: err.status, error: err });
  }
}
