import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ModelPricing } from '../../src/cost/prices.js';
import { affinityKey, fnv1a64Hex, rendezvousScore } from '../../src/routing/resilience/affinity.js';
import { estimateRequestPico, pickDeployment, rankDeployments, type BalanceStrategy, type BalancedDeployment } from '../../src/routing/resilience/balancer.js';
import { seededRandom } from '../../src/routing/resilience/clock.js';
import { LoadTracker } from '../../src/routing/resilience/load.js';

interface Dep extends BalancedDeployment {
  key: string;
  weight?: number;
  price?: number;
}

const deps3: Dep[] = [
  { key: 'us-east', weight: 1, price: 30 },
  { key: 'eu-west', weight: 2, price: 20 },
  { key: 'ap-south', weight: 7, price: 25 },
];

function counts(picks: Array<Dep | undefined>): Record<string, number> {
  const c: Record<string, number> = {};
  for (const p of picks) if (p) c[p.key] = (c[p.key] ?? 0) + 1;
  return c;
}

describe('balancer: weighted', () => {
  it('first picks follow the weights (seeded, 20k picks, ±1.5 points)', () => {
    const random = seededRandom(42);
    const n = 20_000;
    const c = counts(Array.from({ length: n }, () => pickDeployment(deps3, { kind: 'weighted' }, {}, { random })));
    expect(c['us-east']! / n).toBeCloseTo(0.1, 1);
    expect(Math.abs(c['us-east']! / n - 0.1)).toBeLessThan(0.015);
    expect(Math.abs(c['eu-west']! / n - 0.2)).toBeLessThan(0.015);
    expect(Math.abs(c['ap-south']! / n - 0.7)).toBeLessThan(0.015);
  });

  it('weight 0 is only a last resort; the ranking holds every healthy deployment once', () => {
    const random = seededRandom(1);
    const ds: Dep[] = [{ key: 'a', weight: 0 }, { key: 'b' }, { key: 'c' }];
    for (let i = 0; i < 500; i++) {
      const r = rankDeployments(ds, { kind: 'weighted' }, {}, { random });
      expect(r.map((d) => d.key).sort()).toEqual(['a', 'b', 'c']);
      expect(r.at(-1)!.key).toBe('a');
    }
  });
});

describe('balancer: least-busy and lowest-latency', () => {
  it('least-busy picks the deployment with fewest requests in flight; ties spread', () => {
    const stats = new LoadTracker();
    const random = seededRandom(3);
    const endA = [stats.begin('us-east'), stats.begin('us-east')];
    stats.begin('eu-west');
    expect(pickDeployment(deps3, { kind: 'least-busy' }, {}, { random, stats })!.key).toBe('ap-south');
    stats.begin('ap-south');
    stats.begin('ap-south');
    expect(pickDeployment(deps3, { kind: 'least-busy' }, {}, { random, stats })!.key).toBe('eu-west');
    endA.forEach((end) => {
      end();
      end(); // idempotent
    });
    expect(stats.inFlight('us-east')).toBe(0);
    expect(rankDeployments(deps3, { kind: 'least-busy' }, {}, { random, stats }).map((d) => d.key)).toEqual(['us-east', 'eu-west', 'ap-south']);
    // ties: all idle → every deployment gets picked
    const idle = new LoadTracker();
    const c = counts(Array.from({ length: 3_000 }, () => pickDeployment(deps3, { kind: 'least-busy' }, {}, { random, stats: idle })));
    expect(Object.keys(c)).toHaveLength(3);
  });

  it('lowest-latency follows the EWMA, measures unknown deployments first, spreads within tolerance', () => {
    const stats = new LoadTracker(0.5);
    const random = seededRandom(9);
    const strategy: BalanceStrategy = { kind: 'lowest-latency', tolerance: 0.1 };
    stats.observeLatency('us-east', 300);
    stats.observeLatency('eu-west', 200);
    expect(pickDeployment(deps3, strategy, {}, { random, stats })!.key).toBe('ap-south'); // never measured
    stats.observeLatency('ap-south', 1_000);
    expect(pickDeployment(deps3, strategy, {}, { random, stats })!.key).toBe('eu-west');
    stats.observeLatency('eu-west', 600); // EWMA → 400
    expect(stats.latencyMs('eu-west')).toBe(400);
    expect(rankDeployments(deps3, strategy, {}, { random, stats }).map((d) => d.key)).toEqual(['us-east', 'eu-west', 'ap-south']);
    stats.observeLatency('eu-west', 190); // EWMA → 295, within 10% of 300
    const c = counts(Array.from({ length: 2_000 }, () => pickDeployment(deps3, strategy, {}, { random, stats })));
    expect(c['us-east']).toBeGreaterThan(500);
    expect(c['eu-west']).toBeGreaterThan(500);
    expect(c['ap-south']).toBeUndefined();
  });
});

describe('balancer: lowest-cost', () => {
  const cost = (d: Dep) => d.price ?? Infinity;

  it('the cheapest healthy deployment serves; an open breaker moves to the next cheapest', () => {
    const random = seededRandom(5);
    expect(rankDeployments(deps3, { kind: 'lowest-cost' }, {}, { random, cost }).map((d) => d.key)).toEqual(['eu-west', 'ap-south', 'us-east']);
    const isHealthy = (k: string) => k !== 'eu-west';
    expect(pickDeployment(deps3, { kind: 'lowest-cost' }, {}, { random, cost, isHealthy })!.key).toBe('ap-south');
  });

  it('estimates a request price from pricing tiers and cached input', () => {
    const p = (input: number, output: number, cacheRead: number) => ({ input, output, cacheRead, cacheWrite5m: 0, cacheWrite1h: 0 });
    const pricing: ModelPricing = { source: 'config', base: p(3, 15, 0.3), tiers: [{ above: 200_000, prices: p(6, 22.5, 0.6) }] };
    expect(estimateRequestPico(pricing, { input: 1_000, output: 100 })).toBe(3_000 + 1_500);
    expect(estimateRequestPico(pricing, { input: 1_000, output: 100, cachedInput: 800 })).toBeCloseTo(600 + 240 + 1_500);
    expect(estimateRequestPico(pricing, { input: 300_000, output: 0 })).toBe(1_800_000);
  });

  it('throws a clear error when a strategy lacks its inputs', () => {
    expect(() => rankDeployments(deps3, { kind: 'lowest-cost' }, {}, { random: Math.random })).toThrow(/cost function/);
    expect(() => rankDeployments(deps3, { kind: 'least-busy' }, {}, { random: Math.random })).toThrow(/load stats/);
  });
});

const strategies: BalanceStrategy[] = [
  { kind: 'weighted' },
  { kind: 'least-busy', tolerance: 2 },
  { kind: 'lowest-latency', tolerance: 0.5 },
  { kind: 'lowest-cost', tolerance: 0.5 },
];
const deploymentKeys = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/), { minLength: 1, maxLength: 8 });

describe('prefix affinity', () => {
  it('affinityKey is stable, 64-bit hex, and respects part boundaries', () => {
    const prefix = 'You are a support agent. '.repeat(300);
    expect(affinityKey(['tenant-1', prefix])).toBe(affinityKey(['tenant-1', prefix]));
    expect(affinityKey(['tenant-1', prefix])).toMatch(/^[0-9a-f]{16}$/);
    expect(affinityKey(['tenant-1', prefix])).not.toBe(affinityKey(['tenant-2', prefix]));
    expect(affinityKey(['ab', 'c'])).not.toBe(affinityKey(['a', 'bc']));
    expect(fnv1a64Hex(['a'])).toBe('af63dc4c8601ec8c'); // standard FNV-1a 64 test vector
    expect(fnv1a64Hex(['foobar'])).toBe('85944171f73967e8');
  });

  it('the same key goes to the same deployment whatever the random source', () => {
    const key = affinityKey(['tenant', 'system prompt']);
    const picks = new Set(
      Array.from({ length: 50 }, (_, i) => pickDeployment(deps3, { kind: 'weighted' }, { affinityKey: key }, { random: seededRandom(i) })!.key),
    );
    expect(picks.size).toBe(1);
  });

  it('spreads keys across deployments in proportion to weight', () => {
    const n = 6_000;
    const c = counts(
      Array.from({ length: n }, (_, i) => pickDeployment(deps3, { kind: 'weighted' }, { affinityKey: affinityKey([`k${i}`]) }, { random: Math.random })),
    );
    expect(Math.abs(c['us-east']! / n - 0.1)).toBeLessThan(0.03);
    expect(Math.abs(c['ap-south']! / n - 0.7)).toBeLessThan(0.03);
  });

  it('property: removing a deployment remaps only the keys it held', () => {
    fc.assert(
      fc.property(deploymentKeys, fc.array(fc.string(), { minLength: 1, maxLength: 30 }), fc.nat(), (keys, reqs, drop) => {
        fc.pre(keys.length >= 2);
        const all = keys.map((key, i) => ({ key, weight: 1 + (i % 3) }));
        const removed = all[drop % all.length]!;
        const remaining = all.filter((d) => d !== removed);
        for (const r of reqs) {
          const ak = affinityKey([r]);
          const before = pickDeployment(all, { kind: 'weighted' }, { affinityKey: ak }, { random: Math.random })!;
          const after = pickDeployment(remaining, { kind: 'weighted' }, { affinityKey: ak }, { random: Math.random })!;
          if (before.key !== removed.key) expect(after.key).toBe(before.key);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('property: an open-breaker deployment is never picked or ranked, by any strategy', () => {
    fc.assert(
      fc.property(
        deploymentKeys,
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        fc.constantFrom(...strategies),
        fc.option(fc.string(), { nil: undefined }),
        fc.integer(),
        fc.array(fc.nat({ max: 5 }), { minLength: 8, maxLength: 8 }),
        (keys, open, strategy, req, seed, loads) => {
          const ds: Dep[] = keys.map((key, i) => ({ key, weight: (i % 3) + 1, price: 10 + ((i * 7) % 5) }));
          const stats = new LoadTracker();
          ds.forEach((d, i) => {
            for (let j = 0; j < loads[i]!; j++) stats.begin(d.key);
            stats.observeLatency(d.key, 100 + 50 * loads[i]!);
          });
          const isOpen = new Set(ds.filter((_, i) => open[i]).map((d) => d.key));
          const ranked = rankDeployments(ds, strategy, req === undefined ? {} : { affinityKey: affinityKey([req]) }, {
            random: seededRandom(seed),
            isHealthy: (k) => !isOpen.has(k),
            stats,
            cost: (d) => d.price!,
          });
          expect(ranked.some((d) => isOpen.has(d.key))).toBe(false);
          expect(ranked).toHaveLength(ds.length - isOpen.size);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('affinity under lowest-cost stays among the cheapest; rendezvous scores are deterministic', () => {
    const cost = (d: Dep) => d.price!;
    for (let i = 0; i < 200; i++) {
      const d = pickDeployment(deps3, { kind: 'lowest-cost' }, { affinityKey: affinityKey([`r${i}`]) }, { random: Math.random, cost })!;
      expect(d.key).toBe('eu-west');
    }
    expect(rendezvousScore('k', 'a', 2)).toBe(rendezvousScore('k', 'a', 2));
    expect(rendezvousScore('k', 'a', 0)).toBe(-Infinity);
  });
});
