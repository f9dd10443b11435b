// The chat routes (OpenAI /v1/chat/completions and Anthropic /v1/messages): one handler, one
// pipeline, the caller's own wire format on the way in and out.
//
// Pipeline, in order (each stage reads and writes the typed RequestContext):
//   1. parse         wire body → ctx.request (canonical)            [ingress.parse]
//   1b. cache        response cache lookup (pipeline/cache.ts): a hit skips 2–3
//   2. route         rules → explicit model → tiers → named routers ⇒ ctx.deployment, hard
//                    capability constraints
//   3. dispatch      ctx.deployment's deployments (balanced) and fallbacks, with retries and
//                    breakers → ctx.outcome (complete | stream), upstream headers; a cascade
//                    router runs its steps and checks instead (pipeline/cascade.ts)
//   4. settle        final usage → ctx.settlement (cost, baseline); one ledger row
//   5. respond       ctx.outcome → the caller's wire format, x-costwise-* headers
// Later techniques (prompt-cache planning) are stages between 2 and 3.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError, toGatewayError } from '../core/errors.js';
import { formatUsd } from '../cost/money.js';
import { translateRateLimitHeaders } from '../core/headers.js';
import { createContext, type RequestContext } from '../pipeline/context.js';
import { route } from '../pipeline/route.js';
import { dispatch } from '../pipeline/dispatch.js';
import { runCascade } from '../pipeline/cascade.js';
import { cacheDirective, finishCache, lookupCache } from '../pipeline/cache.js';
import { StreamCollector } from '../core/stream-collect.js';
import { observePromptChurn } from '../pipeline/prompt-cache.js';
import { acceptDeferred, deferralWindow } from './batch-defer.js';
import { extractFeatures } from '../routing/policy/features.js';
import { price, pricedStream, recordLedger } from '../pipeline/settle.js';
import type { IngressFormat } from './ingress.js';
import type { AppDeps } from './deps.js';
import { callerFrom, forwardHeadersFrom } from './caller.js';
import { parseJsonBody, readBody } from './body.js';
import { newRequestId } from './ids.js';

export async function handleChat(ingress: IngressFormat, req: IncomingMessage, res: ServerResponse, deps: AppDeps): Promise<void> {
  const ctx = createContext({
    requestId: newRequestId(),
    ingress: ingress.format,
    endpoint: req.url ?? '',
    caller: callerFrom(req.headers),
    forwardHeaders: forwardHeadersFrom(req.headers),
    receivedAt: deps.clock(),
  });
  res.on('close', () => {
    if (!res.writableFinished) ctx.abort.abort();
  });

  try {
    const directive = cacheDirective(req.headers);
    const body = parseJsonBody(await readBody(req, deps.config.server.maxBodyBytes));
    noteRequestedModel(ctx, body);
    ctx.request = ingress.parse(body);
    if (deps.deferralRules.length && ingress.format !== 'gemini') {
      const windowMs = deferralWindow(deps.deferralRules, (ctx.features ??= extractFeatures(ctx.request, ctx.caller)), ctx.request.stream);
      if (windowMs !== undefined) return await acceptDeferred(ingress.format, body, windowMs, req, res, deps);
    }
    const hit = await lookupCache(ctx, deps.responseCache, deps.catalog, directive, deps.store);
    if (!hit) {
      route(ctx, deps.catalog, deps.policy, deps.routers);
      await (ctx.cascade ? runCascade(ctx, deps) : dispatch(ctx, deps));
    }
  } catch (err) {
    failBeforeResponse(ctx, ingress, res, deps, toGatewayError(err));
    return;
  }

  const outcome = ctx.outcome!;
  if (outcome.kind === 'complete') {
    const { costPico, baselinePico } = price(ctx, outcome.response.usage);
    const payload = JSON.stringify(ingress.render(outcome.response, ctx.deployment!.name, ctx.requestId));
    const headers = responseHeaders(ctx);
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
    headers['x-costwise-cost-usd'] = formatUsd(costPico);
    headers['x-costwise-baseline-usd'] = formatUsd(baselinePico);
    res.writeHead(200, headers);
    res.end(payload);
    recordLedger(ctx, deps.store, { status: 200 });
    finishCache(ctx, deps.responseCache, outcome.response, deps.store);
    observePromptChurn(ctx, deps.promptChurn);
    return;
  }
  await streamOut(ctx, ingress, res, deps, outcome.events);
}

async function streamOut(
  ctx: RequestContext,
  ingress: IngressFormat,
  res: ServerResponse,
  deps: AppDeps,
  events: AsyncIterable<import('../core/canonical.js').StreamEvent>,
): Promise<void> {
  const headers = responseHeaders(ctx);
  headers['content-type'] = 'text/event-stream; charset=utf-8';
  headers['cache-control'] = 'no-cache';
  headers['connection'] = 'keep-alive';
  // The cost is known only once the stream ends: it follows as HTTP trailers (and in the ledger).
  headers['trailer'] = 'x-costwise-cost-usd, x-costwise-baseline-usd';
  res.writeHead(200, headers);
  const writer = ingress.streamWriter({ publicModel: ctx.deployment!.name, requestId: ctx.requestId, includeUsage: ctx.request.streamUsage });
  let error: GatewayError | undefined;
  // A streamed miss is collected so that its whole answer can be stored.
  const collector = ctx.cacheResult === 'miss' ? new StreamCollector() : undefined;
  try {
    for await (const event of pricedStream(ctx, events)) {
      collector?.add(event);
      const frames = writer.write(event);
      if (frames && !res.write(frames)) await drained(res);
      if (res.destroyed) break;
    }
    if (!res.destroyed) res.write(writer.end());
  } catch (err) {
    error = toGatewayError(err);
    if (!res.destroyed) res.write(ingress.errorFrame(error, ctx.requestId));
  }
  const settlement = ctx.settlement;
  if (!res.destroyed) {
    res.addTrailers({
      'x-costwise-cost-usd': formatUsd(settlement?.costPico ?? 0),
      'x-costwise-baseline-usd': formatUsd(settlement?.baselinePico ?? 0),
    });
    res.end();
  }
  const status = error ? error.status : res.destroyed && !res.writableFinished ? 499 : 200;
  recordLedger(ctx, deps.store, { status, error });
  finishCache(ctx, deps.responseCache, status === 200 ? collector?.result() : undefined, deps.store);
  if (status === 200) observePromptChurn(ctx, deps.promptChurn);
}

/** Keeps the asked-for model on the ledger row even when the body then fails validation. */
function noteRequestedModel(ctx: RequestContext, body: unknown): void {
  const model = (body as { model?: unknown } | null)?.model;
  if (typeof model === 'string') ctx.request.model = model.slice(0, 200);
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

/** A fresh header object for the caller (safe to add to). */
function responseHeaders(ctx: RequestContext): Record<string, string> {
  const h: Record<string, string> = Object.assign({}, translateRateLimitHeaders(ctx.ingress, ctx.upstreamHeaders, ctx.receivedAt));
  h['x-costwise-request-id'] = ctx.requestId;
  if (ctx.ingress === 'anthropic') h['request-id'] = ctx.requestId;
  else h['x-request-id'] = ctx.requestId;
  if (ctx.deployment) h['x-costwise-model'] = ctx.deployment.name;
  if (ctx.routeReason) h['x-costwise-route'] = ctx.routeReason;
  if (ctx.cacheResult) h['x-costwise-cache'] = ctx.cacheResult;
  if (ctx.promptCacheSummary) h['x-costwise-prompt-cache'] = ctx.promptCacheSummary;
  if (ctx.escalations?.length)
    h['x-costwise-cascade'] = ctx.escalations
      .join('; ')
      .replace(/[^\x20-\x7e]/g, '?')
      .slice(0, 1000);
  if (ctx.warnings.length)
    h['x-costwise-warnings'] = ctx.warnings
      .join('; ')
      .replace(/[^\x20-\x7e]/g, '?')
      .slice(0, 4000);
  return h;
}

function failBeforeResponse(ctx: RequestContext, ingress: IngressFormat, res: ServerResponse, deps: AppDeps, err: GatewayError): void {
  ctx.error = err;
  if (!res.headersSent && !res.destroyed) {
    const { status, body } = ingress.renderError(err, ctx.requestId);
    const payload = JSON.stringify(body);
    const headers: Record<string, string | number> = {
      ...responseHeaders(ctx),
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
  // 499: the caller went away first (the upstream call was aborted because of it).
  recordLedger(ctx, deps.store, { status: ctx.abort.signal.aborted && res.destroyed ? 499 : err.status, error: err });
  finishCache(ctx, deps.responseCache, undefined, deps.store);
}
