// Continuation signals in the planner: a floor under the statistics' expected reads, up to the
// blocks the conversation's next request will contain; and the config that turns the stage on.
import { describe, expect, it } from 'vitest';
import { AutoCachePlanner } from '../../src/promptcache/auto.js';
import { parseConfig } from '../../src/config/load.js';
import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import { blocks, fixedReuse, SONNET } from '../promptcache/helpers.js';

describe('AutoCachePlanner with a continuation floor', () => {
  const input = { namespace: 'n', model: 'claude-sonnet-4-5', pricing: SONNET, minCacheableTokens: 1024, mode: 'auto' as const, now: 0 };

  it('writes a prompt the statistics give up on when the conversation is in a tool loop', () => {
    const b = blocks(4, 512);
    const noReuse = new AutoCachePlanner({ reuse: fixedReuse(0, 0) });
    expect(noReuse.plan({ ...input, blocks: b }).plan.breakpoints).toEqual([]);
    // 0.9 expected reads: 0.9 × (3 − 0.3) = 2.43 > 0.75 premium per token.
    const loop = noReuse.plan({ ...input, blocks: b, continuation: { expectedReads: { '5m': 0.9, '1h': 0.9 }, throughBlock: 3 } });
    expect(loop.plan.breakpoints).toEqual([{ blockIndex: 3, ttl: '5m' }]);
  });

  it('credits only the blocks the next request will contain', () => {
    const b = blocks(4, 512);
    const planner = new AutoCachePlanner({ reuse: fixedReuse(0, 0) });
    const plan = planner.plan({ ...input, blocks: b, continuation: { expectedReads: { '5m': 0.9, '1h': 0.9 }, throughBlock: 2 } });
    expect(plan.plan.breakpoints).toEqual([{ blockIndex: 2, ttl: '5m' }]);
  });

  it('with no 5m credit (turns more than 5 minutes apart) it writes 1h only when 1h reads repay the 1h premium', () => {
    const planner = new AutoCachePlanner({ reuse: fixedReuse(0, 0) });
    const slow = (reads1h: number) =>
      planner.plan({ ...input, blocks: blocks(4, 512), continuation: { expectedReads: { '5m': 0, '1h': reads1h }, throughBlock: 3 } });
    // 1h premium 3 per token against 2.7 saved per read: one read never repays it, 1.5 reads do.
    expect(slow(0.9).plan.breakpoints).toEqual([]);
    expect(slow(1.5).plan.breakpoints).toEqual([{ blockIndex: 3, ttl: '1h' }]);
  });
});

describe('promptOptimization config', () => {
  const parse = (promptOptimization: unknown) => parseConfig({ ...structuredClone(DEFAULT_CONFIG), promptOptimization }, 'test', {});

  it('accepts off, lossless and policies, per route', () => {
    expect(parse({ mode: 'lossless' }).config.promptOptimization.mode).toBe('lossless');
    const c = parse({ rules: [{ name: 'a', match: { tags: 'agent' }, mode: { elideToolResults: { olderThanSteps: 2 } } }] }).config.promptOptimization;
    expect(c.mode).toBe('off');
    expect(c.rules[0]!.mode).toEqual({ lossless: true, cachedPrefix: 'keep', elideToolResults: { olderThanSteps: 2 } });
  });

  it('rejects a misspelt mode and names the field', () => {
    expect(() => parse({ mode: 'losless' })).toThrow(/promptOptimization\.mode/);
    expect(() => parse({ mode: { elideToolResults: { olderThanSteps: 0 } } })).toThrow(/promptOptimization\.mode/);
  });
});
