// Upstream response headers that mean something to the caller.

/** Headers worth passing back to the caller: rate limits and retry hints. */
export function passBackHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in headers) {
    if (k.startsWith('x-ratelimit-') || k.startsWith('anthropic-ratelimit-') || k === 'retry-after' || k === 'retry-after-ms') {
      const v = headers[k];
      if (v !== undefined) out[k] = typeof v === 'string' ? v : v.join(', ');
    }
  }
  return out;
}

/** One header's value as a string (repeated headers joined), or undefined. */
export function headerValue(headers: Readonly<Record<string, string | string[] | undefined>>, name: string): string | undefined {
  const v = headers[name];
  return v === undefined || typeof v === 'string' ? v : v.join(', ');
}

const OPENAI_DURATION = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$/;

/** OpenAI reset durations (`1s`, `6m0s`, `12ms`) → milliseconds. */
export function parseResetDuration(value: string): number | null {
  const m = OPENAI_DURATION.exec(value.trim());
  if (!m || value.trim() === '') return null;
  const [, h, min, s, ms] = m;
  return Number(h ?? 0) * 3_600_000 + Number(min ?? 0) * 60_000 + Number(s ?? 0) * 1000 + Number(ms ?? 0);
}

function formatResetDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const totalSeconds = ms / 1000;
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = Math.round((totalSeconds - minutes * 60) * 1000) / 1000;
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
}

/**
 * Adds the caller's own rate-limit headers when the serving provider speaks another format
 * (an OpenAI client served by Claude sees `x-ratelimit-*`, an Anthropic client served by GPT
 * sees `anthropic-ratelimit-*`). The provider's originals are kept.
 */
export function translateRateLimitHeaders(callerFormat: string, headers: Record<string, string>, nowMs: number): Record<string, string> {
  const foreign = callerFormat === 'openai' ? 'anthropic-ratelimit-' : callerFormat === 'anthropic' ? 'x-ratelimit-' : null;
  let needed = false;
  if (foreign)
    for (const k in headers)
      if (k.startsWith(foreign)) {
        needed = true;
        break;
      }
  if (!needed) return headers;
  const out = { ...headers };
  for (const kind of ['requests', 'tokens'] as const) {
    if (callerFormat === 'openai') {
      for (const field of ['limit', 'remaining'] as const) {
        const v = headers[`anthropic-ratelimit-${kind}-${field}`];
        if (v !== undefined && out[`x-ratelimit-${field}-${kind}`] === undefined) out[`x-ratelimit-${field}-${kind}`] = v;
      }
      const reset = headers[`anthropic-ratelimit-${kind}-reset`];
      const at = reset !== undefined ? Date.parse(reset) : NaN;
      if (!Number.isNaN(at) && out[`x-ratelimit-reset-${kind}`] === undefined) out[`x-ratelimit-reset-${kind}`] = formatResetDuration(at - nowMs);
    } else if (callerFormat === 'anthropic') {
      for (const field of ['limit', 'remaining'] as const) {
        const v = headers[`x-ratelimit-${field}-${kind}`];
        if (v !== undefined && out[`anthropic-ratelimit-${kind}-${field}`] === undefined) out[`anthropic-ratelimit-${kind}-${field}`] = v;
      }
      const reset = headers[`x-ratelimit-reset-${kind}`];
      const ms = reset !== undefined ? parseResetDuration(reset) : null;
      if (ms !== null && out[`anthropic-ratelimit-${kind}-reset`] === undefined) {
        out[`anthropic-ratelimit-${kind}-reset`] = new Date(Math.ceil((nowMs + ms) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
      }
    }
  }
  return out;
}
