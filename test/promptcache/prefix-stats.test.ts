import { describe, expect, it } from 'vitest';
import { PrefixStats } from '../../src/promptcache/prefix-stats.js';
import { blocks } from './helpers.js';

const MIN = 60_000;

describe('PrefixStats', () => {
  it('holds at most maxPrefixes records (LRU) and maxPending probes', () => {
    const stats = new PrefixStats({ maxPrefixes: 50, maxPending: 20 });
    for (let r = 0; r < 100; r++) stats.observe('n', blocks(10, 512, `r${r}-`), r);
    expect(stats.size).toBe(50);
    expect(stats.pendingProbes).toBeLessThanOrEqual(40);
    // The most recent request survives, the oldest was evicted.
    expect(stats.reuseOf('n', 'r99-9', 0).arrivals).toBe(1);
    expect(stats.reuseOf('n', 'r0-9', 0).arrivals).toBe(0);
  });

  it('estimates reuse from inter-arrival gaps', () => {
    const stats = new PrefixStats({ priorMean: 0.3, priorWeight: 2 });
    const b = blocks(2, 512);
    for (const t of [0, 1, 2, 3]) stats.observe('n', b, t * MIN);
    const r = stats.reuseOf('n', 'p1', 0);
    expect(r.arrivals).toBe(4);
    expect(r.meanInterArrivalMs).toBe(MIN);
    // three gaps < 5m plus the prior (0.3, no verdicts yet) as one pseudo-gap
    expect(r.pWithin['5m']).toBeCloseTo((3 + 0.3) / 4, 10);
    expect(r.expectedReads['5m']).toBeCloseTo(3.3 / 0.7, 10);
  });

  it('learns the new-prefix prior from verdicts a full TTL later, per distance from the end', () => {
    const stats = new PrefixStats({ priorMean: 0.3, priorWeight: 2 });
    // Ten fresh prompts, none ever repeated; each is judged once 5 minutes have passed.
    for (let r = 0; r < 10; r++) stats.observe('n', blocks(3, 512, `x${r}-`), r * 10 * MIN);
    expect(stats.newPrefixProbability('n', '5m', 0)).toBeCloseTo((0 + 0.6) / (9 + 2), 10);
    // A different namespace keeps the default.
    expect(stats.newPrefixProbability('other', '5m', 0)).toBeCloseTo(0.3, 10);
    // 1h verdicts are not in yet for the later ones: the 1h prior leans on the 5m estimate.
    expect(stats.newPrefixProbability('n', '1h', 0)).toBeLessThan(0.3);
  });

  it('counts a prompt re-sent within 5 minutes as a hit for its new prefixes', () => {
    const stats = new PrefixStats({ priorMean: 0.3, priorWeight: 2 });
    stats.observe('n', blocks(3, 512, 'a'), 0);
    stats.observe('n', blocks(3, 512, 'a'), 2 * MIN);
    stats.observe('n', blocks(1, 512, 'z'), 6 * MIN); // settles the verdicts
    expect(stats.newPrefixProbability('n', '5m', 0)).toBeCloseTo((1 + 0.6) / 3, 10);
  });
});
