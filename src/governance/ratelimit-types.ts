// Rate limits: requests and tokens per sliding window, exact — a limit of N admits at most N (or N
// tokens) in ANY window of `windowMs`, across every replica — because each admission is logged
// with its time and weight, and a request is admitted only if the log of the last window plus the
// request fits. (A GCRA or token bucket allows bursts beyond N in a window; this does not.)
// In-process (ratelimit-memory.ts) and Redis (ratelimit-redis.ts) behind one interface.

export type RateLimitKind = 'requests' | 'tokens';

export interface RateLimit {
  /** `key:<id>`, `team:<id>` (scopes.ts). */
  subject: string;
  kind: RateLimitKind;
  /** Requests, or tokens, per window. */
  limit: number;
  windowMs: number;
}

export interface AcquireRequest {
  /** Every limit that applies: admitted on all, or on none. */
  limits: readonly RateLimit[];
  /** Estimated tokens (input + max output): the weight on token limits until `adjust`. */
  tokens: number;
}

/** An admission. Pass it to `adjust` once the actual token count is known. */
export interface Permit {
  readonly id: string;
  readonly tokens: number;
  /** The token limits it was counted on. */
  readonly tokenLimits: readonly RateLimit[];
}

/** What the response headers need about one limit. */
export interface LimitState {
  limit: RateLimit;
  /** What is left in the current window after this request. */
  remaining: number;
  /** Ms until the oldest counted entry leaves the window (when a refused request could fit, for `limited`). */
  resetMs: number;
}

export type AcquireResult =
  | { status: 'admitted'; permit: Permit; states: LimitState[] }
  | { status: 'limited'; state: LimitState; /** Whole seconds for `Retry-After` (≥ 1). */ retryAfterSeconds: number }
  /** The request alone exceeds a token limit: it can never be admitted. */
  | { status: 'too_large'; limit: RateLimit }
  | { status: 'unavailable'; error: Error };

/** adjusted: the count was corrected. expired: the entry has left the window, nothing to correct. */
export type AdjustStatus = 'adjusted' | 'expired' | 'unavailable';

export interface RateLimiter {
  acquire(request: AcquireRequest): Promise<AcquireResult>;
  /** Replaces the permit's estimated tokens with the actual count (0 when nothing was used). */
  adjust(permit: Permit, actualTokens: number): Promise<AdjustStatus>;
  close(): Promise<void>;
}
