// POST /v1/embeddings (OpenAI format): HTTP ⇄ the embeddings pipeline (src/pipeline/index.ts),
// priced by input tokens.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { toGatewayError, type GatewayError } from '../core/errors.js';
import { formatUsd } from '../cost/money.js';
import { renderEmbeddings } from '../wire/openai/embeddings.js';
import { renderOpenAIError } from '../wire/openai/errors.js';
import { createContext, type Exit, type Outcome, type RequestContext, type Seal } from '../pipeline/index.js';
import type { AppDeps } from './deps.js';
import { forwardHeadersFrom } from './caller.js';
import { HttpExchange } from './http-exchange.js';
import { newRequestId } from './ids.js';
import { sendJson } from './respond.js';

const UNAUTHENTICATED = { tenant: 'default', keyId: 'anonymous', tags: [] };

export async function handleEmbeddings(req: IncomingMessage, res: ServerResponse, deps: AppDeps): Promise<void> {
  const exchange = new EmbeddingsExchange(req, res, deps.config.server.maxBodyBytes);
  const ctx = createContext({
    requestId: newRequestId(),
    ingress: 'openai',
    endpoint: '/v1/embeddings',
    inbound: exchange,
    responder: exchange,
    caller: UNAUTHENTICATED,
    forwardHeaders: forwardHeadersFrom(req.headers),
    receivedAt: deps.clock(),
  });
  exchange.watchDisconnect(ctx);
  await deps.pipelines.embeddings(ctx);
}

class EmbeddingsExchange extends HttpExchange {
  send(ctx: RequestContext, outcome: Outcome, seal: Seal): Promise<Exit> {
    if (outcome.kind !== 'embeddings')
      return Promise.resolve(this.fail(ctx, toGatewayError(new Error(`a ${outcome.kind} answer on the embeddings route`)), seal));
    const model = ctx.deployment?.name ?? outcome.request.model;
    const durable = seal(ctx, OK);
    if (durable !== undefined) return durable.then(() => this.sendEmbeddings(ctx, outcome, model));
    return Promise.resolve(this.sendEmbeddings(ctx, outcome, model));
  }

  private sendEmbeddings(ctx: RequestContext, outcome: Extract<Outcome, { kind: 'embeddings' }>, model: string): Exit {
    sendJson(this.res, 200, renderEmbeddings(outcome.response, outcome.request, model), {
      'x-costwise-request-id': ctx.requestId,
      'x-request-id': ctx.requestId,
      'x-costwise-model': model,
      'x-costwise-cost-usd': formatUsd(ctx.settlement?.costPico ?? 0),
      'x-costwise-baseline-usd': formatUsd(ctx.settlement?.baselinePico ?? 0),
    });
    return OK;
  }

  fail(ctx: RequestContext, err: GatewayError, seal: Seal): Exit {
    const exit: Exit = { status: err.status, error: err, record: true };
    void seal(ctx, exit);
    if (!this.res.headersSent && !this.res.destroyed) {
      const { status, body } = renderOpenAIError(err);
      sendJson(this.res, status, body, { 'x-costwise-request-id': ctx.requestId, 'x-request-id': ctx.requestId, ...err.headers });
    }
    return exit;
  }
}

const OK: Exit = { status: 200, record: true };
