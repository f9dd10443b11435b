// Telemetry: Prometheus metrics (metrics.ts) and OpenTelemetry traces (tracing.ts), each optional.
// The pipeline calls this one object at the request's start and end and around each upstream
// attempt; with both off the gateway has none and pays nothing.
import type { Deployment } from '../config/catalog.js';
import { AttemptWatch } from './attempt-watch.js';
import type { GatewayMetrics } from './metrics.js';
import type { AttemptPurpose, RequestTrace } from './spans.js';
import type { Tracing } from './tracing.js';

export class Telemetry {
  constructor(
    readonly metrics: GatewayMetrics | undefined,
    readonly tracing: Tracing | undefined,
  ) {}

  /** A request arrived: counted in flight, and its span started (continuing an incoming traceparent). */
  requestStarted(headers: Readonly<Record<string, string | string[] | undefined>>): RequestTrace | undefined {
    this.metrics?.upstream.started();
    return this.tracing?.startRequest(headers);
  }

  requestEnded(): void {
    this.metrics?.upstream.ended();
  }

  attempt(d: Deployment, trace: RequestTrace | undefined, purpose: AttemptPurpose): AttemptWatch {
    return new AttemptWatch(this.metrics?.upstream.of(d), trace?.attempt(d, purpose));
  }

  async close(): Promise<void> {
    await this.tracing?.shutdown();
  }
}

export { GatewayMetrics, type BudgetRemaining, type MetricsOptions } from './metrics.js';
export { startTracing, Tracing, TracingConfigError, tracingProtocol } from './tracing.js';
export { AttemptSpan, RequestTrace, type AttemptPurpose, type RequestSummary } from './spans.js';
export { observeLedger } from './observed-store.js';
