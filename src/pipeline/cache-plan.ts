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
  semantic?: {
    namespace: string;
    text: string;
    /** Where the threshold is learned: the cache namespace and the model asked for. */
    scope: string;
  };
}

/** A semantic lookup checked against a fresh upstream answer (online verification). */
export interface CacheVerification {
  scope: string;
  similarity: number;
  /** The cached answer's text. */
  cached: string;
  /** 1 / the chance this lookup had of being checked. */
  weight: number;
  /** A would-be hit sent upstream to check it (billed as `cache_verify`), not a near miss. */
  sampledHit: boolean;
}

export interface StoredAnswer {
  v: 1;
  /** The catalog model that produced it. */
  model: string;
  response: CanonicalResponse;
}
