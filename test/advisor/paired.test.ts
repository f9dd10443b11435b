// The paired loss interval against values computed by hand (Agresti–Min: half a pair added to each
// cell, then the Wald interval of the difference of the discordant shares).
import { describe, expect, it } from 'vitest';
import { pairedLossInterval } from '../../src/advisor/paired.js';

describe('pairedLossInterval', () => {
  it('is centred on the net discordant share, with the adjusted Wald half-width', () => {
    // n* = 202, b* = c* = 18.5/202: half-width 1.96 · sqrt(0.18317/202) = 0.019804.
    const [lo, hi] = pairedLossInterval({ n: 600, servedOnly: 18, candidateOnly: 18 }, 0.95);
    expect(lo).toBeCloseTo(-0.019804, 6);
    expect(hi).toBeCloseTo(0.019804, 6);
    // 6 losses, no gains in 200: (6.5 − 0.5)/202 ± 1.96 · sqrt((7/202 − (6/202)²)/202).
    const [lo2, hi2] = pairedLossInterval({ n: 200, servedOnly: 6, candidateOnly: 0 }, 0.95);
    expect(lo2).toBeCloseTo(0.004361, 6);
    expect(hi2).toBeCloseTo(0.055045, 6);
  });

  it('stays wide with no discordant pairs at small n, and knows nothing at n = 0', () => {
    const [lo, hi] = pairedLossInterval({ n: 10, servedOnly: 0, candidateOnly: 0 }, 0.95);
    expect(lo).toBeCloseTo(-0.16333, 5);
    expect(hi).toBeCloseTo(0.16333, 5);
    expect(pairedLossInterval({ n: 0, servedOnly: 0, candidateOnly: 0 }, 0.95)).toEqual([-1, 1]);
  });

  it('narrows as confidence drops', () => {
    const wide = pairedLossInterval({ n: 100, servedOnly: 3, candidateOnly: 1 }, 0.95);
    const narrow = pairedLossInterval({ n: 100, servedOnly: 3, candidateOnly: 1 }, 0.5);
    expect(wide[1]).toBeCloseTo(0.062406, 6);
    expect(narrow[1]).toBeLessThan(wide[1]);
    expect(narrow[0]).toBeGreaterThan(wide[0]);
  });
});
