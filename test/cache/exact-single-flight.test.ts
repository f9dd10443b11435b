// singleFlight: one in-flight call per key, shared by concurrent callers, forgotten on settle.
import { describe, expect, it } from 'vitest';
import { singleFlight } from '../../src/cache/exact/single-flight.js';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('singleFlight', () => {
  it('runs one call for concurrent callers of a key and gives all of them its result', async () => {
    const sf = singleFlight<string, string>();
    const d = deferred<string>();
    let calls = 0;
    const fn = () => ((calls += 1), d.promise);
    const waiting = Array.from({ length: 10 }, () => sf.run('k', fn));
    expect(sf.size).toBe(1);
    d.resolve('answer');
    expect(await Promise.all(waiting)).toEqual(Array(10).fill('answer'));
    expect(calls).toBe(1);
    expect(sf.size).toBe(0);
  });

  it('runs different keys independently', async () => {
    const sf = singleFlight<string, number>();
    let calls = 0;
    const [a, b] = await Promise.all([sf.run('a', () => Promise.resolve(++calls)), sf.run('b', () => Promise.resolve(++calls))]);
    expect(calls).toBe(2);
    expect(new Set([a, b])).toEqual(new Set([1, 2]));
  });

  it('shares a failure with the waiting callers, then lets the next caller try again', async () => {
    const sf = singleFlight<string, string>();
    const d = deferred<string>();
    const first = sf.run('k', () => d.promise);
    const second = sf.run('k', () => Promise.resolve('never'));
    d.reject(new Error('upstream 500'));
    await expect(first).rejects.toThrow('upstream 500');
    await expect(second).rejects.toThrow('upstream 500');
    expect(await sf.run('k', () => Promise.resolve('fresh'))).toBe('fresh');
  });

  it('forgets a key whose function throws synchronously', async () => {
    const sf = singleFlight<string, string>();
    await expect(
      sf.run('k', () => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(sf.size).toBe(0);
    expect(await sf.run('k', () => Promise.resolve('ok'))).toBe('ok');
  });

  it('starts a new call for a key once the previous one settled', async () => {
    const sf = singleFlight<string, number>();
    let calls = 0;
    await sf.run('k', () => Promise.resolve(++calls));
    await sf.run('k', () => Promise.resolve(++calls));
    expect(calls).toBe(2);
  });
});
