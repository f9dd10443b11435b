// One HTTP request/response pair as the pipeline sees it: the inbound side (headers, the body read
// within the size limit) and the responder that answers in the caller's format. Each route's
// exchange (chat.ts, embeddings.ts) says how an outcome or an error is written.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayError } from '../core/errors.js';
import { translateRateLimitHeaders } from '../core/headers.js';
import type { Exit, Inbound, Outcome, RequestContext, Responder, Seal } from '../pipeline/index.js';
import { readBody } from './body.js';

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

function headerSafe(text: string, max: number): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, max);
}
