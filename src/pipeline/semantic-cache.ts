// The semantic side of the response cache in a gateway process: the matcher (vector index and
// verifier) over the questions whose answers the exact store holds, bounded in entries (the
// oldest indexed question is dropped first). Answers themselves stay in the exact store, so TTL,
// invalidation and tenant checks apply to semantic hits unchanged. Questions are embedded by the
// built-in embedder, or by a catalog embedding model through costwise's own providers — then each
// embedding call is reported so that it is billed.
import { ZERO_USAGE, type Usage } from '../core/canonical.js';
import type { Deployment } from '../config/catalog.js';
import type { AdapterRegistry } from '../providers/registry.js';
import { createBuiltinEmbedder, SemanticMatcher, type Embedder } from '../cache/semantic/index.js';

/** A billed embeddings API call made for the cache. */
export interface EmbeddingCall {
  deployment: Deployment;
  usage: Usage;
  latencyMs: number;
}

export interface SemanticCache {
  /** The id (exact key) of a verified near-duplicate question in the namespace, if any. */
  lookup(namespace: string, text: string): Promise<{ hit: { id: string; similarity: number } | undefined; call: EmbeddingCall | undefined }>;
  index(namespace: string, id: string, text: string): Promise<EmbeddingCall | undefined>;
  forget(namespace: string, id: string): void;
  readonly size: number;
}

/** Text → vector, and the API call it took (none for the built-in embedder). */
type EmbedFn = (text: string) => Promise<{ vector: Float32Array; call?: EmbeddingCall }>;

export interface SemanticCacheOptions {
  threshold?: number | undefined;
  maxEntries: number;
  /** Default: the built-in embedder. */
  provider?: { deployment: Deployment; adapters: AdapterRegistry; dimensions: number };
}

export function createSemanticCache(opts: SemanticCacheOptions): SemanticCache {
  const { embedder, embed } = opts.provider ? providerEmbedding(opts.provider) : builtinEmbedding();
  const matcher = new SemanticMatcher({ embedder, ...(opts.threshold !== undefined ? { threshold: opts.threshold } : {}) });
  // Insertion order = age: the first key is the oldest indexed question.
  const order = new Map<string, { namespace: string; id: string }>();
  const slot = (namespace: string, id: string) => `${namespace}\u0000${id}`;
  return {
    async lookup(namespace, text) {
      if (matcher.size(namespace) === 0) return { hit: undefined, call: undefined };
      const { vector, call } = await embed(text);
      const result = matcher.lookupVector(namespace, text, vector);
      return { hit: result.hit ? { id: result.hit.id, similarity: result.hit.similarity } : undefined, call };
    },
    async index(namespace, id, text) {
      const { vector, call } = await embed(text);
      matcher.storeVector(namespace, id, text, vector);
      const k = slot(namespace, id);
      order.delete(k);
      order.set(k, { namespace, id });
      while (order.size > opts.maxEntries) {
        const [oldest, entry] = order.entries().next().value!;
        order.delete(oldest);
        matcher.remove(entry.namespace, entry.id);
      }
      return call;
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

function builtinEmbedding(): { embedder: Embedder; embed: EmbedFn } {
  const builtin = createBuiltinEmbedder();
  return { embedder: builtin, embed: (text) => new Promise((resolve) => resolve({ vector: builtin.embedSync(text) })) };
}

function providerEmbedding(p: NonNullable<SemanticCacheOptions['provider']>): { embedder: Embedder; embed: EmbedFn } {
  const { deployment, adapters, dimensions } = p;
  const adapter = adapters.forKind(deployment.provider.kind);
  if (!adapter.embed) throw new Error(`provider ${deployment.provider.name} does not offer embeddings`);
  const target = deployment.target;
  const embedder: Embedder = {
    id: `api:${deployment.key}`,
    dim: dimensions,
    embed: () => Promise.reject(new Error('embedded through the provider call')),
  };
  const embed: EmbedFn = async (text) => {
    const t0 = performance.now();
    const result = await adapter.embed!(
      target,
      { model: deployment.upstreamModel, input: [text], inputWasString: true, encodingFormat: 'float' },
      { forwardHeaders: {} },
    );
    const vector = result.embeddings[0];
    if (!vector || vector.length !== dimensions) throw new Error(`embedding of width ${vector?.length ?? 0} from ${deployment.name}, expected ${dimensions}`);
    return {
      vector: Float32Array.from(vector),
      call: { deployment, usage: { ...ZERO_USAGE, inputTokens: result.usage.inputTokens }, latencyMs: performance.now() - t0 },
    };
  };
  return { embedder, embed };
}
