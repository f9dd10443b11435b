// The typed request context that flows through the pipeline's stages (src/pipeline/index.ts holds
// the list, with what each stage reads and writes). Fields are grouped by the stage that sets them;
// a field a stage needs from an earlier one is read through `need`, which names the stage missing.
import {
  emptyRequest,
  type CanonicalRequest,
  type CanonicalResponse,
  type EmbeddingRequest,
  type EmbeddingResponse,
  type StopReason,
  type StreamEvent,
  type Usage,
  type WireFormat,
} from '../core/canonical.js';
import type { GatewayError } from '../core/errors.js';
import type { Deployment } from '../config/catalog.js';
import { Cancellation } from '../core/cancel.js';
import type { StreamCollector } from '../core/stream-collect.js';
import { extractFeatures, type RequestFeatures } from '../routing/policy/features.js';
import type { LedgerAttempt } from '../storage/types.js';
import type { CompiledCascadeRouter } from '../routing/routers/compile.js';
import type { PlannerMode } from '../promptcache/index.js';
import type { KeyRecord, TeamRecord, Permit, Reservation, BudgetScope } from '../governance/index.js';
import type { CachePlan, CacheVerification } from './cache-plan.js';
import type { RequestTrace } from '../telemetry/index.js';

/** Set by route for a cascade router: the capable steps, cheapest first. */
export interface CascadePlan {
  router: CompiledCascadeRouter;
  steps: Deployment[];
  /** How the request reached the router (`requested`, `rule:<name>`). */
  via: string;
}

export interface Caller {
  tenant: string;
  /** The virtual key's id, or (auth: open) a short, non-reversible id of the credential — never the secret. */
  keyId: string;
  tags: string[];
  /** With `auth: keys`: the key the caller authenticated with, and its team chain (nearest first). */
  key?: Readonly<KeyRecord>;
  teams?: readonly Readonly<TeamRecord>[];
}

/** A request accepted to run later in a provider batch (`x-costwise-defer` or a deferral rule). */
export interface DeferredJob {
  jobId: string;
  batchId: string;
  /** Epoch ms by which the job will have run. */
  notAfter: number;
}

/** What the request amounts to, once a stage has answered it. */
export type Outcome =
  | { kind: 'complete'; response: CanonicalResponse }
  | { kind: 'stream'; events: AsyncIterable<StreamEvent> }
  | { kind: 'embeddings'; response: EmbeddingResponse; request: EmbeddingRequest }
  | { kind: 'deferred'; job: DeferredJob };

export interface Settlement {
  usage: Usage;
  costPico: number;
  /** The request as sent with no optimisation: no-cache prices on the model asked for. */
  baselinePico: number;
  /** Prompt caching's share of the saving: the no-cache cost on the served model − the cost. */
  promptCachePico: number;
}

/** How the request ended for its caller; settle records it. */
export interface Exit {
  /** The status the caller saw: 499 when it went away first. */
  status: number;
  error?: GatewayError | undefined;
  /** false when the request leaves no ledger row now (deferred: its job's row comes when it runs). */
  record: boolean;
}

/**
 * Records how the request ended — its ledger row. The answer's last byte waits for the promise it
 * returns (the row on local disk: the spool writes once per event-loop turn), so a row is durable
 * before its response finishes.
 */
export type Seal = (ctx: RequestContext, exit: Exit) => Promise<void> | undefined;

/**
 * Where the answer goes: the caller's HTTP connection in its wire format, or a batch item's stored
 * result. `send` delivers the outcome (a stream to its end) and says how it ended; `fail` answers
 * an error raised before anything was sent. Both call `seal` once, just before the write that
 * ends the answer.
 */
export interface Responder {
  send(ctx: RequestContext, outcome: Outcome, seal: Seal): Promise<Exit>;
  fail(ctx: RequestContext, err: GatewayError, seal: Seal): Exit;
}

/**
 * Reads a surface's body into the canonical request when it is not its wire format's chat body: the
 * Responses API's input items, which may name stored responses (hence async, and given the caller).
 */
export type BodyParser = (body: unknown, ctx: RequestContext) => Promise<CanonicalRequest>;

/** The request as it arrived, before any stage: headers and a body read on demand. */
export interface Inbound {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The raw body, read within the configured size limit. */
  body(): Promise<Buffer>;
}

export interface RequestContext {
  // ── arrival (createContext) ──
  readonly requestId: string;
  /** Epoch ms at arrival (ledger time). */
  readonly receivedAt: number;
  /** performance.now() at arrival (latency). */
  readonly startedAt: number;
  readonly ingress: WireFormat;
  readonly endpoint: string;
  readonly inbound: Inbound;
  readonly responder: Responder;
  /** The surface's own body parser (POST /v1/responses); unset: the ingress format's chat body. */
  readonly parser: BodyParser | undefined;
  /** Headers forwarded to the upstream (emulator controls, `anthropic-beta`). */
  readonly forwardHeaders: Record<string, string>;
  /** Translation notes shown to the caller in `x-costwise-warnings`. */
  readonly warnings: string[];
  readonly abort: Cancellation;
  /** The request's span when tracing is on (settle starts and ends it; dispatch adds attempts). */
  trace?: RequestTrace | undefined;

  // ── authenticate ──
  caller: Caller;

  // ── parse ──
  /** The parsed JSON body as sent (deferral stores it as the batch item's body). */
  body: unknown;
  request: CanonicalRequest;
  /** Embeddings requests: the parsed request (`request` then only carries its model). */
  embedding?: EmbeddingRequest;
  /** What routing and cache rules look at; computed on first use (`featuresOf`). */
  features?: RequestFeatures;

  // ── defer ──
  /** `flex`: a deferrable request answered now on the flex-tier twins of the candidate deployments; the rule's name. */
  serviceTier?: { tier: 'flex'; rule: string };

  // ── response cache ──
  /** Set when the answer may be stored. */
  cachePlan?: CachePlan;
  /** What the response cache did for this request. */
  cacheResult?: 'hit-exact' | 'hit-semantic' | 'miss';
  /** A streamed miss is collected so that its whole answer can be stored. */
  cacheCollector?: StreamCollector;
  /** A semantic lookup whose fresh answer is compared with the cached one at settle. */
  cacheVerify?: CacheVerification;
  /** On a semantic hit: the similarity of the question it was matched with. */
  semanticSimilarity?: number;
  /** On a cache hit: the usage the cached answer cost when it was made (prices the baseline). */
  cachedUsage?: Usage;

  // ── route (dispatch updates deployment and routeReason) ──
  /** The chosen model (its primary deployment); after dispatch, the deployment that served. */
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
  cascade?: CascadePlan;

  // ── admit and reserve ──
  /** The rate limits' admission, corrected to the actual tokens at settle. */
  permit?: Permit;
  /** The budget reservation, settled to the actual cost (or released) at settle. */
  reservation?: Reservation;
  /** The budgets the request counts against (for alerts, and charged afterwards when the shared state was down and `failMode: open`). */
  budgetScopes?: readonly BudgetScope[];
  /** True when the budgets were not checked because the shared state was down (`failMode: open`). */
  unreserved?: boolean;
  /** Cost of billed calls made for the request besides its answer (cascade steps, judges, embeddings). */
  subCallCostPico: number;

  // ── prompt optimize ──
  /** Prompt tokens the optimisation removed (routed model's tokenizer); priced back into the baseline. */
  promptTokensRemoved?: number;

  // ── price (a stream as it passes) ──
  /** How a streamed answer ended, from its `finish` event (a complete answer carries its own). */
  streamStopReason?: StopReason;

  // ── prompt-cache plan ──
  /** The route's prompt-cache mode; dispatch applies it to every attempt. */
  promptCacheMode?: PlannerMode | 'off';
  /** Anthropic breakpoint plans, per deployment key (a retry on the same deployment reuses its plan). */
  promptCachePlans?: Map<string, { request: CanonicalRequest; commit: () => void; summary: string }>;
  /** What the prompt-cache planner did for the deployment tried last: `x-costwise-prompt-cache`. */
  promptCacheSummary?: string;

  // ── dispatch ──
  /** Upstream attempts when there was more than one (retries, fallbacks, cascade steps). */
  attempts?: LedgerAttempt[];
  /** Why each rejected cascade step was rejected, for `x-costwise-cascade`. */
  escalations?: string[];
  /** The answer (dispatch, a cache hit or deferral). */
  outcome?: Outcome;
  upstreamHeaders: Record<string, string>;
  /** The cost, once the final usage is known (a stream's as it ends). */
  settlement?: Settlement;

  // ── respond ──
  exit?: Exit;
  /** Set once the ledger row is written (sealed before the answer ended, or by settle). */
  recorded?: boolean;
  error?: GatewayError;
}

export interface NewContext {
  requestId: string;
  ingress: WireFormat;
  endpoint: string;
  /** Default: nothing to read (batch items, planning). */
  inbound?: Inbound;
  /** Default: none (a context that is only routed, never answered). */
  responder?: Responder;
  /** Default: the ingress format's chat body parser. */
  parser?: BodyParser;
  /** Until authenticate runs (batch items: the batch's caller). */
  caller: Caller;
  forwardHeaders: Record<string, string>;
  /** Arrival time in epoch ms; default now (trace replay passes its simulated clock). */
  receivedAt?: number;
}

/** Nothing to read: the request was parsed elsewhere (a batch item at submission). */
export const NO_INBOUND: Inbound = { headers: {}, body: () => Promise.resolve(Buffer.alloc(0)) };

const NO_RESPONDER: Responder = {
  send: () => Promise.reject(new Error('costwise: this request context has no responder')),
  fail: (_ctx, error) => ({ status: error.status, error, record: false }),
};

/** A context for a request that has arrived but not yet been parsed. */
export function createContext(init: NewContext): RequestContext {
  // One literal, no spread: this runs on every request.
  return {
    requestId: init.requestId,
    ingress: init.ingress,
    endpoint: init.endpoint,
    inbound: init.inbound ?? NO_INBOUND,
    responder: init.responder ?? NO_RESPONDER,
    parser: init.parser,
    caller: init.caller,
    forwardHeaders: init.forwardHeaders,
    receivedAt: init.receivedAt ?? Date.now(),
    startedAt: performance.now(),
    body: undefined,
    request: emptyRequest(init.ingress),
    warnings: [],
    abort: new Cancellation(),
    upstreamHeaders: {},
    subCallCostPico: 0,
  };
}

/** An unset field a stage needs: a bug in the stage order, named as such. */
export function need<T>(value: T | undefined, field: string, setBy: string): T {
  if (value === undefined) throw new Error(`pipeline order: ${field} is set by ${setBy}, which has not run`);
  return value;
}

/** The request's routing features, extracted once on first use (cache rules, deferral, route). */
export function featuresOf(ctx: RequestContext): RequestFeatures {
  return (ctx.features ??= extractFeatures(ctx.request, ctx.caller));
}
