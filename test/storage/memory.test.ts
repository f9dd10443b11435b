import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryState, type MemoryStateOptions } from '../../src/storage/memory.js';
import type { SharedState } from '../../src/storage/types.js';

let clock = 1_000_000;
const opened: SharedState[] = [];

function state(opts: MemoryStateOptions = {}): SharedState {
  const s = createMemoryState({ now: () => clock, ...opts });
  opened.push(s);
  return s;
}

afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  clock = 1_000_000;
  vi.useRealTimers();
});

describe('get / set / delete', () => {
  it('stores, overwrites and deletes values', async () => {
    const s = state();
    expect(await s.get('a')).toBeNull();
    await s.set('a', '1');
    await s.set('a', '2');
    expect(await s.get('a')).toBe('2');
    await s.delete('a');
    await s.delete('missing');
    expect(await s.get('a')).toBeNull();
  });

  it('expires a key exactly ttlMs after it was set', async () => {
    const s = state();
    await s.set('a', 'v', 100);
    clock += 99;
    expect(await s.get('a')).toBe('v');
    clock += 1;
    expect(await s.get('a')).toBeNull();
  });

  it('set without a TTL makes an expiring key persistent; set with a TTL restarts it', async () => {
    const s = state();
    await s.set('a', 'v', 100);
    await s.set('a', 'w');
    clock += 1_000_000;
    expect(await s.get('a')).toBe('w');
    await s.set('b', 'v', 100);
    clock += 60;
    await s.set('b', 'v2', 100);
    clock += 60;
    expect(await s.get('b')).toBe('v2');
  });

  it('rejects a TTL that is not a positive number', async () => {
    const s = state();
    await expect(s.set('a', 'v', 0)).rejects.toThrow(/ttlMs/);
    await expect(s.incrBy('a', 1, Number.NaN)).rejects.toThrow(/ttlMs/);
  });
});

describe('incrBy', () => {
  it('creates an absent key with the delta and the TTL', async () => {
    const s = state();
    expect(await s.incrBy('n', 5, 100)).toBe(5);
    expect(await s.get('n')).toBe('5');
    clock += 100;
    expect(await s.get('n')).toBeNull();
  });

  it('adds to an existing key and keeps its original TTL', async () => {
    const s = state();
    await s.incrBy('n', 1, 100);
    clock += 50;
    expect(await s.incrBy('n', 2, 1_000)).toBe(3);
    expect(await s.incrBy('n', -10)).toBe(-7);
    clock += 50;
    expect(await s.get('n')).toBeNull();
    expect(await s.incrBy('n', 1)).toBe(1); // expired → recreated, now without expiry
    clock += 1_000_000;
    expect(await s.get('n')).toBe('1');
  });

  it('increments a value written by set, rejects a non-integer value or delta', async () => {
    const s = state();
    await s.set('n', '41');
    expect(await s.incrBy('n', 1)).toBe(42);
    await s.set('t', 'text');
    await expect(s.incrBy('t', 1)).rejects.toThrow(/not an integer/);
    await s.set('f', '1.5');
    await expect(s.incrBy('f', 1)).rejects.toThrow(/not an integer/);
    await expect(s.incrBy('n', 0.5)).rejects.toThrow(/delta/);
    await s.set('max', String(Number.MAX_SAFE_INTEGER));
    await expect(s.incrBy('max', 1)).rejects.toThrow(/overflow/);
    expect(await s.get('n')).toBe('42');
  });
});

describe('bounds and expiry sweep', () => {
  it('evicts the key written longest ago when full', async () => {
    const s = state({ maxEntries: 3 });
    await s.set('a', '1');
    await s.set('b', '2');
    await s.set('c', '3');
    await s.set('a', '1+'); // rewriting a key makes it the newest
    await s.set('d', '4'); // evicts b
    expect(await s.get('b')).toBeNull();
    expect(await s.get('a')).toBe('1+');
    expect(await s.get('c')).toBe('3');
    expect(await s.get('d')).toBe('4');
    await s.incrBy('e', 1); // evicts c
    expect(await s.get('c')).toBeNull();
    await s.set('d', '5'); // overwriting an existing key evicts nothing
    expect(await s.get('a')).toBe('1+');
  });

  it('sweeps expired keys on its timer, freeing room so live keys are not evicted', async () => {
    vi.useFakeTimers();
    const s = state({ maxEntries: 2, sweepIntervalMs: 10 });
    await s.set('live', 'x');
    await s.set('short', 'y', 5);
    clock += 5;
    vi.advanceTimersByTime(10); // sweep removes `short`
    await s.set('new', 'z'); // room for it without evicting `live`
    expect(await s.get('live')).toBe('x');
    expect(await s.get('new')).toBe('z');
  });

  it('rejects use after close', async () => {
    const s = state();
    await s.close();
    await expect(s.get('a')).rejects.toThrow(/closed/);
  });
});
