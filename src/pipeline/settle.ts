// Stage: price the final usage, and leave exactly one ledger row per request.
import { ZERO_USAGE, type StreamEvent, type Usage } from '../core/canonical.js';
import type { GatewayError } from '../core/errors.js';
import { costPico, uncachedCostPico } from '../cost/calculate.js';
import type { DurableStore, LedgerRow } from '../storage/types.js';
import type { RequestContext, Settlement } from './context.js';
import type { Deployment } from '../config/catalog.js';

export function price(ctx: RequestContext, usage: Usage): Settlement {
  if (ctx.cachedUsage) {
    // Served from the response cache: nothing billed, no tokens used; the baseline is what the
    // cached answer would cost now on the model asked for (or the one that made it).
    const model = ctx.requestedDeployment ?? ctx.deployment;
    ctx.settlement = { usage: ZERO_USAGE, costPico: 0, baselinePico: model ? uncachedCostPico(ctx.cachedUsage, model.pricing) : 0, promptCachePico: 0 };
    return ctx.settlement;
  }
  const served = ctx.deployment;
  const cost = served ? costPico(usage, served.pricing) : 0;
  const uncached = served ? uncachedCostPico(usage, served.pricing) : 0;
  // The baseline is the request as sent, with no optimisation: the same token counts with no
  // prompt caching, on the model asked for when routing moved the request.
  const baseline = ctx.requestedDeployment ? uncachedCostPico(usage, ctx.requestedDeployment.pricing) : uncached;
  ctx.settlement = { usage, costPico: cost, baselinePico: baseline, promptCachePico: uncached - cost };
  return ctx.settlement;
}

export interface LedgerOutcome {
  status: number;
  error?: GatewayError | undefined;
}

export function recordLedger(ctx: RequestContext, store: DurableStore, outcome: LedgerOutcome): void {
  const s = ctx.settlement;
  const d = ctx.deployment;
  store.appendLedger(
    row(ctx, ctx.requestId, d?.name ?? '', d?.provider.name ?? '', s?.usage ?? ZERO_USAGE, {
      costPico: s?.costPico ?? 0,
      baselinePico: s?.baselinePico ?? 0,
      promptCachePico: s?.promptCachePico ?? 0,
      latencyMs: Math.round((performance.now() - ctx.startedAt) * 1000) / 1000,
      status: outcome.status,
      stream: ctx.request.stream,
      errorKind: outcome.error?.kind ?? null,
      route: ctx.routeReason ?? '',
      parentId: null,
      attempts: ctx.attempts ?? null,
      cache: ctx.cacheResult ?? null,
      technique: ctx.technique ?? null,
    }),
  );
}

export interface SubCall {
  /** Unique within the request: `step1`, `judge1`, … */
  label: string;
  deployment: Deployment;
  usage: Usage;
  latencyMs: number;
  route: string;
  /** The technique the call was made for, when not the request's own (e.g. the semantic cache's embedding on a miss). */
  technique?: string;
}

/**
 * A billed upstream call made for a request besides the answer it got (a cascade's rejected
 * answer, a judge call): its own ledger row, linked by parentId, with no baseline — so that
 * Σ baseline − Σ cost over a request's rows is its net saving, a loss when it escalated.
 */
export function recordSubCall(ctx: RequestContext, store: DurableStore, call: SubCall): void {
  const cost = costPico(call.usage, call.deployment.pricing);
  store.appendLedger(
    row(ctx, `${ctx.requestId}.${call.label}`, call.deployment.name, call.deployment.provider.name, call.usage, {
      costPico: cost,
      baselinePico: 0,
      promptCachePico: uncachedCostPico(call.usage, call.deployment.pricing) - cost,
      latencyMs: Math.round(call.latencyMs * 1000) / 1000,
      status: 200,
      stream: false,
      errorKind: null,
      route: call.route,
      parentId: ctx.requestId,
      attempts: null,
      cache: null,
      technique: call.technique ?? ctx.technique ?? null,
    }),
  );
}

/** A provider charge made for no single request: storage of a Gemini context cache. */
export interface ProviderCharge {
  /** The cache (or other resource) the charge is for; it links the rows of one resource. */
  resource: string;
  reason: string;
  provider: string;
  model: string;
  pico: number;
}

let chargeSeq = 0;

/**
 * Its own ledger row: cost without baseline, counted against prompt caching (a negative share of
 * the saving), linked to the resource through parentId so it adds cost but no request.
 */
export function recordProviderCharge(store: DurableStore, c: ProviderCharge): void {
  const ts = Date.now();
  store.appendLedger({
    requestId: `${c.resource}:${c.reason}:${ts}-${++chargeSeq}`,
    ts,
    tenant: '(provider)',
    keyId: '',
    tags: [],
    ingress: 'gemini',
    endpoint: '/v1beta/cachedContents',
    requestedModel: c.model,
    servedModel: c.model,
    provider: c.provider,
    inputTokens: 0,
    cacheReadTokens: 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    outputTokens: 0,
    reasoningTokens: 0,
    costPico: c.pico,
    baselinePico: 0,
    promptCachePico: -c.pico,
    latencyMs: 0,
    status: 200,
    stream: false,
    errorKind: null,
    route: `storage:${c.reason}`,
    technique: 'prompt_cache',
    parentId: c.resource,
    attempts: null,
    cache: null,
  });
}

type RowOutcome = Pick<
  LedgerRow,
  'costPico' | 'baselinePico' | 'promptCachePico' | 'latencyMs' | 'status' | 'stream' | 'errorKind' | 'route' | 'parentId' | 'attempts' | 'cache' | 'technique'
>;

/** One literal (no spreads: this runs on every request) from what every row of a request shares and what is its own. */
function row(ctx: RequestContext, requestId: string, servedModel: string, provider: string, u: Usage, o: RowOutcome): LedgerRow {
  return {
    requestId,
    ts: ctx.receivedAt,
    tenant: ctx.caller.tenant,
    keyId: ctx.caller.keyId,
    tags: ctx.caller.tags,
    ingress: ctx.ingress,
    endpoint: ctx.endpoint,
    requestedModel: ctx.request.model,
    servedModel,
    provider,
    inputTokens: u.inputTokens,
    cacheReadTokens: u.cacheReadTokens,
    cacheWrite5mTokens: u.cacheWrite5mTokens,
    cacheWrite1hTokens: u.cacheWrite1hTokens,
    outputTokens: u.outputTokens,
    reasoningTokens: u.reasoningTokens,
    costPico: o.costPico,
    baselinePico: o.baselinePico,
    promptCachePico: o.promptCachePico,
    latencyMs: o.latencyMs,
    status: o.status,
    stream: o.stream,
    errorKind: o.errorKind,
    route: o.route,
    technique: o.technique,
    parentId: o.parentId,
    attempts: o.attempts,
    cache: o.cache,
  };
}

/**
 * Wraps a stream so the request is priced from the final `finish` usage as it passes.
 * Usage seen in `start` (input and cache counts) is kept in case the stream is cut before the end.
 */
export async function* pricedStream(ctx: RequestContext, events: AsyncIterable<StreamEvent>): AsyncGenerator<StreamEvent> {
  for await (const event of events) {
    if (event.type === 'start') price(ctx, event.usage);
    else if (event.type === 'finish') price(ctx, event.usage);
    yield event;
  }
}
