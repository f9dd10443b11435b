import { describe, expect, it } from 'vitest';
import { planBreakpoints, type PlanOptions } from '../../src/promptcache/planner.js';
import { PrefixStats } from '../../src/promptcache/prefix-stats.js';
import { MAX_REUSE_PROBABILITY } from '../../src/promptcache/cost-model.js';
import { SONNET, blocks, fixedReuse } from './helpers.js';

const MIN = 60_000;
const opts = (over: Partial<PlanOptions> = {}): PlanOptions => ({
  pricing: SONNET,
  minCacheableTokens: 1024,
  mode: 'auto',
  now: 0,
  stats: fixedReuse(0, 0),
  namespace: 'n',
  ...over,
});

describe('planBreakpoints: the cost model', () => {
  // Sonnet: read saving 3 − 0.3 = 2.7 µ$/token; 5m premium 3.75 − 3 = 0.75; 1h premium 6 − 3 = 3.
  it('a prefix read once within 5 minutes pays at 5m: 2048 × (1 × 2.7 − 0.75) µ$', () => {
    const plan = planBreakpoints(blocks(4, 512), opts({ stats: fixedReuse(1, 1) }));
    expect(plan.breakpoints).toEqual([{ blockIndex: 3, ttl: '5m' }]);
    expect(plan.expectedSavingPico).toBe(2048 * 1_950_000);
  });

  it('a prefix never reused gets no breakpoint', () => {
    expect(planBreakpoints(blocks(4, 512), opts()).breakpoints).toEqual([]);
  });

  it('just below break-even (E·2.7 < 0.75) writes nothing in auto mode, but aggressive mode does', () => {
    const e = 0.25; // 0.675 < 0.75, but > 0.375 (half the premium)
    expect(planBreakpoints(blocks(4, 512), opts({ stats: fixedReuse(e, e) })).breakpoints).toEqual([]);
    expect(planBreakpoints(blocks(4, 512), opts({ stats: fixedReuse(e, e), mode: 'aggressive' })).breakpoints).toEqual([{ blockIndex: 3, ttl: '5m' }]);
  });

  it('observed reuse every ~20 minutes chooses 1h', () => {
    const stats = new PrefixStats();
    const b = blocks(4, 512);
    for (const t of [0, 20, 41, 60]) stats.observe('n', b, t * MIN);
    const plan = planBreakpoints(b, opts({ stats, now: 60 * MIN }));
    expect(plan.breakpoints).toEqual([{ blockIndex: 3, ttl: '1h' }]);
  });

  it('where the endpoint carries only 5m (Bedrock Converse), the same reuse plans no 1h write', () => {
    const stats = new PrefixStats();
    const b = blocks(4, 512);
    for (const t of [0, 20, 41, 60]) stats.observe('n', b, t * MIN);
    const plan = planBreakpoints(b, opts({ stats, now: 60 * MIN, ttls: ['5m'] }));
    expect(plan.breakpoints.every((p) => p.ttl === '5m')).toBe(true);
  });

  it('credits a write with later reads only up to the premium the next arrival would pay itself', () => {
    // Sonnet: 5m credit 0.75 / 2.7 reads, 1h credit 3 / 2.7 reads.
    let passed: unknown;
    const stats = {
      estimate: (_ns: string, b: readonly unknown[], _now: number, o?: unknown) => ((passed = o), b.map(() => ({ expectedReads: { '5m': 0, '1h': 0 } }))),
    };
    planBreakpoints(blocks(4, 512), opts({ stats }));
    const credit = (passed as { deferralCredit: Record<string, number> }).deferralCredit;
    expect(credit['5m']).toBeCloseTo(0.75 / 2.7, 12);
    expect(credit['1h']).toBeCloseTo(3 / 2.7, 12);

    // A first prompt in a namespace where prompts that come back come back often (~1 min apart).
    const reuse = new PrefixStats();
    for (let k = 0; k < 40; k++) for (let turn = 0; turn < 4; turn++) reuse.observe('n', blocks(4, 512, `c${k}-`), k * 10 * MIN + turn * MIN);
    const b = blocks(4, 512, 'new-');
    reuse.observe('n', b, 400 * MIN);
    const whole = reuse.estimate('n', b, 400 * MIN)[3]!;
    const credited = reuse.estimate('n', b, 400 * MIN, { deferralCredit: { '5m': 0.75 / 2.7, '1h': 3 / 2.7 } })[3]!;
    const p = Math.min(whole.pWithin['5m'], MAX_REUSE_PROBABILITY);
    const later = whole.expectedReads['5m'] / p - 1;
    expect(later).toBeGreaterThan(0.75 / 2.7);
    expect(credited.expectedReads['5m']).toBeCloseTo(p * (1 + 0.75 / 2.7), 10);
  });

  it('observed reuse within 5 minutes chooses 5m', () => {
    const stats = new PrefixStats();
    const b = blocks(4, 512);
    stats.observe('n', b, 0);
    stats.observe('n', b, 2 * MIN);
    expect(planBreakpoints(b, opts({ stats, now: 2 * MIN })).breakpoints).toEqual([{ blockIndex: 3, ttl: '5m' }]);
  });

  it('never places a breakpoint below the minimum cacheable length', () => {
    expect(planBreakpoints(blocks(3, 300), opts({ stats: fixedReuse(5, 5) })).breakpoints).toEqual([]);
    const plan = planBreakpoints(blocks(8, 300), opts({ stats: fixedReuse(5, 5), minCacheableTokens: 2048 }));
    for (const bp of plan.breakpoints) expect((bp.blockIndex + 1) * 300).toBeGreaterThanOrEqual(2048);
  });

  it('credits a segment only with reads of requests containing its end (longest-prefix reads)', () => {
    // Blocks 0-3 are read often, blocks 4-7 never: write exactly up to block 3.
    const b = blocks(8, 512);
    const stats = { estimate: () => b.map((_, i) => ({ expectedReads: { '5m': i < 4 ? 3 : 0, '1h': i < 4 ? 3 : 0 } })) };
    const plan = planBreakpoints(b, opts({ stats }));
    expect(plan.breakpoints).toEqual([{ blockIndex: 3, ttl: '5m' }]);
    expect(plan.expectedSavingPico).toBe(2048 * (3 * 2_700_000 - 750_000));
  });

  it('keeps the cached prefix within the 20-block lookback of the first breakpoint', () => {
    const b = blocks(40, 512);
    const near = planBreakpoints(b, opts({ stats: fixedReuse(2, 2), existingCachedPrefixes: new Set(['p25']) }));
    expect(near.breakpoints).toEqual([{ blockIndex: 39, ttl: '5m' }]);
    // Cached prefix at block 5: the first write lands at block 24 (= 5 + 19), then the end.
    const far = planBreakpoints(b, opts({ stats: fixedReuse(2, 2), existingCachedPrefixes: new Set(['p5']) }));
    expect(far.breakpoints).toEqual([
      { blockIndex: 24, ttl: '5m' },
      { blockIndex: 39, ttl: '5m' },
    ]);
    // Nothing new worth writing: the one breakpoint sits on the cached prefix itself.
    const readOnly = planBreakpoints(b, opts({ existingCachedPrefixes: new Set(['p5']) }));
    expect(readOnly.breakpoints).toEqual([{ blockIndex: 5, ttl: '5m' }]);
  });

  it('reads a cached prefix even when nothing new is worth writing', () => {
    const plan = planBreakpoints(blocks(6, 512), opts({ existingCachedPrefixes: new Set(['p3']) }));
    expect(plan.breakpoints).toEqual([{ blockIndex: 3, ttl: '5m' }]);
    expect(plan.expectedSavingPico).toBe(2048 * 2_700_000);
  });

  it('puts 1h breakpoints before 5m ones', () => {
    const b = blocks(12, 512);
    const stats = { estimate: () => b.map((_, i) => ({ expectedReads: i < 6 ? { '5m': 0.5, '1h': 30 } : { '5m': 2, '1h': 2 } })) };
    const plan = planBreakpoints(b, opts({ stats }));
    expect(plan.breakpoints).toEqual([
      { blockIndex: 5, ttl: '1h' },
      { blockIndex: 11, ttl: '5m' },
    ]);
  });
});
