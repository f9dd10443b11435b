// Retries on ONE deployment: exponential backoff with full jitter, honouring an upstream's
// retry-after, only for retryable errors, never once bytes have reached the caller.
import type { GatewayError } from '../../core/errors.js';
import { asGatewayError, isRetryable } from './classify.js';
import type { AbortLike, ResilienceDeps } from './clock.js';

export interface RetryPolicy {
  /** Retries after the first attempt: attempts = maxRetries + 1. */
  maxRetries: number;
  /** Backoff before retry n (0-based) is uniform in [0, min(maxDelayMs, baseDelayMs * 2^n)). */
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * A retry-after longer than this is not waited for on this deployment: give up here so the
   * caller falls back to another one instead of holding the request.
   */
  maxRetryAfterSeconds: number;
  /** No retry whose attempt would start later than this after the first attempt started. */
  maxElapsedMs?: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxRetries: 2,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  maxRetryAfterSeconds: 30,
});

/** Handed to every attempt. */
export interface AttemptControl {
  /** 0 for the first attempt on this deployment. */
  readonly attempt: number;
  /**
   * Call once anything has been sent to the caller (a stream's first byte): a later failure is
   * then neither retried nor fallen back from, since the caller already holds part of an answer.
   */
  commit(): void;
}

export type GiveUpReason = 'not_retryable' | 'exhausted' | 'retry_after_too_long' | 'deadline' | 'committed' | 'aborted';

export interface RetryEvent {
  /** The attempt that failed (0-based); the next one is `attempt + 1`. */
  attempt: number;
  error: GatewayError;
  delayMs: number;
}

export interface AttemptReport {
  attempt: number;
  durationMs: number;
  /** Absent on success. */
  error?: GatewayError;
  committed: boolean;
}

export interface RetryHooks {
  /** Before sleeping for a retry: for logs and metrics. */
  onRetry?: (event: RetryEvent) => void;
  /** After every attempt, successful or not. */
  onAttempt?: (report: AttemptReport) => void;
  signal?: AbortLike;
}

export type RetryOutcome<T> =
  { ok: true; value: T; attempts: number } | { ok: false; error: GatewayError; thrown: unknown; reason: GiveUpReason; attempts: number };

/** Full-jitter exponential backoff for retry `retryIndex` (0-based). */
export function backoffDelayMs(retryIndex: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retryIndex);
  return Math.floor(random() * ceiling);
}

/**
 * The wait before retrying after `err`, or `null` when this deployment should not be retried
 * (its retry-after exceeds the cap). A retry-after is a floor: the jittered backoff only adds
 * spread when it is longer.
 */
export function retryDelayMs(err: GatewayError, retryIndex: number, policy: RetryPolicy, random: () => number): number | null {
  const backoff = backoffDelayMs(retryIndex, policy, random);
  const after = err.retryAfterSeconds;
  if (after === undefined || !Number.isFinite(after) || after < 0) return backoff;
  if (after > policy.maxRetryAfterSeconds) return null;
  return Math.max(Math.ceil(after * 1000), backoff);
}

/** Runs `fn` with retries and reports how it ended instead of throwing. */
export async function runRetries<T>(
  fn: (control: AttemptControl) => Promise<T>,
  policy: RetryPolicy,
  deps: ResilienceDeps,
  hooks: RetryHooks = {},
): Promise<RetryOutcome<T>> {
  const started = deps.now();
  for (let attempt = 0; ; attempt++) {
    let committed = false as boolean; // boolean: control.commit() sets it, which narrowing does not follow
    const control: AttemptControl = {
      attempt,
      commit: () => {
        committed = true;
      },
    };
    const t0 = deps.now();
    try {
      const value = await fn(control);
      hooks.onAttempt?.({ attempt, durationMs: deps.now() - t0, committed });
      return { ok: true, value, attempts: attempt + 1 };
    } catch (thrown) {
      const error = asGatewayError(thrown);
      hooks.onAttempt?.({ attempt, durationMs: deps.now() - t0, error, committed });
      const giveUp = (reason: GiveUpReason): RetryOutcome<T> => ({ ok: false, error, thrown, reason, attempts: attempt + 1 });
      if (committed) return giveUp('committed');
      if (hooks.signal?.aborted) return giveUp('aborted');
      if (!isRetryable(error)) return giveUp('not_retryable');
      if (attempt >= policy.maxRetries) return giveUp('exhausted');
      const delayMs = retryDelayMs(error, attempt, policy, deps.random);
      if (delayMs === null) return giveUp('retry_after_too_long');
      if (policy.maxElapsedMs !== undefined && deps.now() + delayMs - started > policy.maxElapsedMs) return giveUp('deadline');
      hooks.onRetry?.({ attempt, error, delayMs });
      await deps.sleep(delayMs, hooks.signal);
      if (hooks.signal?.aborted) return giveUp('aborted');
    }
  }
}

/** Runs `fn` with retries; on giving up rethrows what the last attempt threw. */
export async function withRetries<T>(
  fn: (control: AttemptControl) => Promise<T>,
  policy: RetryPolicy,
  deps: ResilienceDeps,
  hooks: RetryHooks = {},
): Promise<T> {
  const outcome = await runRetries(fn, policy, deps, hooks);
  if (outcome.ok) return outcome.value;
  throw outcome.thrown;
}
