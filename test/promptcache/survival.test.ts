import { describe, expect, it } from 'vitest';
import { AGE_BOUNDS_MS, BINS_WITHIN, constantHazards, Curve, eventProbability, ProbeClock } from '../../src/promptcache/survival.js';

const MIN = 60_000;

describe('survival curves', () => {
  it('counts survivors per bin as the clock passes, and an event in the bin of its gap', () => {
    const clock = new ProbeClock(100);
    const c = new Curve(Infinity); // no forgetting: exact counts
    const a = clock.start(0, [c]);
    clock.start(0, [c]);
    clock.advance(40_000); // both outlived the 15 s and 30 s bins
    expect(Array.from(c.atRisk.slice(0, 3))).toEqual([2, 2, 0]);
    clock.end(a, 45_000); // inside the 30 s – 1 min bin: counted when the probe is 1 min old
    expect(c.events[2]).toBe(0);
    clock.advance(MIN);
    expect(c.events[2]).toBe(1);
    expect(c.atRisk[2]).toBe(2); // the event and the survivor of the same bin, counted together
    clock.advance(61 * MIN); // the other one survives every bin
    expect(c.atRisk[AGE_BOUNDS_MS.length - 1]).toBe(1);
    expect(clock.pending).toBe(0);
    // S through 5m = 1 − 1/(2 + 1) with the one pseudo-probe per hazard.
    expect(c.survival(0, BINS_WITHIN['5m'])).toBeCloseTo(2 / 3, 10);
  });

  it('ignores an end after the probe was already judged, and drops the oldest beyond maxPending', () => {
    const clock = new ProbeClock(2);
    const c = new Curve(Infinity); // no forgetting: exact counts
    const probes = [0, 1, 2].map((t) => clock.start(t, [c]));
    expect(probes[0]!.done).toBe(true); // dropped
    clock.end(probes[0]!, 10);
    expect(c.events[0]).toBe(0);
    clock.end(probes[1]!, 10);
    clock.end(probes[1]!, 20);
    clock.advance(20_000);
    expect(c.events[0]).toBe(1);
  });

  it('never reads a bin from its events before its survivors: no inflated estimate while the first probes age', () => {
    // A probe every second; every fifth comes back at 4.5 minutes, none otherwise: P(within 5m) = 0.2.
    const clock = new ProbeClock(100_000);
    const c = new Curve(100);
    const prior = constantHazards(0.2, 5 * MIN);
    const estimate = (): number => eventProbability(c.hazards(prior, 2, BINS_WITHIN['5m']));
    const returns: Array<{ at: number; probe: ReturnType<ProbeClock['start']> }> = [];
    const estimates = new Map<number, number>();
    for (let t = 0; t <= 12 * MIN; t += 1000) {
      while (returns.length > 0 && returns[0]!.at <= t) {
        clock.advance(returns[0]!.at);
        clock.end(returns[0]!.probe, 4.5 * MIN);
        returns.shift();
      }
      clock.advance(t);
      const probe = clock.start(t, [c]);
      if ((t / 1000) % 5 === 0) returns.push({ at: t + 4.5 * MIN, probe });
      estimates.set(t, estimate());
    }
    // At 4m50s the first returns have happened and no probe has outlived the 4–5 min bin yet:
    // counting those events at once made that bin's hazard ~1 (an estimate of 0.71 here).
    expect(estimates.get(4 * MIN + 50_000)!).toBeLessThan(0.2);
    expect(estimates.get(12 * MIN)!).toBeCloseTo(0.2, 2);
  });

  it('stops the product at a bin with too few probes at risk', () => {
    const c = new Curve(Infinity); // no forgetting: exact counts
    c.atRisk[7] = 1;
    c.events[7] = 1;
    expect(c.survival(BINS_WITHIN['5m'], BINS_WITHIN['1h'], 30)).toBe(1);
    expect(c.survival(BINS_WITHIN['5m'], BINS_WITHIN['1h'], 1)).toBeCloseTo(0.5, 10);
  });
});

describe('forgetting', () => {
  it('weighs about the last `memory` probes, so the estimate follows a shift in the reuse rate', () => {
    const c = new Curve(50);
    const p = (): number => 1 - c.survival(0, 1);
    for (let i = 0; i < 1000; i++) c.add(0, i % 10 === 0); // 10% of probes come back in bin 0
    expect(c.atRisk[0]).toBeCloseTo(50, 0);
    expect(p()).toBeCloseTo(0.1, 1);
    for (let i = 0; i < 100; i++) c.add(0, i % 10 < 8); // the rate moves to 80%
    expect(p()).toBeGreaterThan(0.65);
    // Without forgetting, 1,100 probes would still read as ~17%.
    const never = new Curve(Infinity);
    for (let i = 0; i < 1000; i++) never.add(0, i % 10 === 0);
    for (let i = 0; i < 100; i++) never.add(0, i % 10 < 8);
    expect(1 - never.survival(0, 1)).toBeLessThan(0.2);
  });

  it('discounts only when a new probe enters (bin 0), not when an old one reaches a later bin', () => {
    const c = new Curve(2);
    c.add(0, false);
    c.add(3, false);
    expect(c.atRisk[0]).toBe(1);
    c.add(0, false); // keeps half of every older count
    expect(c.atRisk[0]).toBe(1.5);
    expect(c.atRisk[3]).toBe(0.5);
    expect(() => new Curve(0)).toThrow(RangeError);
  });
});

describe('hazard shrinkage', () => {
  it('a constant-rate prior spread over the bins gives the prior mean within 5m', () => {
    const h = constantHazards(0.3, 5 * MIN);
    expect(eventProbability(h.slice(0, BINS_WITHIN['5m']))).toBeCloseTo(0.3, 10);
    expect(eventProbability(h)).toBeGreaterThan(0.3); // more reuse by 1h
    expect(h[3]).toBeCloseTo(h[4]!, 12); // 1–2 min and 2–3 min: equal widths, equal hazards
    expect(h[2]).toBeLessThan(h[3]!); // 30 s – 1 min: half the width
  });

  it('takes the prior in bins no probe has reached, and the data where probes are many', () => {
    const c = new Curve(Infinity);
    for (let i = 0; i < 1000; i++) c.add(0, i % 2 === 0); // half come back within 15 s, the rest are not older than 15 s yet
    const prior = constantHazards(0.3, 5 * MIN);
    const h = c.hazards(prior, 2, BINS_WITHIN['5m']);
    expect(h[0]).toBeCloseTo(0.5, 2);
    for (let k = 1; k < h.length; k++) expect(h[k]).toBe(prior[k]);
    // The old reading (hazard 0 where no probe is at risk) stops at bin 1: only the first bin's reuse.
    expect(1 - c.survival(0, BINS_WITHIN['5m'])).toBeCloseTo(0.5, 2);
    expect(eventProbability(h)).toBeGreaterThan(0.6);
  });
});
