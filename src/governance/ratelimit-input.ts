// Validation shared by the rate limiters: a malformed limit is a programming error, thrown.
import type { AcquireRequest, RateLimit } from './ratelimit-types.js';

export function limitId(limit: RateLimit): string {
  return `${limit.subject}|${limit.kind}|${limit.windowMs}`;
}

export function checkAcquire(request: AcquireRequest): void {
  const { tokens, limits } = request;
  if (!Number.isSafeInteger(tokens) || tokens < 0) throw new RangeError(`tokens must be a non-negative whole number, got ${tokens}`);
  const ids = new Set<string>();
  for (const l of limits) {
    if (!Number.isSafeInteger(l.limit) || l.limit < 1) throw new RangeError(`limit of ${l.subject} must be a positive whole number, got ${l.limit}`);
    if (!Number.isSafeInteger(l.windowMs) || l.windowMs < 1)
      throw new RangeError(`windowMs of ${l.subject} must be a positive whole number, got ${l.windowMs}`);
    const id = limitId(l);
    if (ids.has(id)) throw new RangeError(`acquire: limit ${id} given twice`);
    ids.add(id);
  }
}

export function checkTokens(actualTokens: number): void {
  if (!Number.isSafeInteger(actualTokens) || actualTokens < 0) throw new RangeError(`actualTokens must be a non-negative whole number, got ${actualTokens}`);
}

export function retryAfterSeconds(resetMs: number): number {
  return Math.max(1, Math.ceil(resetMs / 1000));
}
