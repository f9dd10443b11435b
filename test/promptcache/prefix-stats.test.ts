import { describe, expect, it } from 'vitest';
import { PrefixStats, sizeBucketOf } from '../../src/promptcache/prefix-stats.js';
import { blocks } from './helpers.js';

const MIN = 60_000;

describe('PrefixStats', () => {
  it('holds at most maxPrefixes records (LRU) and maxPending probes', () => {
    const stats = new PrefixStats({ maxPrefixes: 50, maxPending: 20 });
    for (let r = 0; r < 100; r++) stats.observe('n', blocks(10, 512, `r${r}-`), r);
    expect(stats.size).toBe(50);
    expect(stats.pendingProbes).toBeLessThanOrEqual(40);
    // The most recent request survives, the oldest was evicted.
    expect(stats.reuseOf('n', 'r99-9').arrivals).toBe(1);
    expect(stats.reuseOf('n', 'r0-9').arrivals).toBe(0);
  });

  it('estimates reuse from inter-arrival gaps', () => {
    const stats = new PrefixStats({ priorMean: 0.3, priorWeight: 2 });
    const b = blocks(2, 512);
    for (const t of [0, 1, 2, 3]) stats.observe('n', b, t * MIN);
    const r = stats.reuseOf('n', 'p1');
    expect(r.arrivals).toBe(4);
    expect(r.meanInterArrivalMs).toBe(MIN);
    // three gaps < 5m plus the prior (0.3, no verdicts yet) as one pseudo-gap
    expect(r.pWithin['5m']).toBeCloseTo((3 + 0.3) / 4, 10);
    expect(r.expectedReads['5m']).toBeCloseTo(3.3 / 0.7, 10);
  });

  it("learns a new prefix's reuse from censored probes, before any 5m verdict", () => {
    const stats = new PrefixStats({ priorMean: 0.3, priorWeight: 2, sizeWeight: 8 });
    // Forty fresh 3-block prompts 10 s apart, none repeated: after 7 minutes every probe has
    // outlived the first bins, so P(5m) falls well below the prior without waiting 5m per probe.
    for (let r = 0; r < 40; r++) stats.observe('n', blocks(3, 512, `x${r}-`), r * 10_000);
    stats.observe('n', blocks(1, 512, 'z'), 7 * MIN);
    expect(stats.contextProbability('n', '5m', { offset: 0 })).toBeLessThan(0.05);
    // A different namespace keeps the prior.
    expect(stats.contextProbability('other', '5m', { offset: 0 })).toBeCloseTo(0.3, 10);
    // With no arrival ever seen past 5m, 1h adds nothing.
    expect(stats.contextProbability('n', '1h', { offset: 0 })).toBeCloseTo(stats.contextProbability('n', '5m', { offset: 0 }), 10);
  });

  it('counts a re-sent prompt as a hit at once, per distance from the end and per prompt size', () => {
    const stats = new PrefixStats({ priorMean: 0.3, priorWeight: 2, sizeWeight: 8 });
    // Ten small prompts (< 2k tokens) each re-sent 20 s later; ten large ones (≥ 16k) never.
    for (let r = 0; r < 10; r++) {
      stats.observe('n', blocks(3, 512, `s${r}-`), r * MIN);
      stats.observe('n', blocks(3, 512, `s${r}-`), r * MIN + 20_000);
      stats.observe('n', blocks(40, 512, `L${r}-`), r * MIN + 30_000);
    }
    const small = stats.contextProbability('n', '5m', { offset: 1, sizeBucket: 0 });
    const large = stats.contextProbability('n', '5m', { offset: 1, sizeBucket: 4 });
    expect(small).toBeGreaterThan(0.6);
    expect(large).toBeLessThan(small);
    // The first arrival's expected reads chain through the later stages: above p / (1 − p) of
    // the first stage alone once second arrivals are seen to come back.
    const r = stats.estimate('n', blocks(3, 512, 'new-'), 10 * MIN)[1]!;
    expect(r.expectedReads['5m']).toBeGreaterThan(0);
  });

  it('follows a drifting reuse rate: each context remembers about memoryProbes probes', () => {
    const run = (memoryProbes: number): number => {
      const stats = new PrefixStats({ memoryProbes });
      let t = 0;
      // 300 one-off prompts, then 100 prompts each re-sent 5 s later.
      for (let r = 0; r < 300; r++, t += 10_000) stats.observe('n', blocks(3, 512, `old${r}-`), t);
      for (let r = 0; r < 100; r++, t += 10_000) {
        stats.observe('n', blocks(3, 512, `new${r}-`), t);
        stats.observe('n', blocks(3, 512, `new${r}-`), t + 5_000);
      }
      stats.observe('n', blocks(1, 512, 'z'), t + 6 * MIN);
      return stats.contextProbability('n', '5m', { offset: 1 });
    };
    expect(run(50)).toBeGreaterThan(0.8);
    expect(run(Infinity)).toBeLessThan(0.35);
  });

  it("a prompt size seen for under a minute borrows the pooled context's later age bins", () => {
    const stats = new PrefixStats({ priorMean: 0.3 });
    // Small prompts for 10 minutes: each re-sent 4 minutes later, so they come back within 5m
    // only in the 3–4 minute bin.
    for (let r = 0; r < 60; r++) {
      stats.observe('n', blocks(3, 512, `s${r}-`), r * 10_000);
      stats.observe('n', blocks(3, 512, `s${r}-`), r * 10_000 + 4 * MIN);
    }
    // Then large prompts for 50 s: none back yet, but none is old enough to tell.
    const t0 = 14 * MIN;
    for (let r = 0; r < 10; r++) stats.observe('n', blocks(40, 512, `L${r}-`), t0 + r * 5_000);
    const large = stats.contextProbability('n', '5m', { offset: 1, sizeBucket: sizeBucketOf(40 * 512) });
    expect(stats.contextProbability('n', '5m', { offset: 1, sizeBucket: 0 })).toBeGreaterThan(0.8);
    // The large ones' first bins say "not yet"; their 3–4 minute bin is the pooled context's.
    expect(large).toBeGreaterThan(0.8);
  });
});
