import { describe, expect, it } from 'vitest';
import { parseResetDuration, translateRateLimitHeaders } from '../../src/core/headers.js';

describe('rate-limit headers across formats', () => {
  it('parses OpenAI reset durations', () => {
    expect(parseResetDuration('1s')).toBe(1000);
    expect(parseResetDuration('6m0s')).toBe(360_000);
    expect(parseResetDuration('12ms')).toBe(12);
    expect(parseResetDuration('1.5s')).toBe(1500);
    expect(parseResetDuration('soon')).toBeNull();
  });

  it('gives an OpenAI caller x-ratelimit-* from Anthropic headers, keeping the originals', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const out = translateRateLimitHeaders(
      'openai',
      {
        'anthropic-ratelimit-requests-limit': '50',
        'anthropic-ratelimit-requests-remaining': '49',
        'anthropic-ratelimit-requests-reset': '2026-01-01T00:01:30Z',
        'anthropic-ratelimit-tokens-reset': '2026-01-01T00:00:00.250Z',
      },
      now,
    );
    expect(out['x-ratelimit-limit-requests']).toBe('50');
    expect(out['x-ratelimit-remaining-requests']).toBe('49');
    expect(out['x-ratelimit-reset-requests']).toBe('1m30s');
    expect(out['x-ratelimit-reset-tokens']).toBe('250ms');
    expect(out['anthropic-ratelimit-requests-limit']).toBe('50');
  });

  it('gives an Anthropic caller anthropic-ratelimit-* from OpenAI headers', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const out = translateRateLimitHeaders('anthropic', { 'x-ratelimit-limit-tokens': '1000', 'x-ratelimit-reset-tokens': '6m0s' }, now);
    expect(out['anthropic-ratelimit-tokens-limit']).toBe('1000');
    expect(out['anthropic-ratelimit-tokens-reset']).toBe('2026-01-01T00:06:00Z');
  });
});
