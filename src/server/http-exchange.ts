// One HTTP request/response pair as the pipeline sees it: the inbound side (headers, the body read
// within the size limit) and the responder that answers in the caller's format. Each route's
// exchange (chat.ts, responses.ts, embeddings.ts) says how an outcome is rendered; the writing they
// share — a JSON answer, an error, an SSE stream with cost trailers — is here.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { toGatewayError, type GatewayError } from '../core/errors.js';
import type { StreamEvent } from '../core/canonical.js';
import { translateRateLimitHeaders } from '../core/headers.js';
import { formatUsd } from '../cost/money.js';
import type { Exit, Inbound, Outcome, RequestContext, Responder, Seal } from '../pipeline/index.js';
import type { StreamWriter } from '../wire/ingress.js';
import { readBody } from './body.js';

const OK: Exit = { status: 200, record: true };

/** How a surface writes a stream: its writer, its mid-stream error frame, and work before the row is sealed. */
export interface StreamFraming {
  writer: StreamWriter;
  errorFrame(err: GatewayError): string;
  /** Runs once the stream has ended without error, before the final frames are released (the Responses API stores its answer). */
  beforeSeal?: () => Promise<void>;
}

export abstract class HttpExchange implements Inbound, Responder {
  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    private readonly maxBodyBytes: number,
  ) {}

  get headers(): IncomingMessage['headers'] {
    return this.req.headers;
  }

  body(): Promise<Buffer> {
    return readBody(this.req, this.maxBodyBytes);
  }

  abstract send(ctx: RequestContext, outcome: Outcome, seal: Seal): Promise<Exit>;
  abstract fail(ctx: RequestContext, err: GatewayError, seal: Seal): Exit;

  /** 499 when the caller went away first (the upstream call was aborted because of it). */
  protected failedStatus(ctx: RequestContext, err: GatewayError): number {
    return ctx.abort.signal.aborted && this.res.destroyed ? 499 : err.status;
  }

  /** A JSON answer with its cost headers; its body ends once the row is sealed (on local disk). */
  protected writeAnswer(ctx: RequestContext, payload: string, seal: Seal): Promise<Exit> {
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

  /**
   * An error raised before anything was sent, in the caller's format (`rendered`), with the
   * costwise headers; the row is sealed without waiting (it is written this turn).
   */
  protected writeFailure(ctx: RequestContext, err: GatewayError, seal: Seal, rendered: { status: number; body: Record<string, unknown> }): Exit {
    const res = this.res;
    const exit: Exit = { status: this.failedStatus(ctx, err), error: err, record: true };
    void seal(ctx, exit);
    if (!res.headersSent && !res.destroyed) {
      const payload = JSON.stringify(rendered.body);
      const headers: Record<string, string | number> = {
        ...costwiseHeaders(ctx),
        ...translateRateLimitHeaders(ctx.ingress, err.headers, ctx.receivedAt),
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
        'x-costwise-cost-usd': '0',
        'x-costwise-baseline-usd': '0',
      };
      if (err.retryAfterSeconds !== undefined) headers['retry-after'] = String(err.retryAfterSeconds);
      res.writeHead(rendered.status, headers);
      res.end(payload);
    }
    return exit;
  }

  /**
   * Writes a stream as SSE with the cost as HTTP trailers. The frames that tell a client its answer
   * is complete (the finish's and after) wait until the row is in the spool, as a JSON answer's
   * body does: an SDK stops reading there, so a kill between those frames and the spool write
   * would lose the row of an answered request.
   */
  protected async writeStream(ctx: RequestContext, events: AsyncIterable<StreamEvent>, seal: Seal, framing: StreamFraming): Promise<Exit> {
    const res = this.res;
    const headers = costwiseHeaders(ctx);
    headers['content-type'] = 'text/event-stream; charset=utf-8';
    headers['cache-control'] = 'no-cache';
    headers['connection'] = 'keep-alive';
    // The cost is known only once the stream ends: it follows as HTTP trailers (and in the ledger).
    headers['trailer'] = 'x-costwise-cost-usd, x-costwise-baseline-usd';
    res.writeHead(200, headers);
    const writer = framing.writer;
    let error: GatewayError | undefined;
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
      if (!res.destroyed) res.write(held + framing.errorFrame(error));
      held = '';
    }
    // 499: the caller went away before the stream's end.
    const exit: Exit = { status: error ? error.status : res.destroyed ? 499 : 200, error, record: true };
    if (!error && framing.beforeSeal) await framing.beforeSeal();
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

  /** Aborts the request's upstream work when the caller closes the connection before the answer ends. */
  watchDisconnect(ctx: RequestContext): void {
    const res = this.res;
    res.on('close', () => {
      if (!res.writableFinished) ctx.abort.abort();
    });
  }
}

/** The `x-costwise-*` headers every answer carries; a fresh object the caller may add to. */
export function costwiseHeaders(ctx: RequestContext): Record<string, string> {
  const h: Record<string, string> = Object.assign({}, translateRateLimitHeaders(ctx.ingress, ctx.upstreamHeaders, ctx.receivedAt));
  h['x-costwise-request-id'] = ctx.requestId;
  if (ctx.ingress === 'anthropic') h['request-id'] = ctx.requestId;
  else h['x-request-id'] = ctx.requestId;
  if (ctx.deployment) h['x-costwise-model'] = ctx.deployment.name;
  if (ctx.routeReason) h['x-costwise-route'] = ctx.routeReason;
  if (ctx.cacheResult) h['x-costwise-cache'] = ctx.cacheResult;
  if (ctx.promptCacheSummary) h['x-costwise-prompt-cache'] = ctx.promptCacheSummary;
  if (ctx.promptTokensRemoved) h['x-costwise-prompt-optimization'] = `removed=${ctx.promptTokensRemoved}`;
  if (ctx.escalations?.length) h['x-costwise-cascade'] = headerSafe(ctx.escalations.join('; '), 1000);
  if (ctx.warnings.length) h['x-costwise-warnings'] = headerSafe(ctx.warnings.join('; '), 4000);
  return h;
}

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

function headerSafe(text: string, max: number): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, max);
}
