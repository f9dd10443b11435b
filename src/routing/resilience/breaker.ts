// A circuit breaker per deployment key.
//
//   closed ──(failureThreshold consecutive health failures)──▶ open
//   open ──(coolDownMs elapsed; the next acquire takes the single probe)──▶ half_open
//   half_open ──probe succeeds──▶ closed      half_open ──probe fails──▶ open (cool-down restarts)
//
// Consecutive failures rather than a failure rate over a window: it needs no per-key window of
// samples (one small record per key, cheap to keep in a shared store), and at gateway traffic
// levels N consecutive 5xx/timeouts is already a strong signal. Only failures that say something
// about the deployment count (`countsAgainstHealth`): a caller's bad request never opens a breaker.
// A probe that neither succeeds nor fails within `probeTimeoutMs` (the caller vanished) is
// treated as lost and another probe is allowed.
import type { GatewayError } from '../../core/errors.js';
import { asGatewayError, countsAgainstHealth } from './classify.js';

export type BreakerState =
  { state: 'closed'; failures: number } | { state: 'open'; openedAt: number; lastError?: string } | { state: 'half_open'; probeStartedAt: number };

/**
 * Where breaker states live. Synchronous on purpose: health is read on every request's hot path.
 * A shared (Redis) implementation keeps a local copy and syncs it in the background, the way
 * shared cooldowns usually work; a stale copy only delays an open/close by the sync interval.
 */
export interface BreakerStore {
  get(key: string): BreakerState | undefined;
  set(key: string, state: BreakerState): void;
}

export class MemoryBreakerStore implements BreakerStore {
  private readonly states = new Map<string, BreakerState>();
  get(key: string): BreakerState | undefined {
    return this.states.get(key);
  }
  set(key: string, state: BreakerState): void {
    if (state.state === 'closed' && state.failures === 0) this.states.delete(key);
    else this.states.set(key, state);
  }
}

export interface BreakerOptions {
  /** Consecutive health failures that open the breaker. */
  failureThreshold: number;
  /** How long an open breaker rejects before allowing one probe. */
  coolDownMs: number;
  /** A probe without an outcome after this long is considered lost. */
  probeTimeoutMs: number;
}

export const DEFAULT_BREAKER_OPTIONS: BreakerOptions = Object.freeze({
  failureThreshold: 5,
  coolDownMs: 30_000,
  probeTimeoutMs: 60_000,
});

export interface BreakerTransition {
  key: string;
  from: BreakerState['state'];
  to: BreakerState['state'];
}

export interface BreakerDeps {
  now: () => number;
  store?: BreakerStore;
  onTransition?: (t: BreakerTransition) => void;
}

const CLOSED: BreakerState = Object.freeze({ state: 'closed', failures: 0 });

export class CircuitBreaker {
  private readonly store: BreakerStore;
  private readonly now: () => number;
  private readonly onTransition: ((t: BreakerTransition) => void) | undefined;

  constructor(
    private readonly options: BreakerOptions = DEFAULT_BREAKER_OPTIONS,
    deps: BreakerDeps,
  ) {
    this.store = deps.store ?? new MemoryBreakerStore();
    this.now = deps.now;
    this.onTransition = deps.onTransition;
  }

  state(key: string): BreakerState {
    return this.store.get(key) ?? CLOSED;
  }

  /**
   * Could a request be sent to `key` now? No side effects: for filtering and ranking. A breaker
   * whose cool-down has elapsed (or whose probe was lost) counts as available.
   */
  isAvailable(key: string): boolean {
    const s = this.state(key);
    const now = this.now();
    switch (s.state) {
      case 'closed':
        return true;
      case 'open':
        return now - s.openedAt >= this.options.coolDownMs;
      case 'half_open':
        return now - s.probeStartedAt >= this.options.probeTimeoutMs;
    }
  }

  /**
   * Claims the right to send one request to `key`: always granted while closed; after the
   * cool-down, granted to exactly one caller (the probe), which moves the breaker to half-open.
   */
  tryAcquire(key: string): boolean {
    if (!this.isAvailable(key)) return false;
    const s = this.state(key);
    if (s.state !== 'closed') this.move(key, s, { state: 'half_open', probeStartedAt: this.now() });
    return true;
  }

  /** When the breaker of `key` lets a probe through next (ms, on the injected clock), if open. */
  reopensAt(key: string): number | undefined {
    const s = this.state(key);
    if (s.state === 'open') return s.openedAt + this.options.coolDownMs;
    if (s.state === 'half_open') return s.probeStartedAt + this.options.probeTimeoutMs;
    return undefined;
  }

  recordSuccess(key: string): void {
    const s = this.state(key);
    if (s.state === 'closed' && s.failures === 0) return;
    this.move(key, s, CLOSED);
  }

  /** Failures that do not reflect the deployment's health (see `countsAgainstHealth`) are ignored. */
  recordFailure(key: string, err: unknown): void {
    const error: GatewayError = asGatewayError(err);
    if (!countsAgainstHealth(error)) {
      // A rate-limited probe still shows a live provider: the probe is over, the circuit closes.
      if (error.status === 429 && this.state(key).state === 'half_open') this.recordSuccess(key);
      return;
    }
    const s = this.state(key);
    const now = this.now();
    const open: BreakerState = { state: 'open', openedAt: now, lastError: `${error.kind}:${error.status}` };
    switch (s.state) {
      case 'closed': {
        const failures = s.failures + 1;
        this.move(key, s, failures >= this.options.failureThreshold ? open : { state: 'closed', failures });
        return;
      }
      case 'half_open':
        this.move(key, s, open);
        return;
      case 'open':
        // A request that started before the breaker opened: the cool-down is not extended.
        return;
    }
  }

  private move(key: string, from: BreakerState, to: BreakerState): void {
    this.store.set(key, to);
    if (from.state !== to.state) this.onTransition?.({ key, from: from.state, to: to.state });
  }
}
