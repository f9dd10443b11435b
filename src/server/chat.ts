// The chat routes (OpenAI /v1/chat/completions and Anthropic /v1/messages): HTTP ⇄ the chat
// pipeline (src/pipeline/index.ts holds the stage list). This file only turns the request into a
// context and writes the outcome — an answer, a stream, a deferral or an error — in the caller's
// own wire format.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { toGatewayError, type GatewayError } from '../core/errors.js';
import type { StreamEvent } from '../core/canonical.js';
import { formatUsd } from '../cost/money.js';
import { translateRateLimitHeaders } from '../core/headers.js';
import { createContext, type Exit, type Outcome, type RequestContext, type Seal } from '../pipeline/index.js';
import type { DeferredJob } from '../pipeline/context.js';
import type { IngressFormat } from '../wire/ingress.js';
import type { AppDeps } from './deps.js';
import { forwardHeadersFrom } from './caller.js';
import { itemRequestId } from '../batch/plan.js';
import { originOf } from './batch-http.js';
import { costwiseHeaders, HttpExchange } from './http-exchange.js';
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
      case 'complete': {
        const payload = this.ingress.renderJson(outcome.response, ctx.deployment?.name ?? ctx.request.model, ctx.requestId);
        const headers = costwiseHeaders(ctx);
        headers['content-type'] = 'application/json';
        headers['content-length'] = String(Buffer.byteLength(payload));
        headers['x-costwise-cost-usd'] = formatUsd(ctx.settlement?.costPico ?? 0);
        headers['x-costwise-baseline-usd'] = formatUsd(ctx.settlement?.baselinePico ?? 0);
        this.res.writeHead(200, headers);
        const durable = seal(ctx, OK);
        if (durable === undefined) {
          this.res.end(payload);
          return Promise.resolve(OK);
        }
        return durable.then(() => {
          this.res.end(payload);
          return OK;
        });
      }
      case 'stream':
        return this.stream(ctx, outcome.events, seal);
      case 'deferred':
        return Promise.resolve(this.accepted(outcome.job));
      case 'embeddings':
        return Promise.resolve(this.fail(ctx, toGatewayError(new Error('an embeddings answer on a chat route')), seal));
    }
  }

  fail(ctx: RequestContext, err: GatewayError, seal: Seal): Exit {
    const res = this.res;
    const exit: Exit = { status: this.failedStatus(ctx, err), error: err, record: true };
    // An error answer does not wait for its row to reach the spool (it is written this turn).
    void seal(ctx, exit);
    if (!res.headersSent && !res.destroyed) {
      const { status, body } = this.ingress.renderError(err, ctx.requestId);
      const payload = JSON.stringify(body);
      const headers: Record<string, string | number> = {
        ...costwiseHeaders(ctx),
        ...translateRateLimitHeaders(ctx.ingress, err.headers, ctx.receivedAt),
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
        'x-costwise-cost-usd': '0',
        'x-costwise-baseline-usd': '0',
      };
      if (err.retryAfterSeconds !== undefined) headers['retry-after'] = String(err.retryAfterSeconds);
      res.writeHead(status, headers);
      res.end(payload);
    }
    return exit;
  }

  private async stream(ctx: RequestContext, events: AsyncIterable<StreamEvent>, seal: Seal): Promise<Exit> {
    const res = this.res;
    const headers = costwiseHeaders(ctx);
    headers['content-type'] = 'text/event-stream; charset=utf-8';
    headers['cache-control'] = 'no-cache';
    headers['connection'] = 'keep-alive';
    // The cost is known only once the stream ends: it follows as HTTP trailers (and in the ledger).
    headers['trailer'] = 'x-costwise-cost-usd, x-costwise-baseline-usd';
    res.writeHead(200, headers);
    const writer = this.ingress.streamWriter({
      publicModel: ctx.deployment?.name ?? ctx.request.model,
      requestId: ctx.requestId,
      includeUsage: ctx.request.streamUsage,
    });
    let error: GatewayError | undefined;
    // The frames that tell a client its answer is complete (the finish's, `[DONE]`) wait until the
    // row is in the spool, as a JSON answer's body does: an SDK stops reading there, so a kill
    // between those frames and the spool write would lose the row of an answered request.
    let held = '';
    let finished = false;
    try {
      for await (const event of events) {
        const frames = writer.write(event);
        finished ||= event.type === 'finish';
        if (finished) held += frames;
        else if (frames && !res.write(frames)) await drained(res);
        if (res.destroyed) break;
      }
      held += writer.end();
    } catch (err) {
      error = toGatewayError(err);
      if (!res.destroyed) res.write(held + this.ingress.errorFrame(error, ctx.requestId));
      held = '';
    }
    // 499: the caller went away before the stream's end.
    const exit: Exit = { status: error ? error.status : res.destroyed ? 499 : 200, error, record: true };
    await seal(ctx, exit);
    if (!res.destroyed) {
      if (held !== '') res.write(held);
      res.addTrailers({
        'x-costwise-cost-usd': formatUsd(ctx.settlement?.costPico ?? 0),
        'x-costwise-baseline-usd': formatUsd(ctx.settlement?.baselinePico ?? 0),
      });
      res.end();
    }
    return exit;
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

const OK: Exit = { status: 200, record: true };

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
