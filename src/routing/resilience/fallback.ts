// A fallback chain: try each candidate deployment in order (primary first), with retries on each,
// skipping those whose breaker is open; move on after 429 / 5xx / timeouts / context-length /
// refused provider credentials; return any other error (the caller's fault) at once. Every attempt
// goes into a trace for the route header (`fallback:429`) and the ledger.
import { GatewayError, type ErrorKind } from '../../core/errors.js';
import type { CircuitBreaker } from './breaker.js';
import { isContextLengthError, shouldFallBack } from './classify.js';
import type { AbortLike, ResilienceDeps } from './clock.js';
import { DEFAULT_RETRY_POLICY, runRetries, type AttemptControl, type AttemptReport, type RetryEvent, type RetryPolicy } from './retry.js';

export interface Candidate {
  /** Stable deployment key: the breaker, balancer and trace all use it. */
  readonly key: string;
}

/** What happened after an attempt. */
export type AttemptNext = 'served' | 'retry' | 'fallback' | 'return' | 'skip';

export interface Attempt {
  key: string;
  /** 0-based attempt on this deployment; -1 for a skipped deployment. */
  attempt: number;
  outcome: 'ok' | 'error' | 'skipped';
  /** Error kind, or `breaker_open` for a skipped deployment. */
  kind?: ErrorKind | 'breaker_open';
  status?: number;
  code?: string | null;
  contextLength?: boolean;
  durationMs: number;
  next: AttemptNext;
}

export interface FallbackOptions {
  deps: ResilienceDeps;
  retry?: RetryPolicy;
  /** Per-candidate retry policy override (e.g. no retries for a last-resort region). */
  retryFor?: (key: string) => RetryPolicy | undefined;
  breaker?: CircuitBreaker;
  signal?: AbortLike;
  onRetry?: (key: string, event: RetryEvent) => void;
  onAttempt?: (attempt: Attempt) => void;
}

export interface FallbackSuccess<C extends Candidate, T> {
  value: T;
  served: C;
  attempts: Attempt[];
}

/** Total failure: the most relevant upstream error, with the whole trace attached. */
export class DispatchError extends GatewayError {
  readonly attempts: Attempt[];
  /** The error as the last attempt produced it (or the synthetic "no healthy deployment"). */
  readonly last: GatewayError;

  constructor(last: GatewayError, attempts: Attempt[]) {
    super({
      kind: last.kind,
      message: last.message,
      param: last.param,
      status: last.status,
      code: last.code,
      retryable: last.retryable,
      ...(last.provider !== undefined ? { provider: last.provider } : {}),
      ...(last.upstreamRequestId !== undefined ? { upstreamRequestId: last.upstreamRequestId } : {}),
      ...(last.retryAfterSeconds !== undefined ? { retryAfterSeconds: last.retryAfterSeconds } : {}),
      headers: last.headers,
    });
    this.name = 'DispatchError';
    this.last = last;
    this.attempts = attempts;
  }
}

export async function runWithFallbacks<C extends Candidate, T>(
  candidates: readonly C[],
  call: (candidate: C, control: AttemptControl) => Promise<T>,
  opts: FallbackOptions,
): Promise<FallbackSuccess<C, T>> {
  const { deps, breaker } = opts;
  const attempts: Attempt[] = [];
  const push = (a: Attempt): void => {
    attempts.push(a);
    opts.onAttempt?.(a);
  };
  let lastError: GatewayError | undefined;

  for (const candidate of candidates) {
    const key = candidate.key;
    if (breaker && !breaker.tryAcquire(key)) {
      push({ key, attempt: -1, outcome: 'skipped', kind: 'breaker_open', durationMs: 0, next: 'skip' });
      continue;
    }
    const reports: AttemptReport[] = [];
    const policy = opts.retryFor?.(key) ?? opts.retry ?? DEFAULT_RETRY_POLICY;
    const outcome = await runRetries((control) => call(candidate, control), policy, deps, {
      onAttempt: (r) => reports.push(r),
      ...(opts.onRetry ? { onRetry: (e: RetryEvent) => opts.onRetry!(key, e) } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });

    let next: AttemptNext;
    if (outcome.ok) {
      breaker?.recordSuccess(key);
      next = 'served';
    } else {
      // A caller who went away says nothing about the deployment's health.
      if (outcome.reason !== 'aborted') breaker?.recordFailure(key, outcome.error);
      lastError = outcome.error;
      const stop = outcome.reason === 'committed' || outcome.reason === 'aborted' || !shouldFallBack(outcome.error);
      next = stop ? 'return' : 'fallback';
    }
    reports.forEach((r, i) => push(toAttempt(key, r, i === reports.length - 1 ? next : 'retry')));

    if (outcome.ok) return { value: outcome.value, served: candidate, attempts };
    if (next === 'return') throw new DispatchError(outcome.error, attempts);
  }

  throw new DispatchError(lastError ?? noHealthyDeployment(candidates, breaker, deps), attempts);
}

function toAttempt(key: string, r: AttemptReport, next: AttemptNext): Attempt {
  if (!r.error) return { key, attempt: r.attempt, outcome: 'ok', durationMs: r.durationMs, next };
  return {
    key,
    attempt: r.attempt,
    outcome: 'error',
    kind: r.error.kind,
    status: r.error.status,
    code: r.error.code,
    contextLength: isContextLengthError(r.error),
    durationMs: r.durationMs,
    next,
  };
}

function noHealthyDeployment(candidates: readonly Candidate[], breaker: CircuitBreaker | undefined, deps: ResilienceDeps): GatewayError {
  const now = deps.now();
  const reopen = candidates
    .map((c) => breaker?.reopensAt(c.key))
    .filter((t): t is number => t !== undefined)
    .reduce((a, b) => Math.min(a, b), Infinity);
  return new GatewayError({
    kind: 'overloaded',
    status: 503,
    message: candidates.length === 0 ? 'no deployment can serve this model' : 'every deployment of this model is unavailable (circuit open)',
    retryable: true,
    ...(Number.isFinite(reopen) ? { retryAfterSeconds: Math.max(1, Math.ceil((reopen - now) / 1000)) } : {}),
  });
}

/**
 * The route-header reason for a served request that did not go to the first candidate (e.g.
 * `fallback:429`, `fallback:context_length`, `fallback:breaker_open`), from the first deployment
 * that was left; undefined when the first candidate served.
 */
export function fallbackReason(attempts: readonly Attempt[]): string | undefined {
  const left = attempts.find((a) => a.next === 'fallback' || a.next === 'skip');
  if (!left) return undefined;
  if (left.outcome === 'skipped') return 'fallback:breaker_open';
  if (left.contextLength) return 'fallback:context_length';
  if (left.kind === 'timeout') return 'fallback:timeout';
  return `fallback:${left.status ?? left.kind ?? 'error'}`;
}
