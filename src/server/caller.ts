// The request headers costwise forwards upstream.
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Emulator controls (`x-emulator-*`) and Anthropic feature flags (`anthropic-beta`) pass through
 * to the upstream; nothing else does (never the caller's credentials).
 */
export function forwardHeadersFrom(headers: IncomingHttpHeaders): Record<string, string> {
  let out: Record<string, string> | undefined;
  for (const name in headers) {
    if (name.startsWith('x-emulator-') || name === 'anthropic-beta') {
      const v = headers[name];
      if (typeof v === 'string') (out ??= {})[name] = v;
    }
  }
  return out ?? {};
}
