import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/core/errors.js';
import { CircuitBreaker, MemoryBreakerStore, type BreakerState, type BreakerStore, type BreakerTransition } from '../../src/routing/resilience/breaker.js';

const e503 = () => new GatewayError({ kind: 'overloaded', status: 503, message: 'busy', provider: 'p' });
const e400 = () => new GatewayError({ kind: 'invalid_request', message: 'bad', provider: 'p' });
const eCtx = () => new GatewayError({ kind: 'invalid_request', message: 'x', code: 'context_length_exceeded', provider: 'p' });

function setup(store?: BreakerStore) {
  let t = 0;
  const transitions: BreakerTransition[] = [];
  const breaker = new CircuitBreaker(
    { failureThreshold: 3, coolDownMs: 10_000, probeTimeoutMs: 20_000 },
    { now: () => t, onTransition: (x) => transitions.push(x), ...(store ? { store } : {}) },
  );
  return { breaker, transitions, advance: (ms: number) => (t += ms) };
}

describe('circuit breaker', () => {
  it('opens after N consecutive health failures; a success resets the count', () => {
    const { breaker } = setup();
    breaker.recordFailure('a', e503());
    breaker.recordFailure('a', e503());
    breaker.recordSuccess('a');
    breaker.recordFailure('a', e503());
    breaker.recordFailure('a', e503());
    expect(breaker.isAvailable('a')).toBe(true);
    breaker.recordFailure('a', e503());
    expect(breaker.state('a').state).toBe('open');
    expect(breaker.isAvailable('a')).toBe(false);
    expect(breaker.tryAcquire('a')).toBe(false);
    expect(breaker.isAvailable('b')).toBe(true);
  });

  it('ignores caller errors and context-length errors', () => {
    const { breaker } = setup();
    for (let i = 0; i < 10; i++) {
      breaker.recordFailure('a', e400());
      breaker.recordFailure('a', eCtx());
    }
    expect(breaker.state('a')).toEqual({ state: 'closed', failures: 0 });
  });

  it('half-opens after the cool-down and lets exactly one probe through; success closes', () => {
    const { breaker, transitions, advance } = setup();
    for (let i = 0; i < 3; i++) breaker.recordFailure('a', e503());
    advance(9_999);
    expect(breaker.tryAcquire('a')).toBe(false);
    expect(breaker.reopensAt('a')).toBe(10_000);
    advance(1);
    expect(breaker.isAvailable('a')).toBe(true);
    expect(breaker.tryAcquire('a')).toBe(true);
    expect(breaker.state('a').state).toBe('half_open');
    expect(breaker.isAvailable('a')).toBe(false);
    expect(breaker.tryAcquire('a')).toBe(false);
    breaker.recordSuccess('a');
    expect(breaker.state('a')).toEqual({ state: 'closed', failures: 0 });
    expect(transitions.map((x) => `${x.from}>${x.to}`)).toEqual(['closed>open', 'open>half_open', 'half_open>closed']);
  });

  it('a failed probe re-opens with a fresh cool-down', () => {
    const { breaker, advance } = setup();
    for (let i = 0; i < 3; i++) breaker.recordFailure('a', e503());
    advance(10_000);
    expect(breaker.tryAcquire('a')).toBe(true);
    advance(500);
    breaker.recordFailure('a', e503());
    expect(breaker.state('a')).toMatchObject({ state: 'open', openedAt: 10_500 });
    advance(9_999);
    expect(breaker.isAvailable('a')).toBe(false);
    advance(1);
    expect(breaker.isAvailable('a')).toBe(true);
  });

  it('a lost probe allows another after probeTimeoutMs', () => {
    const { breaker, advance } = setup();
    for (let i = 0; i < 3; i++) breaker.recordFailure('a', e503());
    advance(10_000);
    expect(breaker.tryAcquire('a')).toBe(true);
    advance(19_999);
    expect(breaker.tryAcquire('a')).toBe(false);
    advance(1);
    expect(breaker.tryAcquire('a')).toBe(true);
  });

  it('late failures while open do not extend the cool-down', () => {
    const { breaker, advance } = setup();
    for (let i = 0; i < 3; i++) breaker.recordFailure('a', e503());
    advance(5_000);
    breaker.recordFailure('a', e503());
    expect(breaker.reopensAt('a')).toBe(10_000);
  });

  it('keeps its state only through the store interface', () => {
    const inner = new MemoryBreakerStore();
    const writes: Array<[string, BreakerState]> = [];
    const store: BreakerStore = {
      get: (k) => inner.get(k),
      set: (k, s) => {
        writes.push([k, s]);
        inner.set(k, s);
      },
    };
    const a = setup(store);
    for (let i = 0; i < 3; i++) a.breaker.recordFailure('dep', e503());
    // a second breaker (another replica) sharing the store sees the open state
    const b = setup(store);
    expect(b.breaker.isAvailable('dep')).toBe(false);
    expect(writes.at(-1)).toEqual(['dep', { state: 'open', openedAt: 0, lastError: 'overloaded:503' }]);
    a.breaker.recordSuccess('dep');
    expect(inner.get('dep')).toBeUndefined(); // closed and clean: nothing stored
  });
});
