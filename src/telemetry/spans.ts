// The spans of one request: a SERVER span for the request and a CLIENT span per upstream attempt
// (retries, fallbacks, cascade steps, judge calls), with the OpenTelemetry GenAI semantic
// conventions plus costwise's cost, baseline, technique and route. Token usage and cost are on the
// request span only, so that a backend summing a trace's generations (Langfuse) counts them once;
// attempt spans say which deployment was tried, for what, and how it went. The gen_ai.* names are still
// "development" in semconv, so they are spelt here rather than imported from its incubating entry.
import { SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { Usage } from '../core/canonical.js';
import type { Deployment } from '../config/catalog.js';
import { PICO_PER_USD } from '../cost/money.js';

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

export class RequestTrace {
  readonly span: Span;
  private readonly context: Context;

  constructor(
    private readonly tracer: Tracer,
    parent: Context,
  ) {
    this.span = tracer.startSpan('chat', { kind: SpanKind.SERVER }, parent);
    this.context = trace.setSpan(parent, this.span);
  }

  attempt(d: Deployment, purpose: AttemptPurpose): Span {
    return this.tracer.startSpan(
      `chat ${d.upstreamModel}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': genAiProvider(d.provider),
          'gen_ai.request.model': d.upstreamModel,
          'costwise.deployment': d.key,
          'costwise.attempt.purpose': purpose,
        },
      },
      this.context,
    );
  }

  end(s: RequestSummary): void {
    const span = this.span;
    span.updateName(`${s.operation} ${s.requestModel}`);
    span.setAttribute('gen_ai.operation.name', s.operation);
    span.setAttribute('gen_ai.request.model', s.requestModel);
    span.setAttribute('costwise.request_id', s.requestId);
    if (s.stream) span.setAttribute('costwise.stream', true);
    span.setAttribute('http.response.status_code', s.status);
    if (s.deployment !== undefined) {
      span.setAttribute('gen_ai.provider.name', genAiProvider(s.deployment.provider));
      span.setAttribute('gen_ai.response.model', s.deployment.name);
      span.setAttribute('costwise.provider', s.deployment.provider.name);
    }
    if (s.usage !== undefined) setUsage(span, s.usage);
    const cost = s.costPico / PICO_PER_USD;
    span.setAttribute('costwise.cost_usd', cost);
    // Langfuse reads a generation's cost from gen_ai.usage.cost.
    span.setAttribute('gen_ai.usage.cost', cost);
    if (s.subCallCostPico > 0) span.setAttribute('costwise.subcalls_cost_usd', s.subCallCostPico / PICO_PER_USD);
    span.setAttribute('costwise.baseline_usd', s.baselinePico / PICO_PER_USD);
    span.setAttribute('costwise.technique', s.technique ?? 'none');
    if (s.routeReason !== undefined) span.setAttribute('costwise.route_reason', s.routeReason);
    if (s.cache !== undefined) span.setAttribute('costwise.cache', s.cache);
    if (s.errorKind !== undefined) {
      span.setAttribute('error.type', s.errorKind);
      span.setStatus({ code: SpanStatusCode.ERROR, message: s.errorKind });
    }
    span.end();
  }
}

/** `gen_ai.usage.input_tokens` counts every input token, cached or not, as the conventions ask. */
export function setUsage(span: Span, u: Usage): void {
  const cacheWrite = u.cacheWrite5mTokens + u.cacheWrite1hTokens;
  span.setAttribute('gen_ai.usage.input_tokens', u.inputTokens + u.cacheReadTokens + cacheWrite);
  span.setAttribute('gen_ai.usage.output_tokens', u.outputTokens);
  span.setAttribute('gen_ai.usage.cache_read.input_tokens', u.cacheReadTokens);
  span.setAttribute('gen_ai.usage.cache_creation.input_tokens', cacheWrite);
  if (u.reasoningTokens > 0) span.setAttribute('gen_ai.usage.reasoning.output_tokens', u.reasoningTokens);
}
