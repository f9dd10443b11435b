import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatUsd, picoPerToken } from '../../src/cost/money.js';
import { costPico } from '../../src/cost/calculate.js';
import { lookupPricing, resolvePricing } from '../../src/cost/prices.js';
import { calcPrice } from '@pydantic/genai-prices';
import { ZERO_USAGE, type Usage } from '../../src/core/canonical.js';

const usage = (u: Partial<Usage>): Usage => ({ ...ZERO_USAGE, ...u });

describe('money', () => {
  it('formats pico-dollars exactly', () => {
    expect(formatUsd(0)).toBe('0');
    expect(formatUsd(1)).toBe('0.000000000001');
    expect(formatUsd(1_500_000_000_000)).toBe('1.5');
    expect(formatUsd(-25_000)).toBe('-0.000000025');
    expect(picoPerToken(0.075)).toBe(75_000);
    expect(picoPerToken(0.025)).toBe(25_000);
  });
});

describe('pricing from @pydantic/genai-prices', () => {
  it('mixed-TTL Claude cost to the pico-dollar', () => {
    const p = lookupPricing('anthropic', 'claude-sonnet-4-5')!;
    // 1,000 input × $3 + 2,000 read × $0.30 + 3,000 5m × $3.75 + 4,000 1h × $6 + 500 out × $15 (per MTok)
    const c = costPico(usage({ inputTokens: 1000, cacheReadTokens: 2000, cacheWrite5mTokens: 3000, cacheWrite1hTokens: 4000, outputTokens: 500 }), p);
    expect(c).toBe(1000 * 3_000_000 + 2000 * 300_000 + 3000 * 3_750_000 + 4000 * 6_000_000 + 500 * 15_000_000);
    expect(formatUsd(c)).toBe('0.04635');
  });

  it('long-context tier applies above 200k input tokens', () => {
    const p = lookupPricing('anthropic', 'claude-sonnet-4-5')!;
    expect(costPico(usage({ inputTokens: 200_001, outputTokens: 1 }), p)).toBe(200_001 * 6_000_000 + 22_500_000);
    expect(costPico(usage({ inputTokens: 200_000, outputTokens: 1 }), p)).toBe(200_000 * 3_000_000 + 15_000_000);
  });

  it('config overrides win', () => {
    const p = resolvePricing('openai', 'gpt-4.1', { input: 1, output: 2 })!;
    expect(costPico(usage({ inputTokens: 10, outputTokens: 10 }), p)).toBe(30_000_000);
  });

  it("agrees with the library's own calculator", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(['openai', 'gpt-4.1-mini'], ['openai', 'gpt-4o-mini'], ['anthropic', 'claude-haiku-4-5'], ['google', 'gemini-2.5-flash']),
        fc.nat(100_000),
        fc.nat(100_000),
        fc.nat(50_000),
        ([provider, model], input, output, cached) => {
          const kind = provider === 'google' ? 'gemini' : provider;
          const ours = costPico(usage({ inputTokens: input, cacheReadTokens: cached, outputTokens: output }), lookupPricing(kind, model)!);
          const theirs = calcPrice({ input_tokens: input + cached, cache_read_tokens: cached, output_tokens: output }, model, { providerId: provider })!;
          expect(ours / 1e12).toBeCloseTo(theirs.total_price, 9);
        },
      ),
    );
  });
});
