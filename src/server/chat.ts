// The chat routes (OpenAI /v1/chat/completions and Anthropic /v1/messages): HTTP ⇄ the chat
// pipeline (src/pipeline/index.ts holds the stage list). This file only turns the request into a
// context and writes the outcome — an answer, a stream, a deferral or an error — in the caller's
// own wire format.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { toGatewayError, type GatewayError } from '../core/errors.js';
import type { StreamEvent } from '../core/canonical.js';
import { createContext, type Exit, type Outcome, type RequestContext, type Seal } from '../pipeline/index.js';
import type { DeferredJob } from '../pipeline/context.js';
import type { IngressFormat } from '../wire/ingress.js';
import type { AppDeps } from './deps.js';
import { forwardHeadersFrom } from './caller.js';
import { itemRequestId } from '../batch/plan.js';
import { originOf } from './batch-http.js';
import { HttpExchange } from './http-exchange.js';
import { newRequestId } from './ids.js';
import { sendJson } from './respond.js';

/** Until the authenticate stage has run. */
const UNAUTHENTICATED = { tenant: 'default', keyId: 'anonymous', tags: [] };

export async function handleChat(ingress: IngressFormat, req: IncomingMessage, res: ServerResponse, deps: AppDeps): Promise<void> {
  const exchange = new ChatExchange(req, res, deps.config.server.maxBodyBytes, ingress);
  const ctx = createContext({
    requestId: newRequestId(),
    ingress: ingress.format,
    endpoint: req.url ?? '',
    inbound: exchange,
    responder: exchange,
    caller: UNAUTHENTICATED,
    forwardHeaders: forwardHeadersFrom(req.headers),
    receivedAt: deps.clock(),
  });
  exchange.watchDisconnect(ctx);
  await deps.pipelines.chat(ctx);
}

class ChatExchange extends HttpExchange {
  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    maxBodyBytes: number,
    private readonly ingress: IngressFormat,
  ) {
    super(req, res, maxBodyBytes);
  }

  send(ctx: RequestContext, outcome: Outcome, seal: Seal): Promise<Exit> {
    switch (outcome.kind) {
      case 'complete':
        return this.writeAnswer(ctx, this.ingress.renderJson(outcome.response, ctx.deployment?.name ?? ctx.request.model, ctx.requestId), seal);
      case 'stream':
        return this.stream(ctx, outcome.events, seal);
      case 'deferred':
        return Promise.resolve(this.accepted(outcome.job));
      case 'embeddings':
        return Promise.resolve(this.fail(ctx, toGatewayError(new Error('an embeddings answer on a chat route')), seal));
    }
  }

  fail(ctx: RequestContext, err: GatewayError, seal: Seal): Exit {
    return this.writeFailure(ctx, err, seal, this.ingress.renderError(err, ctx.requestId));
  }

  private stream(ctx: RequestContext, events: AsyncIterable<StreamEvent>, seal: Seal): Promise<Exit> {
    const writer = this.ingress.streamWriter({
      publicModel: ctx.deployment?.name ?? ctx.request.model,
      requestId: ctx.requestId,
      includeUsage: ctx.request.streamUsage,
    });
    return this.writeStream(ctx, events, seal, { writer, errorFrame: (e) => this.ingress.errorFrame(e, ctx.requestId) });
  }

  /** 202 with the job: the request runs later in a provider batch. */
  private accepted(job: DeferredJob): Exit {
    const url = `${originOf(this.req)}/v1/costwise/jobs/${job.jobId}`;
    // The request id is the one the job's ledger row will have once the batch has run.
    const headers = { location: url, 'x-costwise-job-id': job.jobId, 'x-costwise-request-id': itemRequestId(job.batchId, job.jobId) };
    sendJson(this.res, 202, { id: job.jobId, object: 'costwise.job', status: 'queued', url, not_after: Math.floor(job.notAfter / 1000) }, headers);
    return { status: 202, record: false };
  }
}
