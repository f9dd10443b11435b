import { describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../../src/core/errors.js';
import { seededRandom, type ResilienceDeps } from '../../src/routing/resilience/clock.js';
import {
  backoffDelayMs,
  DEFAULT_RETRY_POLICY,
  retryDelayMs,
  runRetries,
  withRetries,
  type AttemptReport,
  type RetryEvent,
  type RetryPolicy,
} from '../../src/routing/resilience/retry.js';

function fakeDeps(random: () => number = () => 0.5): ResilienceDeps & { sleeps: number[] } {
  let t = 0;
  const sleeps: number[] = [];
  return {
    now: () => t,
    random,
    sleep: (ms) => {
      sleeps.push(ms);
      t += ms;
      return Promise.resolve();
    },
    sleeps,
  };
}

const policy: RetryPolicy = { maxRetries: 2, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterSeconds: 30 };
const e429 = (retryAfterSeconds?: number) =>
  new GatewayError({ kind: 'rate_limit', message: 'slow down', provider: 'openai', ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) });
const e503 = () => new GatewayError({ kind: 'overloaded', status: 503, message: 'busy', provider: 'openai' });
const e400 = () => new GatewayError({ kind: 'invalid_request', message: 'bad', provider: 'openai' });

function failing(errors: Error[], value = 'ok') {
  return vi.fn((): Promise<string> => {
    const e = errors.shift();
    return e ? Promise.reject(e) : Promise.resolve(value);
  });
}

describe('retry policy', () => {
  it('defaults to 2 retries with a 30 s retry-after cap', () => {
    expect(DEFAULT_RETRY_POLICY.maxRetries).toBe(2);
    expect(DEFAULT_RETRY_POLICY.maxRetryAfterSeconds).toBe(30);
  });

  it('full jitter: delay is uniform below min(max, base * 2^n)', () => {
    expect(backoffDelayMs(0, policy, () => 0.999)).toBe(99);
    expect(backoffDelayMs(2, policy, () => 0.5)).toBe(200);
    expect(backoffDelayMs(10, policy, () => 0.5)).toBe(500); // capped at maxDelayMs
    expect(backoffDelayMs(3, policy, () => 0)).toBe(0);
    const rnd = seededRandom(7);
    for (let n = 0; n < 8; n++) {
      for (let i = 0; i < 200; i++) {
        const d = backoffDelayMs(n, policy, rnd);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(Math.min(1_000, 100 * 2 ** n));
      }
    }
  });

  it('retries a retryable error up to maxRetries, then gives up with the last error', async () => {
    const deps = fakeDeps();
    const fn = failing([e503(), e503(), e503(), e503()]);
    const out = await runRetries(fn, policy, deps);
    expect(fn).toHaveBeenCalledTimes(3);
    expect(out).toMatchObject({ ok: false, reason: 'exhausted', attempts: 3 });
    expect(deps.sleeps).toEqual([50, 100]); // random 0.5 × 100, × 200
  });

  it('succeeds after transient failures and passes the attempt number', async () => {
    const deps = fakeDeps();
    const seen: number[] = [];
    const errors = [e429(), e503()];
    const value = await withRetries(
      ({ attempt }) => {
        seen.push(attempt);
        const e = errors.shift();
        return e ? Promise.reject(e) : Promise.resolve(42);
      },
      policy,
      deps,
    );
    expect(value).toBe(42);
    expect(seen).toEqual([0, 1, 2]);
  });

  it('honours retry-after as a floor on the delay', async () => {
    const deps = fakeDeps();
    const fn = failing([e429(2)]);
    await withRetries(fn, policy, deps);
    expect(deps.sleeps).toEqual([2_000]);
    expect(retryDelayMs(e429(0.01), 3, policy, () => 0.5)).toBe(400); // backoff longer than retry-after
  });

  it('does not retry on this deployment when retry-after exceeds the cap', async () => {
    const deps = fakeDeps();
    const fn = failing([e429(31)]);
    const out = await runRetries(fn, policy, deps);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(out).toMatchObject({ ok: false, reason: 'retry_after_too_long' });
    expect(deps.sleeps).toEqual([]);
    expect(retryDelayMs(e429(30), 0, policy, () => 0)).toBe(30_000); // at the cap: waited for
  });

  it('never retries a non-retryable error and rethrows it unchanged', async () => {
    const deps = fakeDeps();
    const err = e400();
    const fn = failing([err]);
    await expect(withRetries(fn, policy, deps)).rejects.toBe(err);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('treats a non-gateway throw as non-retryable', async () => {
    const fn = failing([new TypeError('boom')]);
    const out = await runRetries(fn, policy, fakeDeps());
    expect(fn).toHaveBeenCalledTimes(1);
    expect(out).toMatchObject({ ok: false, reason: 'not_retryable' });
    if (!out.ok) expect(out.error.kind).toBe('internal');
  });

  it('never retries once the stream has started', async () => {
    const deps = fakeDeps();
    const fn = vi.fn(({ commit }: { commit: () => void }) => {
      commit();
      return Promise.reject(e503());
    });
    const out = await runRetries(fn, policy, deps);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(out).toMatchObject({ ok: false, reason: 'committed' });
  });

  it('stops when the next attempt would pass maxElapsedMs', async () => {
    const deps = fakeDeps();
    const fn = failing([e429(5), e429(5)]);
    const out = await runRetries(fn, { ...policy, maxElapsedMs: 4_000 }, deps);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(out).toMatchObject({ ok: false, reason: 'deadline' });
  });

  it('stops when the caller aborts', async () => {
    const signal = { aborted: false };
    const deps = fakeDeps();
    const fn = vi.fn(() => {
      signal.aborted = true;
      return Promise.reject(e503());
    });
    const out = await runRetries(fn, policy, deps, { signal });
    expect(fn).toHaveBeenCalledTimes(1);
    expect(out).toMatchObject({ ok: false, reason: 'aborted' });
  });

  it('calls onRetry before each wait and onAttempt after each attempt', async () => {
    const deps = fakeDeps();
    const onRetry = vi.fn<(event: RetryEvent) => void>();
    const onAttempt = vi.fn<(report: AttemptReport) => void>();
    await withRetries(failing([e503(), e429(1)]), policy, deps, { onRetry, onAttempt });
    expect(onRetry.mock.calls.map(([e]) => [e.attempt, e.error.kind, e.delayMs])).toEqual([
      [0, 'overloaded', 50],
      [1, 'rate_limit', 1_000],
    ]);
    expect(onAttempt).toHaveBeenCalledTimes(3);
    expect(onAttempt.mock.calls[2]?.[0]).toMatchObject({ attempt: 2, committed: false });
    expect(onAttempt.mock.calls[2]?.[0].error).toBeUndefined();
  });
});

describe('systemDeps.sleep', () => {
  it('ends early when the signal aborts', async () => {
    const { systemDeps } = await import('../../src/routing/resilience/clock.js');
    const { Cancellation } = await import('../../src/core/cancel.js');
    const c = new Cancellation();
    const t0 = Date.now();
    const p = systemDeps.sleep(10_000, c.signal);
    setTimeout(() => c.abort(), 10);
    await p;
    expect(Date.now() - t0).toBeLessThan(2_000);
  });
});
