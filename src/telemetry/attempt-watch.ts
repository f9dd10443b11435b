// One upstream attempt as telemetry sees it: its latency and time to first event in the histograms,
// and its span. Dispatch calls exactly one of succeeded / failed.
import type { AttemptSpan } from './spans.js';
import type { UpstreamSeries } from './upstream-metrics.js';

export class AttemptWatch {
  private readonly t0 = performance.now();

  constructor(
    private readonly series: UpstreamSeries | undefined,
    private readonly span: AttemptSpan | undefined,
  ) {}

  /** A stream's first event arrived. */
  firstEvent(): void {
    const seconds = (performance.now() - this.t0) / 1000;
    this.series?.firstToken.observe(seconds);
    if (this.span !== undefined) this.span.timeToFirstToken = seconds;
  }

  /** The whole answer arrived (a stream: it ended or its reader let go). */
  succeeded(responseModel?: string): void {
    this.series?.ok.observe((performance.now() - this.t0) / 1000);
    this.span?.succeeded(responseModel);
  }

  failed(err: unknown): void {
    this.series?.error.observe((performance.now() - this.t0) / 1000);
    const span = this.span;
    if (span === undefined) return;
    const e = err as { kind?: unknown; status?: unknown; message?: unknown } | null;
    const kind = typeof e?.kind === 'string' ? e.kind : 'error';
    span.failed(kind, typeof e?.status === 'number' ? e.status : undefined, typeof e?.message === 'string' ? e.message : kind);
  }
}
