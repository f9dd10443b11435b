// The ledger rows a request leaves: its own (recordLedger, written by settle), the billed calls made
// on its behalf (recordSubCall: a cascade's rejected answer, a judge, a semantic-cache embedding),
// and provider charges made for no single request (recordProviderCharge). Every row — batch items'
// too — is put together by ledgerRow, so token classes and money are spelt the same way.
import { cacheKey } from '../cache/exact/key.js';
import { ZERO_USAGE, type Usage } from '../core/canonical.js';
import type { GatewayError } from '../core/errors.js';
import { costPico, uncachedCostPico } from '../cost/calculate.js';
import type { Deployment } from '../config/catalog.js';
import type { DurableStore, LedgerRow } from '../storage/types.js';
import type { Caller, RequestContext } from './context.js';

export interface LedgerOutcome {
  status: number;
  error?: GatewayError | undefined;
}

export function recordLedger(ctx: RequestContext, store: DurableStore, outcome: LedgerOutcome): void {
  const s = ctx.settlement;
  const d = ctx.deployment;
  store.appendLedger(
    ledgerRow({
      requestId: ctx.requestId,
      ts: ctx.receivedAt,
      caller: ctx.caller,
      ingress: ctx.ingress,
      endpoint: ctx.endpoint,
      requestedModel: ctx.request.model,
      servedModel: d?.name ?? '',
      provider: d?.provider.name ?? '',
      usage: s?.usage ?? ZERO_USAGE,
      charge: s ?? NO_CHARGE,
      latencyMs: Math.round((performance.now() - ctx.startedAt) * 1000) / 1000,
      status: outcome.status,
      stream: ctx.request.stream,
      errorKind: outcome.error?.kind ?? null,
      route: ctx.routeReason ?? '',
      technique: ctx.cacheVerify?.sampledHit ? 'cache_verify' : (ctx.technique ?? null),
      parentId: null,
      attempts: ctx.attempts ?? null,
      cache: ctx.cacheResult ?? null,
      promptTokensRemoved: ctx.promptTokensRemoved ?? 0,
      promptHash: d ? promptHash(ctx) : null,
      maxTokens: ctx.request.maxTokens ?? null,
      stopReason: ctx.outcome?.kind === 'complete' ? ctx.outcome.response.stopReason : (ctx.streamStopReason ?? null),
    }),
  );
}

/**
 * The request's exact response-cache key (its own when the cache was consulted), shortened: equal
 * hashes are exact repeats, which the advisor counts to propose the cache where it is off. Scoped
 * by credential, the cache's default, so a repeat is one the default cache would have answered.
 */
function promptHash(ctx: RequestContext): string {
  const key = ctx.cachePlan?.key ?? cacheKey(ctx.request, { tenant: `${ctx.caller.tenant}/${ctx.caller.keyId}`, model: ctx.request.model });
  return key.slice(0, PROMPT_HASH_HEX);
}

/** 128 bits: no accidental collision within any ledger. */
const PROMPT_HASH_HEX = 32;

const NO_CHARGE = { costPico: 0, baselinePico: 0, promptCachePico: 0 };

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
  ctx.subCallCostPico += cost;
  store.appendLedger(
    ledgerRow({
      requestId: `${ctx.requestId}.${call.label}`,
      ts: ctx.receivedAt,
      caller: ctx.caller,
      ingress: ctx.ingress,
      endpoint: ctx.endpoint,
      requestedModel: ctx.request.model,
      servedModel: call.deployment.name,
      provider: call.deployment.provider.name,
      usage: call.usage,
      charge: { costPico: cost, baselinePico: 0, promptCachePico: uncachedCostPico(call.usage, call.deployment.pricing) - cost },
      latencyMs: Math.round(call.latencyMs * 1000) / 1000,
      status: 200,
      stream: false,
      errorKind: null,
      route: call.route,
      technique: call.technique ?? ctx.technique ?? null,
      parentId: ctx.requestId,
      attempts: null,
      cache: null,
      promptTokensRemoved: 0,
      promptHash: null,
      maxTokens: null,
      stopReason: null,
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
  store.appendLedger(
    ledgerRow({
      requestId: `${c.resource}:${c.reason}:${ts}-${++chargeSeq}`,
      ts,
      caller: PROVIDER_CALLER,
      ingress: 'gemini',
      endpoint: '/v1beta/cachedContents',
      requestedModel: c.model,
      servedModel: c.model,
      provider: c.provider,
      usage: ZERO_USAGE,
      charge: { costPico: c.pico, baselinePico: 0, promptCachePico: -c.pico },
      latencyMs: 0,
      status: 200,
      stream: false,
      errorKind: null,
      route: `storage:${c.reason}`,
      technique: 'prompt_cache',
      parentId: c.resource,
      attempts: null,
      cache: null,
      promptTokensRemoved: 0,
      promptHash: null,
      maxTokens: null,
      stopReason: null,
    }),
  );
}

const PROVIDER_CALLER = { tenant: '(provider)', keyId: '', tags: [] };

/** Cost, baseline and prompt caching's share, in integer pico-dollars. */
export interface Charge {
  costPico: number;
  baselinePico: number;
  promptCachePico: number;
}

export type LedgerRowInput = Omit<
  LedgerRow,
  | 'tenant'
  | 'keyId'
  | 'tags'
  | 'inputTokens'
  | 'cacheReadTokens'
  | 'cacheWrite5mTokens'
  | 'cacheWrite1hTokens'
  | 'outputTokens'
  | 'reasoningTokens'
  | 'costPico'
  | 'baselinePico'
  | 'promptCachePico'
> & { caller: Caller; usage: Usage; charge: Charge };

/** One literal, no spreads: this runs on every request. */
export function ledgerRow(r: LedgerRowInput): LedgerRow {
  const u = r.usage;
  return {
    requestId: r.requestId,
    ts: r.ts,
    tenant: r.caller.tenant,
    keyId: r.caller.keyId,
    tags: r.caller.tags,
    ingress: r.ingress,
    endpoint: r.endpoint,
    requestedModel: r.requestedModel,
    servedModel: r.servedModel,
    provider: r.provider,
    inputTokens: u.inputTokens,
    cacheReadTokens: u.cacheReadTokens,
    cacheWrite5mTokens: u.cacheWrite5mTokens,
    cacheWrite1hTokens: u.cacheWrite1hTokens,
    outputTokens: u.outputTokens,
    reasoningTokens: u.reasoningTokens,
    costPico: r.charge.costPico,
    baselinePico: r.charge.baselinePico,
    promptCachePico: r.charge.promptCachePico,
    promptTokensRemoved: r.promptTokensRemoved,
    promptHash: r.promptHash,
    maxTokens: r.maxTokens,
    stopReason: r.stopReason,
    latencyMs: r.latencyMs,
    status: r.status,
    stream: r.stream,
    errorKind: r.errorKind,
    route: r.route,
    technique: r.technique,
    parentId: r.parentId,
    attempts: r.attempts,
    cache: r.cache,
  };
}
