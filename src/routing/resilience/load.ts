// Per-deployment load signals for the balancer: requests in flight and an EWMA of latency.
// In-process only; each replica balances on what it sees itself.

export interface LoadStats {
  inFlight(key: string): number;
  /** EWMA of observed latency in ms; undefined before the first observation. */
  latencyMs(key: string): number | undefined;
}

export class LoadTracker implements LoadStats {
  private readonly active = new Map<string, number>();
  private readonly ewma = new Map<string, number>();

  /** `alpha` is the weight of each new observation (0 < alpha <= 1). */
  constructor(private readonly alpha = 0.3) {
    if (!(alpha > 0 && alpha <= 1)) throw new RangeError('alpha must be in (0, 1]');
  }

  inFlight(key: string): number {
    return this.active.get(key) ?? 0;
  }

  latencyMs(key: string): number | undefined {
    return this.ewma.get(key);
  }

  /** Counts a request in flight; call the returned function once when it ends (idempotent). */
  begin(key: string): () => void {
    this.active.set(key, this.inFlight(key) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const n = this.inFlight(key) - 1;
      if (n > 0) this.active.set(key, n);
      else this.active.delete(key);
    };
  }

  /** Latency to use: time to first byte for streams, total time otherwise. */
  observeLatency(key: string, ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    const prev = this.ewma.get(key);
    this.ewma.set(key, prev === undefined ? ms : this.alpha * ms + (1 - this.alpha) * prev);
  }
}
