// Finished spans wait here and leave in batches, by a timer, off the request path — what the SDK's
// BatchSpanProcessor does, for costwise's span records, with the same OTEL_BSP_* settings: a batch
// every OTEL_BSP_SCHEDULE_DELAY ms (or as soon as one is full), at most OTEL_BSP_MAX_QUEUE_SIZE
// spans waiting (more are dropped rather than queued without bound when the backend is slow).
import type { ExportResult } from '@opentelemetry/core';
import { SpanIds } from './span-ids.js';
import type { AttemptSpan, RequestTrace, SpanRecorder } from './spans.js';

export type Env = Readonly<Record<string, string | undefined>>;

export type RecordedSpan = RequestTrace | AttemptSpan;

/** Where batches go: the OTLP/HTTP transport, or a test's collector. */
export interface SpanRecordExporter {
  export(spans: RecordedSpan[], done: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
}

export interface BatchOptions {
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
}

function positive(env: Env, name: string, fallback: number): number {
  const n = Number(env[name]?.trim() || NaN);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

export function batchOptionsFromEnv(env: Env): BatchOptions {
  const maxQueueSize = positive(env, 'OTEL_BSP_MAX_QUEUE_SIZE', 2048) || 2048;
  return {
    maxQueueSize,
    maxExportBatchSize: Math.min(positive(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512) || 512, maxQueueSize),
    scheduledDelayMillis: positive(env, 'OTEL_BSP_SCHEDULE_DELAY', 5000),
    exportTimeoutMillis: positive(env, 'OTEL_BSP_EXPORT_TIMEOUT', 30000),
  };
}

export class SpanBatcher implements SpanRecorder {
  readonly ids = new SpanIds();
  private queue: RecordedSpan[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly exporter: SpanRecordExporter,
    private readonly options: BatchOptions,
  ) {}

  finished(span: RecordedSpan): void {
    const queue = this.queue;
    if (queue.length >= this.options.maxQueueSize) return;
    queue.push(span);
    // A full batch leaves on the next turn of the event loop (once: later spans join it), else by the timer.
    if (queue.length === this.options.maxExportBatchSize) setImmediate(() => this.exportQueued());
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.exportQueued(), this.options.scheduledDelayMillis);
      this.timer.unref();
    }
  }

  /** Exports everything waiting and waits for every export under way. */
  async flush(): Promise<void> {
    this.exportQueued();
    await Promise.all([...this.inFlight]);
  }

  async shutdown(): Promise<void> {
    await this.flush();
    await this.exporter.shutdown();
  }

  private exportQueued(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const queue = this.queue;
    this.queue = [];
    const size = this.options.maxExportBatchSize;
    for (let i = 0; i < queue.length; i += size) this.exportBatch(i === 0 && queue.length <= size ? queue : queue.slice(i, i + size));
  }

  private exportBatch(batch: RecordedSpan[]): void {
    const done = new Promise<void>((resolve) => {
      const timeout = setTimeout(resolve, this.options.exportTimeoutMillis);
      timeout.unref();
      try {
        // A failed export is the transport's to report (OpenTelemetry's diag); the spans are dropped.
        this.exporter.export(batch, () => {
          clearTimeout(timeout);
          resolve();
        });
      } catch {
        clearTimeout(timeout);
        resolve();
      }
    });
    this.inFlight.add(done);
    void done.then(() => this.inFlight.delete(done));
  }
}
