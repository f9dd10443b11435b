// What the response cache stage decided for a request (on the context from lookup to settle), and
// the answer it stores.
import type { CanonicalResponse } from '../core/canonical.js';

/** What the cache will do with this request's answer; on the context from lookup to settle. */
export interface CachePlan {
  key: string;
  /** The caller's tenant: stores check it on every read, invalidation filters by it. */
  tenant: string;
  ttlMs: number;
  /** Resolves the waiting identical requests; set on the leader. */
  release?: (answer: StoredAnswer | undefined) => void;
  /** Where the answer is indexed by meaning, when semantic caching applies. */
  semantic?: { namespace: string; text: string };
}

export interface StoredAnswer {
  v: 1;
  /** The catalog model that produced it. */
  model: string;
  response: CanonicalResponse;
}
