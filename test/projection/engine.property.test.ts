// Properties over random scenarios: whole requests add up, the savings telescope to exactly
// naive − optimised, and no technique loses money when the routed model is the cheaper one.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/projection/load.js';
import { project } from '../../src/projection/project.js';
import { splitByShare } from '../../src/projection/split.js';
import { TECHNIQUES } from '../../src/projection/engine.js';
import { TempDir } from './fixtures.js';

const tmp = new TempDir();
afterAll(() => tmp.dispose());

const rate = fc.double({ min: 0, max: 1, noNaN: true });

describe('projection properties', () => {
  it('splitByShare hands out exactly the total', () => {
    fc.assert(
      fc.property(fc.nat(10_000_000), fc.array(fc.double({ min: 0.001, max: 1, noNaN: true }), { minLength: 1, maxLength: 8 }), (total, raw) => {
        const sum = raw.reduce((a, b) => a + b, 0);
        const parts = splitByShare(
          total,
          raw.map((r) => r / sum),
        );
        expect(parts.reduce((a, b) => a + b, 0)).toBe(total);
        expect(parts.every((p) => Number.isInteger(p) && p >= 0)).toBe(true);
      }),
    );
  });

  it('savings sum to naive − optimised and are never negative when routing goes to the cheaper model', () => {
    const typeArb = fc.record({
      input_tokens: fc.nat(50_000),
      output_tokens: fc.nat(5_000),
      prompt_optimization: rate,
      hit: rate,
      semanticShare: rate,
      prefix_share: rate,
      reuse_rate: rate,
      ttl: fc.constantFrom('5m', '1h'),
      batchable_share: rate,
    });
    fc.assert(
      fc.property(fc.nat(2_000_000), fc.array(typeArb, { minLength: 1, maxLength: 4 }), fc.boolean(), (launch, types, grows) => {
        const raw = {
          name: 'random',
          config: 'costwise.yaml',
          months: 3,
          volume: { launch, growth: 0.3 },
          naive_model: 'big',
          reuse_grows_with_volume: grows,
          mix: types.map((t, i) => ({
            name: `t${i}`,
            share: 1 / types.length,
            input_tokens: t.input_tokens,
            output_tokens: t.output_tokens,
            serve: { tier: 'cheap' },
            assumptions: {
              prompt_optimization: t.prompt_optimization,
              response_cache: { exact_hit_rate: t.hit * (1 - t.semanticShare), semantic_hit_rate: t.hit * t.semanticShare },
              prompt_cache: { prefix_share: t.prefix_share, reuse_rate: t.reuse_rate, ttl: t.ttl },
              batchable_share: t.batchable_share,
            },
          })),
        };
        const p = project(parseScenario(raw, tmp.path('random.yaml')));
        for (const s of p.scales) {
          for (const m of s.months) {
            const sum = TECHNIQUES.reduce((a, k) => a + m.savingsPico[k], 0n);
            expect(sum).toBe(m.naivePico - m.optimizedPico);
            for (const k of TECHNIQUES) expect(m.savingsPico[k] >= 0n).toBe(true);
            expect(m.types.reduce((a, t) => a + t.requests, 0)).toBe(m.requests);
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});
