// The exact-cache key: sha256 over a canonical JSON text of the request, scoped by tenant and the
// model (or tier) the caller asked for. What is in that text, and what is not, is decided field by
// field in key-rules.ts. The wire format is not in it: an OpenAI- and an Anthropic-format request
// with the same canonical content share an entry.
import type { CanonicalRequest } from '../../core/canonical.js';
import { REQUEST_FIELDS, writeRecord, type EncodeContext } from './key-rules.js';
import { HashSink, StringSink } from './key-sink.js';
import { quote, type TextSink } from './canonical-json.js';

/** Bumped whenever the canonical text changes, so old entries simply stop matching. */
export const KEY_VERSION = 'costwise-exact/1';

export interface CacheScope {
  /** The tenant (key namespace). Part of the key; stores also check it on every read. */
  tenant: string;
  /** The model or tier/router name the caller asked for (replaces `request.model`). */
  model: string;
}

/** The key: 64 lowercase hex digits. */
export function cacheKey(request: CanonicalRequest, scope: CacheScope): string {
  const sink = new HashSink();
  writeKeyText(request, scope, sink);
  return sink.digest();
}

/** The text `cacheKey` hashes: for tests and for explaining a miss. */
export function cacheKeyText(request: CanonicalRequest, scope: CacheScope): string {
  const sink = new StringSink();
  writeKeyText(request, scope, sink);
  return sink.text;
}

export function writeKeyText(request: CanonicalRequest, scope: CacheScope, out: TextSink): void {
  out.write(`[${quote(KEY_VERSION)},${quote(scope.tenant)},${quote(scope.model)},`);
  const ctx: EncodeContext = { request, toolIds: new Map() };
  writeRecord(request, REQUEST_FIELDS, out, ctx);
  out.write(']');
}

/** The default cache policy: only answers the provider would (nearly) repeat. */
export function isDeterministic(request: CanonicalRequest): boolean {
  return request.temperature === 0 || request.seed !== undefined;
}
