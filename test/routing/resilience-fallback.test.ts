import { describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../../src/core/errors.js';
import { CircuitBreaker } from '../../src/routing/resilience/breaker.js';
import { isContextLengthError, shouldFallBack } from '../../src/routing/resilience/classify.js';
import type { ResilienceDeps } from '../../src/routing/resilience/clock.js';
import { DispatchError, fallbackReason, runWithFallbacks, type Candidate } from '../../src/routing/resilience/fallback.js';
import type { AttemptControl, RetryPolicy } from '../../src/routing/resilience/retry.js';
import { rejectionOf } from '../helpers/assert.js';

function fakeDeps(): ResilienceDeps & { advance(ms: number): void } {
  let t = 0;
  return {
    now: () => t,
    random: () => 0.5,
    sleep: (ms) => {
      t += ms;
      return Promise.resolve();
    },
    advance: (ms) => (t += ms),
  };
}

const retry: RetryPolicy = { maxRetries: 2, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterSeconds: 30 };
const err = {
  r429: (retryAfterSeconds?: number) =>
    new GatewayError({ kind: 'rate_limit', message: 'rate', provider: 'p', ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) }),
  r500: () => new GatewayError({ kind: 'upstream_error', status: 500, message: 'oops', provider: 'p' }),
  r503: () => new GatewayError({ kind: 'overloaded', status: 503, message: 'busy', provider: 'p' }),
  timeout: () => new GatewayError({ kind: 'timeout', message: 'timed out', provider: 'p' }),
  bad: () => new GatewayError({ kind: 'invalid_request', message: 'temperature must be <= 2', param: 'temperature', provider: 'p' }),
  ctx: () => new GatewayError({ kind: 'invalid_request', message: 'too long', code: 'context_length_exceeded', provider: 'p' }),
  ctxAnthropic: () => new GatewayError({ kind: 'invalid_request', message: 'prompt is too long: 210000 tokens > 200000 maximum', provider: 'p' }),
  masked: () => new GatewayError({ kind: 'upstream_error', status: 502, message: "refused costwise's credentials", provider: 'p', retryable: false }),
};

const cands: Candidate[] = [{ key: 'a' }, { key: 'b' }, { key: 'c' }];

/** A scripted upstream: each key throws its listed errors in order, then answers with its key. */
function upstream(script: Record<string, GatewayError[]>) {
  const calls: string[] = [];
  const call = vi.fn((c: Candidate, _ctl: AttemptControl): Promise<string> => {
    calls.push(c.key);
    const e = script[c.key]?.shift();
    return e ? Promise.reject(e) : Promise.resolve(`from-${c.key}`);
  });
  return { call, calls };
}

/** The DispatchError a run must end with. */
async function failure(run: Promise<unknown>): Promise<DispatchError> {
  const e = await run.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(DispatchError);
  return e as DispatchError;
}

describe('error classification', () => {
  it('falls back on 429, 5xx, 529, timeouts, context length; not on other 4xx', () => {
    for (const e of [err.r429(), err.r500(), err.r503(), err.timeout(), err.ctx(), err.ctxAnthropic(), err.masked()]) expect(shouldFallBack(e)).toBe(true);
    expect(shouldFallBack(new GatewayError({ kind: 'overloaded', status: 529, message: 'x' }))).toBe(true);
    for (const kind of ['invalid_request', 'not_found', 'request_too_large'] as const)
      expect(shouldFallBack(new GatewayError({ kind, message: 'nope' }))).toBe(false);
    expect(shouldFallBack(new GatewayError({ kind: 'authentication', message: 'caller key' }))).toBe(false);
    expect(shouldFallBack(new GatewayError({ kind: 'authentication', message: 'ours', provider: 'openai' }))).toBe(true);
    expect(shouldFallBack(new GatewayError({ kind: 'internal', message: 'bug' }))).toBe(false);
  });

  it('recognises context-length errors of several providers', () => {
    expect(isContextLengthError(err.ctx())).toBe(true);
    expect(isContextLengthError(err.ctxAnthropic())).toBe(true);
    expect(isContextLengthError(new GatewayError({ kind: 'invalid_request', message: "This model's maximum context length is 128000 tokens." }))).toBe(true);
    expect(
      isContextLengthError(
        new GatewayError({ kind: 'invalid_request', message: 'The input token count (1200000) exceeds the maximum number of tokens allowed' }),
      ),
    ).toBe(true);
    expect(isContextLengthError(new GatewayError({ kind: 'request_too_large', message: 'context window exceeded' }))).toBe(true);
    expect(isContextLengthError(err.bad())).toBe(false);
    expect(isContextLengthError(new GatewayError({ kind: 'rate_limit', message: 'too many tokens per minute' }))).toBe(false);
  });
});

describe('runWithFallbacks', () => {
  it('serves from the primary when it answers', async () => {
    const { call } = upstream({});
    const r = await runWithFallbacks(cands, call, { deps: fakeDeps(), retry });
    expect(r.value).toBe('from-a');
    expect(r.served.key).toBe('a');
    expect(r.attempts).toEqual([{ key: 'a', attempt: 0, outcome: 'ok', durationMs: 0, next: 'served' }]);
    expect(fallbackReason(r.attempts)).toBeUndefined();
  });

  it('retries on a deployment, then falls back in order, recording every attempt', async () => {
    const { call, calls } = upstream({ a: [err.r503(), err.r503(), err.r503()], b: [err.r429(40)] });
    const r = await runWithFallbacks(cands, call, { deps: fakeDeps(), retry });
    expect(calls).toEqual(['a', 'a', 'a', 'b', 'c']);
    expect(r.served.key).toBe('c');
    expect(r.attempts.map((a) => [a.key, a.attempt, a.status ?? null, a.next])).toEqual([
      ['a', 0, 503, 'retry'],
      ['a', 1, 503, 'retry'],
      ['a', 2, 503, 'fallback'],
      ['b', 0, 429, 'fallback'], // retry-after 40 s > 30 s cap: no retry here
      ['c', 0, null, 'served'],
    ]);
    expect(fallbackReason(r.attempts)).toBe('fallback:503');
  });

  it('records durations from the injected clock', async () => {
    const deps = fakeDeps();
    const r = await rejectionOf(
      runWithFallbacks(
        cands,
        (c) => {
          deps.advance(c.key === 'a' ? 120 : 80);
          return c.key === 'a' ? Promise.reject(err.bad()) : Promise.resolve(1);
        },
        { deps, retry },
      ),
      DispatchError,
    );
    expect(r.attempts[0]!.durationMs).toBe(120);
  });

  it('falls back on timeouts and context-length errors, with reasons', async () => {
    const t = upstream({ a: [err.timeout(), err.timeout(), err.timeout()] });
    const r1 = await runWithFallbacks(cands, t.call, { deps: fakeDeps(), retry });
    expect(fallbackReason(r1.attempts)).toBe('fallback:timeout');
    const c = upstream({ a: [err.ctx()] });
    const r2 = await runWithFallbacks(cands, c.call, { deps: fakeDeps(), retry });
    expect(c.calls).toEqual(['a', 'b']); // context length is not retried on the same deployment
    expect(r2.served.key).toBe('b');
    expect(fallbackReason(r2.attempts)).toBe('fallback:context_length');
    const m = upstream({ a: [err.r429(60)] });
    expect(fallbackReason((await runWithFallbacks(cands, m.call, { deps: fakeDeps(), retry })).attempts)).toBe('fallback:429');
  });

  it("returns a caller's 4xx at once without trying other deployments", async () => {
    const { call, calls } = upstream({ a: [err.bad()] });
    const e = await runWithFallbacks(cands, call, { deps: fakeDeps(), retry }).catch((x: unknown) => x);
    expect(calls).toEqual(['a']);
    expect(e).toBeInstanceOf(DispatchError);
    expect(e).toBeInstanceOf(GatewayError);
    const d = e as DispatchError;
    expect([d.kind, d.status, d.param, d.message]).toEqual(['invalid_request', 400, 'temperature', 'temperature must be <= 2']);
    expect(d.attempts.map((a) => a.next)).toEqual(['return']);
  });

  it('does not fall back once a stream has started, but does before its first byte', async () => {
    const calls: string[] = [];
    const e = await failure(
      runWithFallbacks(
        cands,
        (c, ctl) => {
          calls.push(c.key);
          if (c.key === 'a') return Promise.reject(err.r503()); // failed before the first byte
          ctl.commit();
          return Promise.reject(err.r500()); // failed mid-stream
        },
        { deps: fakeDeps(), retry },
      ),
    );
    expect(calls).toEqual(['a', 'a', 'a', 'b']);
    expect(e.status).toBe(500);
    expect(e.attempts.at(-1)).toMatchObject({ key: 'b', next: 'return' });
  });

  it('on total failure throws the last error with all attempts attached', async () => {
    const { call } = upstream({ a: [err.r500(), err.r500(), err.r500()], b: [err.r429(99)], c: [err.timeout(), err.timeout(), err.r503()] });
    const e = await failure(runWithFallbacks(cands, call, { deps: fakeDeps(), retry }));
    expect(e).toBeInstanceOf(DispatchError);
    expect([e.kind, e.status, e.retryable]).toEqual(['overloaded', 503, true]);
    expect(e.last.message).toBe('busy');
    expect(e.attempts).toHaveLength(7);
  });

  it('skips deployments whose breaker is open, and feeds outcomes to the breaker', async () => {
    const deps = fakeDeps();
    const breaker = new CircuitBreaker({ failureThreshold: 1, coolDownMs: 10_000, probeTimeoutMs: 10_000 }, { now: () => deps.now() });
    const noRetry: RetryPolicy = { ...retry, maxRetries: 0 };
    const first = upstream({ a: [err.r503()] });
    await runWithFallbacks(cands, first.call, { deps, retry: noRetry, breaker });
    expect(breaker.state('a').state).toBe('open');
    const second = upstream({});
    const r = await runWithFallbacks(cands, second.call, { deps, retry: noRetry, breaker });
    expect(second.calls).toEqual(['b']);
    expect(r.attempts[0]).toMatchObject({ key: 'a', outcome: 'skipped', kind: 'breaker_open', next: 'skip' });
    expect(fallbackReason(r.attempts)).toBe('fallback:breaker_open');
    deps.advance(10_000);
    const third = upstream({});
    await runWithFallbacks(cands, third.call, { deps, retry: noRetry, breaker });
    expect(third.calls).toEqual(['a']); // the probe
    expect(breaker.state('a').state).toBe('closed');
  });

  it('when every breaker is open, fails with 503 and a retry-after', async () => {
    const deps = fakeDeps();
    const breaker = new CircuitBreaker({ failureThreshold: 1, coolDownMs: 10_000, probeTimeoutMs: 10_000 }, { now: () => deps.now() });
    for (const c of cands) breaker.recordFailure(c.key, err.r500());
    deps.advance(2_500);
    const { call } = upstream({});
    const e = await failure(runWithFallbacks(cands, call, { deps, retry, breaker }));
    expect(call).not.toHaveBeenCalled();
    expect([e.kind, e.status, e.retryAfterSeconds]).toEqual(['overloaded', 503, 8]);
    expect(e.attempts.map((a) => a.outcome)).toEqual(['skipped', 'skipped', 'skipped']);
  });

  it('honours per-candidate retry policies and reports retries and attempts through hooks', async () => {
    const { call, calls } = upstream({ a: [err.r503(), err.r503()], b: [err.r503()] });
    const onRetry = vi.fn();
    const onAttempt = vi.fn();
    await runWithFallbacks(cands, call, {
      deps: fakeDeps(),
      retry,
      retryFor: (k) => (k === 'a' ? { ...retry, maxRetries: 0 } : undefined),
      onRetry,
      onAttempt,
    });
    expect(calls).toEqual(['a', 'b', 'b']);
    expect(onRetry).toHaveBeenCalledTimes(1);
    expect(onRetry.mock.calls[0]![0]).toBe('b');
    expect(onAttempt).toHaveBeenCalledTimes(3);
  });

  it('with no candidates fails with 503', async () => {
    const e = await failure(runWithFallbacks([], () => Promise.resolve(1), { deps: fakeDeps() }));
    expect(e.status).toBe(503);
    expect(e.attempts).toEqual([]);
  });
});
