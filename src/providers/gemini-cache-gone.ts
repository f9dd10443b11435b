// Telling "the cache named in this request is gone" apart from other upstream errors. Gemini
// answers an expired, deleted or unknown cachedContent with 403 PERMISSION_DENIED (some paths
// 404); on a request that names a cache either status is taken as that, and the full request is
// sent once more. A 403 that was really about the key fails the same way on the retry.
import { GatewayError } from '../core/errors.js';
import type { UpstreamErrorParser } from './http.js';

export class CachedContentGone extends GatewayError {
  constructor(readonly upstream: GatewayError) {
    super({
      kind: upstream.kind,
      status: upstream.status,
      message: upstream.message,
      code: upstream.code,
      ...(upstream.provider !== undefined ? { provider: upstream.provider } : {}),
      headers: upstream.headers,
    });
    this.name = 'CachedContentGone';
  }
}

export function cacheAwareParser(parse: UpstreamErrorParser): UpstreamErrorParser {
  return (status, body, headers, provider) => {
    const err = parse(status, body, headers, provider);
    return status === 403 || status === 404 ? new CachedContentGone(err) : err;
  };
}
