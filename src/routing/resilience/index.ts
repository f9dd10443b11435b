// Dispatch that survives providers: retries, circuit breakers, fallback chains and load
// balancing with prefix affinity. Pure library modules; the pipeline wires them in.
export { systemDeps, seededRandom, type ResilienceDeps, type AbortLike } from './clock.js';
export { isRetryable, isContextLengthError, isCredentialError, shouldFallBack, countsAgainstHealth } from './classify.js';
export {
  DEFAULT_RETRY_POLICY,
  backoffDelayMs,
  retryDelayMs,
  runRetries,
  withRetries,
  type RetryPolicy,
  type AttemptControl,
  type RetryEvent,
  type RetryHooks,
  type RetryOutcome,
  type GiveUpReason,
  type AttemptReport,
} from './retry.js';
export {
  CircuitBreaker,
  MemoryBreakerStore,
  DEFAULT_BREAKER_OPTIONS,
  type BreakerState,
  type BreakerStore,
  type BreakerOptions,
  type BreakerTransition,
} from './breaker.js';
export { runWithFallbacks, fallbackReason, DispatchError, type Candidate, type Attempt, type FallbackOptions, type FallbackSuccess } from './fallback.js';
export { affinityKey, fnv1a64Hex, rendezvousScore } from './affinity.js';
export { LoadTracker, type LoadStats } from './load.js';
export {
  rankDeployments,
  pickDeployment,
  estimateRequestPico,
  type BalanceStrategy,
  type BalancedDeployment,
  type BalanceRequest,
  type BalancerDeps,
  type TokenEstimate,
} from './balancer.js';
export { ProviderThrottle } from './throttle.js';
