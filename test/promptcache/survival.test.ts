import { describe, expect, it } from 'vitest';
import { AGE_BOUNDS_MS, BINS_WITHIN, Curve, MAX_CURVE_WEIGHT, ProbeClock } from '../../src/promptcache/survival.js';

const MIN = 60_000;

describe('survival curves', () => {
  it('counts survivors per bin as the clock passes, and an event in the bin of its gap', () => {
    const clock = new ProbeClock(100);
    const c = new Curve();
    const a = clock.start(0, [c]);
    clock.start(0, [c]);
    clock.advance(40_000); // both outlived the 15 s and 30 s bins
    expect(Array.from(c.atRisk.slice(0, 3))).toEqual([2, 2, 0]);
    clock.end(a, 45_000); // inside the 30 s – 1 min bin
    expect(c.events[2]).toBe(1);
    expect(c.atRisk[2]).toBe(1);
    clock.advance(61 * MIN); // the other one survives every bin
    expect(c.atRisk[AGE_BOUNDS_MS.length - 1]).toBe(1);
    expect(clock.pending).toBe(0);
    // S through 5m = 1 − 1/(2 + 1) with the one pseudo-probe per hazard.
    expect(c.survival(0, BINS_WITHIN['5m'])).toBeCloseTo(2 / 3, 10);
  });

  it('ignores an end after the probe was already judged, and drops the oldest beyond maxPending', () => {
    const clock = new ProbeClock(2);
    const c = new Curve();
    const probes = [0, 1, 2].map((t) => clock.start(t, [c]));
    expect(probes[0]!.done).toBe(true); // dropped
    clock.end(probes[0]!, 10);
    expect(c.events[0]).toBe(0);
    clock.end(probes[1]!, 10);
    clock.end(probes[1]!, 20);
    expect(c.events[0]).toBe(1);
  });

  it('stops the product at a bin with too few probes at risk', () => {
    const c = new Curve();
    c.atRisk[7] = 1;
    c.events[7] = 1;
    expect(c.survival(BINS_WITHIN['5m'], BINS_WITHIN['1h'], 30)).toBe(1);
    expect(c.survival(BINS_WITHIN['5m'], BINS_WITHIN['1h'], 1)).toBeCloseTo(0.5, 10);
  });
});

describe('curve weight', () => {
  it('halves every count once MAX_CURVE_WEIGHT probes are in, keeping the estimate', () => {
    const c = new Curve();
    for (let i = 0; i < MAX_CURVE_WEIGHT - 1; i++) c.add(0, i % 4 === 0);
    const before = c.survival(0, 1);
    c.add(0, false);
    expect(c.atRisk[0]).toBe(MAX_CURVE_WEIGHT / 2);
    expect(c.survival(0, 1)).toBeCloseTo(before, 3);
  });
});
