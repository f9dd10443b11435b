// TextMap (src/core/text-map.ts): long keys bucketed by a sample of their characters, found by
// comparison, and the overflow of a full bucket kept in an ordinary Map.
import { describe, expect, it } from 'vitest';
import { TextMap } from '../../src/core/text-map.js';

/** Long texts alike in every sampled character: they differ only at `at`, between samples. */
function alike(n: number, at = 5): string[] {
  return Array.from({ length: n }, (_, i) => 'a'.repeat(at) + String.fromCharCode(0x4e00 + i) + 'a'.repeat(600));
}

describe('TextMap', () => {
  it('finds long keys by content, not by identity', () => {
    const m = new TextMap<number>();
    const text = 'x'.repeat(1000) + 'y';
    m.set(text, 1);
    const copy = JSON.parse(JSON.stringify(text)) as string;
    expect(m.get(copy)).toBe(1);
    expect(m.has('x'.repeat(1001))).toBe(false);
    m.set(copy, 2);
    expect([m.get(text), m.size]).toEqual([2, 1]);
  });

  it('keeps texts that share a bucket apart, past a full bucket and after deletes', () => {
    const m = new TextMap<number>();
    const texts = alike(20);
    texts.forEach((t, i) => m.set(t, i));
    expect(m.size).toBe(20);
    texts.forEach((t, i) => expect(m.get(t)).toBe(i));
    expect(m.delete(texts[0]!)).toBe(true);
    expect(m.delete(texts[15]!)).toBe(true);
    expect(m.get(texts[0]!)).toBeUndefined();
    expect(m.get(texts[15]!)).toBeUndefined();
    expect(m.get(texts[12]!)).toBe(12);
    m.set(texts[12]!, 99); // an overflowed key is updated where it is, not added again
    expect([m.get(texts[12]!), m.size]).toEqual([99, 18]);
    m.set(texts[0]!, 0);
    expect(m.size).toBe(19);
    m.clear();
    expect([m.size, m.has(texts[3]!)]).toEqual([0, false]);
  });

  it('keeps short keys as a Map does', () => {
    const m = new TextMap<string>();
    m.set('a', 'x');
    m.set('', 'empty');
    expect([m.get('a'), m.get(''), m.has('b'), m.size]).toEqual(['x', 'empty', false, 2]);
  });
});
