import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { codeParses, compareAnswers, extractAnswer, extractChoice, extractCode, extractNumber } from '../../src/routing/cascade/extract.js';
import { wilsonInterval, normalQuantile } from '../../src/advisor/wilson.js';

describe('answer extraction', () => {
  it.each([
    ['B', 'B'],
    ['B) Jupiter', 'B'],
    ['**C**', 'C'],
    ['The answer is D.', 'D'],
    ['Answer: (A)', 'A'],
    ['I think A is tempting, but the answer is C', 'C'],
    ['A total of 42 apples', undefined],
    ['It depends.', undefined],
  ])('choice of %j is %j', (text, letter) => expect(extractChoice(text)).toBe(letter));

  it.each([
    ['3 bags of 12 is 36. #### 36', '36'],
    ['The answer is $1,250.', '1250'],
    ['x = 7', '7'],
    ['first 10, then 20, finally 30', '30'],
    ['no digits here', undefined],
  ])('final number of %j is %j', (text, n) => expect(extractNumber(text)).toBe(n));

  it('takes code from fences, without comments and blank lines', () => {
    expect(extractCode('Here:\n```python\ndef f(x):\n    # double\n    return 2 * x  # twice\n\n```\nDone.')).toBe('def f(x):\n    return 2 * x');
    expect(extractCode('no code')).toBeUndefined();
  });

  it('tells code that could parse from a cut-off block', () => {
    expect(codeParses('def f(x):\n    return [x, (x + 1)]')).toBe(true);
    expect(codeParses('s = "a ) b"\nprint(s)')).toBe(true);
    expect(codeParses('def f(x):\n    return [x, (x + 1)')).toBe(false);
    expect(codeParses('s = "unterminated\nprint(s)')).toBe(false);
    expect(codeParses('"""doc ( """\nx = {1: 2}')).toBe(true);
  });

  it('compares on the first kind both answers yield', () => {
    expect(compareAnswers('B', 'The answer is B.')).toEqual({ verdict: 'agree', kind: 'choice' });
    expect(compareAnswers('B', 'C) three')).toEqual({ verdict: 'disagree', kind: 'choice' });
    expect(compareAnswers('#### 36', 'It is 36 apples')).toEqual({ verdict: 'agree', kind: 'number' });
    expect(compareAnswers('Paris', 'paris')).toEqual({ verdict: 'agree', kind: 'text' });
    expect(compareAnswers('', 'B')).toEqual({ verdict: 'unknown', kind: null });
    expect(extractAnswer('nothing to see', 'number')).toBeUndefined();
  });

  it('agreement is symmetric', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(compareAnswers(a, b)).toEqual(compareAnswers(b, a));
      }),
    );
  });
});

describe('Wilson interval', () => {
  it('matches hand-computed bounds', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    // 200/200 at 95%: lower = 1 / (1 + z²/n) = 200 / 203.8415 = 0.981154
    const [lo, hi] = wilsonInterval(200, 200, 0.95);
    expect(lo).toBeCloseTo(0.981154, 5);
    expect(hi).toBe(1);
    // 8/10 at 95%: [0.4902, 0.9433] (the textbook example)
    const [a, b] = wilsonInterval(8, 10, 0.95);
    expect(a).toBeCloseTo(0.4902, 4);
    expect(b).toBeCloseTo(0.9433, 4);
    expect(wilsonInterval(0, 0, 0.95)).toEqual([0, 1]);
  });

  it('contains the observed rate and stays within [0, 1]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0.5, max: 0.999, noNaN: true }),
        (n, share, conf) => {
          const k = Math.round(n * share);
          const [lo, hi] = wilsonInterval(k, n, conf);
          expect(lo).toBeGreaterThanOrEqual(0);
          expect(hi).toBeLessThanOrEqual(1);
          expect(lo).toBeLessThanOrEqual(k / n + 1e-12);
          expect(hi).toBeGreaterThanOrEqual(k / n - 1e-12);
        },
      ),
    );
  });
});

describe('auto comparison of code', () => {
  it('compares programs as code, not by the last number they print', () => {
    const a = '```python\ndef f(x):\n    return x + 1\nprint(f(1))  # 2\n```';
    const b = '```python\ndef g(y):\n    return 1 + y\nprint(g(1))\n```';
    expect(compareAnswers(a, b)).toEqual({ verdict: 'disagree', kind: 'code' });
  });
});
