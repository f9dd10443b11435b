// Upstream response headers that mean something to the caller.

/** Headers worth passing back to the caller: rate limits and retry hints. */
export function passBackHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (k.startsWith('x-ratelimit-') || k.startsWith('anthropic-ratelimit-') || k === 'retry-after' || k === 'retry-after-ms') {
      out[k] = v;
    }
  }
  return out;
}
