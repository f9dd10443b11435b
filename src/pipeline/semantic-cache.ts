// The semantic side of the response cache in a gateway process: the matcher (embedder, vector
// index, verifier) over the questions whose answers the exact store holds, bounded in entries
// (the oldest indexed question is dropped first). Answers themselves stay in the exact store, so
// TTL, invalidation and tenant checks apply to semantic hits unchanged.
import { createBuiltinEmbedder, SemanticMatcher, type Embedder } from '../cache/semantic/index.js';

export interface SemanticCache {
  /** The id (exact key) of a verified near-duplicate question in the namespace, if any. */
  lookup(namespace: string, text: string): Promise<{ id: string; similarity: number } | undefined>;
  index(namespace: string, id: string, text: string): Promise<void>;
  forget(namespace: string, id: string): void;
  readonly size: number;
}

export interface SemanticCacheOptions {
  threshold?: number | undefined;
  maxEntries: number;
  embedder?: Embedder;
}

export function createSemanticCache(opts: SemanticCacheOptions): SemanticCache {
  const matcher = new SemanticMatcher({ embedder: opts.embedder ?? createBuiltinEmbedder(), ...(opts.threshold !== undefined ? { threshold: opts.threshold } : {}) });
  // Insertion order = age: the first key is the oldest indexed question.
  const order = new Map<string, { namespace: string; id: string }>();
  const slot = (namespace: string, id: string) => `${namespace}\u0000${id}`;
  return {
    async lookup(namespace, text) {
      const result = await matcher.lookup(namespace, text);
      return result.hit ? { id: result.hit.id, similarity: result.hit.similarity } : undefined;
    },
    async index(namespace, id, text) {
      await matcher.store(namespace, id, text);
      const k = slot(namespace, id);
      order.delete(k);
      order.set(k, { namespace, id });
      while (order.size > opts.maxEntries) {
        const [oldest, entry] = order.entries().next().value!;
        order.delete(oldest);
        matcher.remove(entry.namespace, entry.id);
      }
    },
    forget(namespace, id) {
      order.delete(slot(namespace, id));
      matcher.remove(namespace, id);
    },
    get size() {
      return order.size;
    },
  };
}
