// The gateway's dispatch state shared by every request: breakers, load, balancing and fallback
// settings, built once from `routing` in the config.
import type { Config } from '../config/schema.js';
import {
  CircuitBreaker,
  DEFAULT_BREAKER_OPTIONS,
  LoadTracker,
  ProviderThrottle,
  systemDeps,
  type BalanceStrategy,
  type ResilienceDeps,
  type RetryPolicy,
} from '../routing/resilience/index.js';

export interface Resilience {
  readonly deps: ResilienceDeps;
  readonly breaker: CircuitBreaker;
  readonly load: LoadTracker;
  /** Deployments a provider rate limit holds back (tried after the others). */
  readonly throttle: ProviderThrottle;
  readonly retry: RetryPolicy;
  readonly balance: BalanceStrategy;
  readonly affinity: boolean;
  /** Model → fallback models, in order. */
  readonly fallbacks: Readonly<Record<string, readonly string[]>>;
}

export function createResilience(routing: Config['routing'], deps: ResilienceDeps = systemDeps): Resilience {
  const { strategy, tolerance, affinity } = routing.balance;
  const balance: BalanceStrategy = strategy === 'weighted' ? { kind: 'weighted' } : { kind: strategy, ...(tolerance !== undefined ? { tolerance } : {}) };
  return {
    deps,
    breaker: new CircuitBreaker(
      { ...DEFAULT_BREAKER_OPTIONS, failureThreshold: routing.breaker.failureThreshold, coolDownMs: routing.breaker.coolDownMs },
      { now: deps.now },
    ),
    load: new LoadTracker(),
    throttle: new ProviderThrottle(deps.now),
    retry: { ...routing.retry },
    balance,
    affinity,
    fallbacks: routing.fallbacks,
  };
}
