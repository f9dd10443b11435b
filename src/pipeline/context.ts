// The typed request context that flows through the pipeline stages.
import { emptyRequest, type CanonicalRequest, type CanonicalResponse, type StreamEvent, type Usage, type WireFormat } from '../core/canonical.js';
import type { GatewayError } from '../core/errors.js';
import type { Deployment } from '../config/catalog.js';
import { Cancellation } from '../core/cancel.js';
import type { RequestFeatures } from '../routing/policy/features.js';
import type { LedgerAttempt } from '../storage/types.js';
import type { CompiledCascadeRouter } from '../routing/routers/compile.js';
import type { CachePlan } from './cache.js';

/** Set by route for a cascade router: the capable steps, cheapest first. */
export interface CascadePlan {
  router: CompiledCascadeRouter;
  steps: Deployment[];
  /** How the request reached the router (`requested`, `rule:<name>`). */
  via: string;
}

export interface Caller {
  tenant: string;
  /** Short, non-reversible id of the caller's credential (never the key itself). */
  keyId: string;
  tags: string[];
}

export type Outcome = { kind: 'complete'; response: CanonicalResponse } | { kind: 'stream'; events: AsyncIterable<StreamEvent> };

export interface Settlement {
  usage: Usage;
  costPico: number;
  /** The request as sent with no optimisation: no-cache prices on the model asked for. */
  baselinePico: number;
  /** Prompt caching's share of the saving: the no-cache cost on the served model − the cost. */
  promptCachePico: number;
}

export interface RequestContext {
  readonly requestId: string;
  /** Epoch ms at arrival (ledger time). */
  readonly receivedAt: number;
  /** performance.now() at arrival (latency). */
  readonly startedAt: number;
  readonly ingress: WireFormat;
  readonly endpoint: string;
  readonly caller: Caller;
  request: CanonicalRequest;
  /** Headers forwarded to the upstream (emulator controls). */
  readonly forwardHeaders: Record<string, string>;
  /** Translation notes shown to the caller in `x-costwise-warnings`. */
  readonly warnings: string[];
  readonly abort: Cancellation;
  /** Set by route: what routing decisions look at. */
  features?: RequestFeatures;
  /** Set by route to the chosen model (its primary deployment); by dispatch to the deployment that served. */
  deployment?: Deployment;
  /** Why that deployment serves (`requested`, `rule:<name>->model`, `auto->model`): `x-costwise-route`. */
  routeReason?: string;
  /**
   * The model the caller asked for, when routing served another one: the baseline is this
   * request's usage at that model's prices. Unset when served as asked, or for `auto` / tiers
   * (no model was asked for, so no saving is claimed).
   */
  requestedDeployment?: Deployment;
  /** The technique the saving is attributed to (`routing`, `cascade`); unset when served as asked. */
  technique?: string;
  /** Upstream attempts when there was more than one (retries, fallbacks, cascade steps). */
  attempts?: LedgerAttempt[];
  cascade?: CascadePlan;
  /** Set by the cache stage when the answer may be stored. */
  cachePlan?: CachePlan;
  /** Set by the cache stage: what the response cache did for this request. */
  cacheResult?: 'hit-exact' | 'hit-semantic' | 'miss';
  /** Anthropic breakpoint plans, per deployment key (a retry on the same deployment reuses its plan). */
  promptCachePlans?: Map<string, { request: CanonicalRequest; commit: () => void; summary: string }>;
  /** What the prompt-cache planner did for the deployment tried last: `x-costwise-prompt-cache`. */
  promptCacheSummary?: string;
  /** On a semantic hit: the similarity of the question it was matched with. */
  semanticSimilarity?: number;
  /** On a cache hit: the usage the cached answer cost when it was made (prices the baseline). */
  cachedUsage?: Usage;
  /** Why each rejected cascade step was rejected, for `x-costwise-cascade`. */
  escalations?: string[];
  /** Set by dispatch. */
  outcome?: Outcome;
  upstreamHeaders: Record<string, string>;
  /** Set by settle once the final usage is known. */
  settlement?: Settlement;
  error?: GatewayError;
}

export interface NewContext {
  requestId: string;
  ingress: WireFormat;
  endpoint: string;
  caller: Caller;
  forwardHeaders: Record<string, string>;
  /** Arrival time in epoch ms; default now (trace replay passes its simulated clock). */
  receivedAt?: number;
}

/** A context for a request that has arrived but not yet been parsed. */
export function createContext(init: NewContext): RequestContext {
  // One literal, no spread: this runs on every request.
  return {
    requestId: init.requestId,
    ingress: init.ingress,
    endpoint: init.endpoint,
    caller: init.caller,
    forwardHeaders: init.forwardHeaders,
    receivedAt: init.receivedAt ?? Date.now(),
    startedAt: performance.now(),
    request: emptyRequest(init.ingress),
    warnings: [],
    abort: new Cancellation(),
    upstreamHeaders: {},
  };
}
