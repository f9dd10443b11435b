// Per-minute rate limits (fixed one-minute windows, one budget per provider) and the headers the
// real providers send with every response.
import { EmuError, type Provider } from './errors.js';

export interface RateLimitConfig {
  requestsPerMinute: number;
  tokensPerMinute: number;
}

export const DEFAULT_RATE_LIMITS: RateLimitConfig = { requestsPerMinute: 10_000, tokensPerMinute: 10_000_000 };

interface Window {
  start: number;
  requests: number;
  inputTokens: number;
  outputTokens: number;
}

export interface RateSnapshot {
  limits: RateLimitConfig;
  requestsRemaining: number;
  tokensRemaining: number;
  inputRemaining: number;
  outputRemaining: number;
  /** Milliseconds until the window resets. */
  resetMs: number;
  /** Absolute reset time (epoch ms). */
  resetAt: number;
}

export class RateLimiter {
  private readonly windows = new Map<Provider, Window>();
  constructor(
    private readonly limits: RateLimitConfig,
    private readonly now: () => number,
  ) {}

  private window(provider: Provider): Window {
    const t = this.now();
    const start = t - (t % 60_000);
    let w = this.windows.get(provider);
    if (!w || w.start !== start) {
      w = { start, requests: 0, inputTokens: 0, outputTokens: 0 };
      this.windows.set(provider, w);
    }
    return w;
  }

  private snapshot(w: Window): RateSnapshot {
    const { requestsPerMinute: rpm, tokensPerMinute: tpm } = this.limits;
    const resetAt = w.start + 60_000;
    return {
      limits: this.limits,
      requestsRemaining: Math.max(0, rpm - w.requests),
      tokensRemaining: Math.max(0, tpm - w.inputTokens - w.outputTokens),
      inputRemaining: Math.max(0, tpm - w.inputTokens),
      outputRemaining: Math.max(0, tpm - w.outputTokens),
      resetMs: Math.max(0, resetAt - this.now()),
      resetAt,
    };
  }

  peek(provider: Provider): RateSnapshot {
    return this.snapshot(this.window(provider));
  }

  /** Admits a request using these tokens, or throws a provider 429 carrying the headers. */
  take(provider: Provider, inputTokens: number, outputTokens: number): RateSnapshot {
    const w = this.window(provider);
    const { requestsPerMinute: rpm, tokensPerMinute: tpm } = this.limits;
    const overRequests = w.requests + 1 > rpm;
    if (overRequests || w.inputTokens + w.outputTokens + inputTokens + outputTokens > tpm) {
      const snap = this.snapshot(w);
      const what = overRequests ? 'requests' : 'tokens';
      const limit = overRequests ? rpm : tpm;
      throw new EmuError(429, `Rate limit reached on ${what} per min: Limit ${limit}. Please try again later.`, {
        code: 'rate_limit_exceeded',
        openaiType: what,
        headers: { ...rateLimitHeaders(provider, snap), 'retry-after': String(Math.max(1, Math.ceil(snap.resetMs / 1000))) },
      });
    }
    w.requests += 1;
    w.inputTokens += inputTokens;
    w.outputTokens += outputTokens;
    return this.snapshot(w);
  }
}

/** OpenAI's reset format: `12ms`, `1s`, `1.5s`, `6m0s`. */
export function formatResetDuration(ms: number): string {
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  if (ms < 60_000) return `${Math.round(ms / 10) / 100}s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m${Math.round((ms - m * 60_000) / 1000)}s`;
}

function rfc3339(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function rateLimitHeaders(provider: Provider, s: RateSnapshot): Record<string, string> {
  if (provider === 'openai') {
    const reset = formatResetDuration(s.resetMs);
    return {
      'x-ratelimit-limit-requests': String(s.limits.requestsPerMinute),
      'x-ratelimit-limit-tokens': String(s.limits.tokensPerMinute),
      'x-ratelimit-remaining-requests': String(s.requestsRemaining),
      'x-ratelimit-remaining-tokens': String(s.tokensRemaining),
      'x-ratelimit-reset-requests': reset,
      'x-ratelimit-reset-tokens': reset,
    };
  }
  if (provider === 'anthropic') {
    const reset = rfc3339(s.resetAt);
    const tpm = String(s.limits.tokensPerMinute);
    return {
      'anthropic-ratelimit-requests-limit': String(s.limits.requestsPerMinute),
      'anthropic-ratelimit-requests-remaining': String(s.requestsRemaining),
      'anthropic-ratelimit-requests-reset': reset,
      'anthropic-ratelimit-tokens-limit': tpm,
      'anthropic-ratelimit-tokens-remaining': String(s.tokensRemaining),
      'anthropic-ratelimit-tokens-reset': reset,
      'anthropic-ratelimit-input-tokens-limit': tpm,
      'anthropic-ratelimit-input-tokens-remaining': String(s.inputRemaining),
      'anthropic-ratelimit-input-tokens-reset': reset,
      'anthropic-ratelimit-output-tokens-limit': tpm,
      'anthropic-ratelimit-output-tokens-remaining': String(s.outputRemaining),
      'anthropic-ratelimit-output-tokens-reset': reset,
    };
  }
  return {};
}

/** Headers of an exhausted budget (for injected 429s). */
export function exhaustedHeaders(provider: Provider, s: RateSnapshot): Record<string, string> {
  return rateLimitHeaders(provider, {
    ...s,
    requestsRemaining: 0,
    tokensRemaining: 0,
    inputRemaining: 0,
    outputRemaining: 0,
    resetMs: 1000,
    resetAt: s.resetAt,
  });
}
