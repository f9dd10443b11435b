// FifoMap (src/core/fifo-map.ts): the token memo's and the replay's bounded maps.
import { describe, expect, it } from 'vitest';
import { FifoMap } from '../../src/core/fifo-map.js';

describe('FifoMap', () => {
  it('drops the oldest entries once the weight is over the budget', () => {
    const m = new FifoMap<string>(10, (_k, v) => v.length);
    m.set('a', 'xxxx');
    m.set('b', 'xxxx');
    m.set('c', 'xxxx'); // 12 > 10: a goes
    expect([m.has('a'), m.has('b'), m.has('c')]).toEqual([false, true, true]);
    m.set('b', 'x'); // replaced where it stands: 5
    m.set('d', 'xxxx'); // 9
    m.set('e', 'xx'); // 11: b (the oldest) goes, not c
    expect([m.has('b'), m.has('c'), m.has('d'), m.has('e')]).toEqual([false, true, true, true]);
    expect(m.size).toBe(3);
  });

  it('keeps exactly the newest entries over many evictions', () => {
    const m = new FifoMap<number>(1000);
    for (let i = 0; i < 50_000; i++) m.set(`k${i}`, i);
    expect(m.size).toBe(1000);
    expect(m.has('k48999')).toBe(false);
    expect(m.get('k49000')).toBe(49_000);
    expect(m.get('k49999')).toBe(49_999);
  });
});
