// A provider's rate limit is back-pressure, not a failure: a 429 never opens a deployment's breaker.
// Instead the deployment is throttled until the provider says it has room again — the 429's
// retry-after, or (read off successful answers) the reset of a rate-limit counter that reached
// zero — and candidates.ts tries other deployments first meanwhile. With no other deployment the
// request is still sent (the provider may accept it) and a 429 is retried after its retry-after
// (retry.ts), up to `maxRetryAfterSeconds`, then answered with the provider's retry-after.
import type { GatewayError } from '../../core/errors.js';
import { headerValue, parseResetDuration } from '../../core/headers.js';

/** When a 429 says nothing about when to come back. */
const DEFAULT_BACKOFF_MS = 1_000;

export class ProviderThrottle {
  private readonly until = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  /** The deployment answered 429. */
  limited(key: string, err: GatewayError): void {
    const after = err.retryAfterSeconds;
    const ms = after !== undefined && Number.isFinite(after) && after > 0 ? after * 1000 : DEFAULT_BACKOFF_MS;
    this.hold(key, this.now() + ms);
  }

  /** Rate-limit headers of a successful answer: a counter at zero holds the deployment until its reset. */
  observe(key: string, headers: Readonly<Record<string, string>>): void {
    for (const kind of ['requests', 'tokens'] as const) {
      const openai = headerValue(headers, `x-ratelimit-remaining-${kind}`);
      if (openai !== undefined) {
        if (Number(openai) > 0) continue;
        const reset = parseResetDuration(headerValue(headers, `x-ratelimit-reset-${kind}`) ?? '');
        this.hold(key, this.now() + (reset ?? DEFAULT_BACKOFF_MS));
        continue;
      }
      const anthropic = headerValue(headers, `anthropic-ratelimit-${kind}-remaining`);
      if (anthropic === undefined || Number(anthropic) > 0) continue;
      const reset = Date.parse(headerValue(headers, `anthropic-ratelimit-${kind}-reset`) ?? '');
      this.hold(key, Number.isNaN(reset) ? this.now() + DEFAULT_BACKOFF_MS : reset);
    }
  }

  /** Whether the deployment should be tried after others now. */
  isThrottled(key: string): boolean {
    if (this.until.size === 0) return false;
    const t = this.until.get(key);
    if (t === undefined) return false;
    if (t > this.now()) return true;
    this.until.delete(key);
    return false;
  }

  private hold(key: string, until: number): void {
    if (until > (this.until.get(key) ?? 0)) this.until.set(key, until);
  }
}
