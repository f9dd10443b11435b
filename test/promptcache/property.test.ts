import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnthropicPromptCache, DEFAULT_MIN_CACHE_TOKENS } from '../../src/providers/anthropic-cache-rules.js';
import { blockEnds, type PromptBlock } from '../../src/promptcache/blocks.js';
import { planBreakpoints } from '../../src/promptcache/planner.js';
import { segmentsOf } from '../../src/promptcache/segments.js';
import { SONNET } from './helpers.js';

const arbBlocks = fc.array(fc.record({ tokens: fc.integer({ min: 0, max: 3000 }), cacheable: fc.boolean() }), { minLength: 0, maxLength: 60 });
const arbReads = fc.array(fc.record({ r5: fc.double({ min: 0, max: 50, noNaN: true }), r1: fc.double({ min: 0, max: 50, noNaN: true }) }), {
  minLength: 60,
  maxLength: 60,
});

describe('planner properties', () => {
  it('never emits more than 4 breakpoints, one below the minimum, or an order the API rejects', () => {
    fc.assert(
      fc.property(
        arbBlocks,
        arbReads,
        fc.constantFrom(1024, 2048, 4096),
        fc.integer({ min: -1, max: 59 }),
        fc.constantFrom('auto' as const, 'aggressive' as const),
        (raw, reads, min, cachedAt, mode) => {
          const blocks: PromptBlock[] = raw.map((b, i) => ({ hash: `h${i}`, tokens: b.tokens, kind: 'message', cacheable: b.cacheable }));
          const stats = { estimate: () => blocks.map((_, i) => ({ expectedReads: { '5m': reads[i]!.r5, '1h': reads[i]!.r1 } })) };
          const existing = cachedAt >= 0 && cachedAt < blocks.length ? new Set([`h${cachedAt}`]) : undefined;
          const plan = planBreakpoints(blocks, {
            pricing: SONNET,
            minCacheableTokens: min,
            mode,
            now: 0,
            stats,
            namespace: 'n',
            ...(existing ? { existingCachedPrefixes: existing } : {}),
          });
          const ends = blockEnds(blocks);
          expect(plan.breakpoints.length).toBeLessThanOrEqual(4);
          let prev = -1;
          let seen5m = false;
          for (const bp of plan.breakpoints) {
            expect(bp.blockIndex).toBeGreaterThan(prev);
            prev = bp.blockIndex;
            expect(blocks[bp.blockIndex]!.cacheable).toBe(true);
            expect(ends[bp.blockIndex]!).toBeGreaterThanOrEqual(min);
            if (bp.ttl === '1h') expect(seen5m).toBe(false);
            else seen5m = true;
          }
          expect(plan.expectedSavingPico).toBeGreaterThanOrEqual(0);
          // The emulator (which enforces the API's rules) accepts the plan.
          const cache = new AnthropicPromptCache(() => 0, DEFAULT_MIN_CACHE_TOKENS);
          expect(() => cache.plan('claude-sonnet-4-5', segmentsOf(blocks, plan.breakpoints))).not.toThrow();
        },
      ),
      { numRuns: 500 },
    );
  });
});
