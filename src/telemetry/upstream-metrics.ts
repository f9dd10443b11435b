// Upstream latency and time to first token per deployment, and the requests in flight. Each
// deployment's histogram series are bound once and kept, so an attempt only counts (bucket-histogram.ts).
import { Gauge, type Registry } from 'prom-client';
import { BucketHistogram } from './bucket-histogram.js';
import type { Deployment } from '../config/catalog.js';

/** One deployment's bound histogram children. */
export interface UpstreamSeries {
  ok: { observe(seconds: number): void };
  error: { observe(seconds: number): void };
  firstToken: { observe(seconds: number): void };
}

// Loopback emulators answer in a millisecond; real providers take from 100 ms to minutes.
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const FIRST_TOKEN_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];

export class UpstreamMetrics {
  private readonly series = new Map<string, UpstreamSeries>();
  private readonly duration: BucketHistogram<'model' | 'provider' | 'outcome'>;
  private readonly firstToken: BucketHistogram<'model' | 'provider'>;
  private inFlight = 0;

  constructor(registry: Registry) {
    const registers = [registry];
    this.duration = new BucketHistogram({
      name: 'costwise_upstream_duration_seconds',
      help: 'One upstream attempt, from sending to the whole answer (a stream: to its end), by outcome: ok or error.',
      labelNames: ['model', 'provider', 'outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.firstToken = new BucketHistogram({
      name: 'costwise_time_to_first_token_seconds',
      help: 'A streamed upstream attempt, from sending to its first event.',
      labelNames: ['model', 'provider'],
      buckets: FIRST_TOKEN_BUCKETS,
      registers,
    });
    const inFlight = (): number => this.inFlight;
    new Gauge({
      name: 'costwise_requests_in_flight',
      help: 'Requests received and not yet settled (streams until their last event).',
      registers,
      collect() {
        this.set(inFlight());
      },
    });
  }

  of(d: Deployment): UpstreamSeries {
    let s = this.series.get(d.key);
    if (s === undefined) {
      const model = d.name;
      const provider = d.provider.name;
      s = {
        ok: this.duration.labels(model, provider, 'ok'),
        error: this.duration.labels(model, provider, 'error'),
        firstToken: this.firstToken.labels(model, provider),
      };
      this.series.set(d.key, s);
    }
    return s;
  }

  started(): void {
    this.inFlight++;
  }

  ended(): void {
    this.inFlight--;
  }
}
