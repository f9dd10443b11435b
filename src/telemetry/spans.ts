// The spans of one request: a SERVER span for the request and a CLIENT span per upstream attempt
// (retries, fallbacks, cascade steps, judge calls), with the OpenTelemetry GenAI semantic
// conventions plus costwise's cost, baseline, technique and route. Token usage and cost are on the
// request span only, so that a backend summing a trace's generations (Langfuse) counts them once;
// attempt spans say which deployment was tried, for what, and how it went.
//
// A span here is a compact record — ids in a random pool, performance.now() at start and end, the
// request's summary or the attempt's outcome — not an SDK Span with an attribute map: the
// attributes are written straight from these fields when a batch is exported (otlp-protobuf.ts,
// readable-spans.ts), which keeps the request path to a few allocations.
import type { Usage } from '../core/canonical.js';
import type { Deployment } from '../config/catalog.js';
import type { SpanIds } from './span-ids.js';

/** How the request ended, for its span (the pipeline builds it from the request context). */
export interface RequestSummary {
  requestId: string;
  operation: 'chat' | 'embeddings';
  /** The model the caller asked for (`router/…` and `auto` included). */
  requestModel: string;
  /** The deployment that served, when one did. */
  deployment: Deployment | undefined;
  usage: Usage | undefined;
  costPico: number;
  baselinePico: number;
  /** Billed calls made for the request besides its answer (cascade steps, judges), on rows of their own. */
  subCallCostPico: number;
  technique: string | undefined;
  routeReason: string | undefined;
  cache: string | undefined;
  status: number;
  errorKind: string | undefined;
  stream: boolean;
}

/** What an upstream attempt was for. */
export type AttemptPurpose = 'answer' | 'cascade_step' | 'judge';

/** `gen_ai.provider.name`'s well-known values; an OpenAI-compatible upstream goes by its configured name. */
export function genAiProvider(p: Deployment['provider']): string {
  switch (p.kind) {
    case 'openai':
      return 'openai';
    case 'anthropic':
      return 'anthropic';
    case 'gemini':
      return 'gcp.gemini';
    default:
      return p.name;
  }
}

/** Where spans come from and go: the id pool, and the batch that exports finished spans. */
export interface SpanRecorder {
  readonly ids: SpanIds;
  finished(span: RequestTrace | AttemptSpan): void;
}

/** The request's span. Its trace id is at `at` in `pool`, its span id at `at + 16`, a remote parent's at `at + 24`. */
export class RequestTrace {
  readonly start = performance.now();
  end = 0;
  summary: RequestSummary | undefined = undefined;

  constructor(
    private readonly recorder: SpanRecorder,
    readonly pool: Buffer,
    readonly at: number,
    /** Continues a caller's trace (W3C traceparent): the parent's span id follows the span's own. */
    readonly remoteParent: boolean,
    readonly traceState: string | undefined,
  ) {}

  attempt(d: Deployment, purpose: AttemptPurpose): AttemptSpan {
    return new AttemptSpan(this.recorder, this, d, purpose);
  }

  finish(s: RequestSummary): void {
    this.end = performance.now();
    this.summary = s;
    this.recorder.finished(this);
  }
}

/** One upstream attempt's span, a child of its request's; its span id is at `at` in `pool`. */
export class AttemptSpan {
  readonly start = performance.now();
  end = 0;
  readonly pool: Buffer;
  readonly at: number;
  /** Seconds to the first streamed event, when it streamed. */
  timeToFirstToken: number | undefined = undefined;
  responseModel: string | undefined = undefined;
  errorType: string | undefined = undefined;
  errorStatus: number | undefined = undefined;
  errorMessage: string | undefined = undefined;

  constructor(
    private readonly recorder: SpanRecorder,
    readonly request: RequestTrace,
    readonly deployment: Deployment,
    readonly purpose: AttemptPurpose,
  ) {
    this.at = recorder.ids.take(8);
    this.pool = recorder.ids.pool;
  }

  succeeded(responseModel: string | undefined): void {
    this.responseModel = responseModel;
    this.finish();
  }

  failed(type: string, status: number | undefined, message: string): void {
    this.errorType = type;
    this.errorStatus = status;
    this.errorMessage = message;
    this.finish();
  }

  private finish(): void {
    this.end = performance.now();
    this.recorder.finished(this);
  }
}
