// The semantic side of the response cache in a gateway process: the matcher (vector index and
// verifier) over the questions whose answers the exact store holds, bounded in entries (the
// oldest indexed question is dropped first). Answers themselves stay in the exact store, so TTL,
// invalidation and tenant checks apply to semantic hits unchanged. Questions are embedded by the
// built-in embedder, or by a catalog embedding model through costwise's own providers — then each
// embedding call is reported so that it is billed. With re-ranking, the verified nearest
// candidates are scored again by the full USE-lite model in a worker thread, and its cosine
// (against its own calibrated threshold) decides; a re-ranking past its budget is a miss.
import { ZERO_USAGE, type Usage } from '../core/canonical.js';
import type { Deployment } from '../config/catalog.js';
import type { AdapterRegistry } from '../providers/registry.js';
import { createBuiltinEmbedder, SemanticMatcher, type Embedder } from '../cache/semantic/index.js';
import { createStaticUseEmbedder } from '../cache/semantic/static-embedder.js';
import type { Reranker } from '../cache/semantic/reranker.js';
import { OnlineThresholds, type NamespaceThresholdReport, type VerificationSample } from '../cache/semantic/online-threshold.js';

/** A billed embeddings API call made for the cache. */
export interface EmbeddingCall {
  deployment: Deployment;
  usage: Usage;
  latencyMs: number;
}

/** The best verified candidate of a lookup, whether it clears the threshold or is a near miss. */
export interface SemanticCandidate {
  id: string;
  similarity: number;
  /** The threshold of the lookup's scope at the time. */
  threshold: number;
}

export interface SemanticCache {
  /**
   * The best verified near-duplicate question (its exact key) in the namespace, if any at or above
   * the scope's threshold - or, with online verification, within its near-miss margin below it.
   */
  lookup(namespace: string, scope: string, text: string): Promise<{ candidate: SemanticCandidate | undefined; call: EmbeddingCall | undefined }>;
  index(namespace: string, id: string, text: string): Promise<EmbeddingCall | undefined>;
  forget(namespace: string, id: string): void;
  readonly size: number;
  /** Stops the re-ranker's worker, if any. */
  close(): Promise<void>;
  /** Online verification; undefined when off. */
  readonly verification: SemanticVerification | undefined;
}

export interface VerificationSettings {
  /** Target share of wrong semantic hits. */
  target: number;
  /** Share of would-be hits sent upstream anyway to check them. */
  sampleRate: number;
  /** Near misses this far below the threshold are checked too (they go upstream anyway). */
  nearMissMargin: number;
  minSamples: number;
  window: number;
  floor: number;
  ceiling: number;
}

export interface SemanticVerification {
  readonly settings: VerificationSettings;
  /** Should this would-be hit be checked upstream instead of served? */
  sample(): boolean;
  record(scope: string, sample: VerificationSample): number;
  report(): NamespaceThresholdReport[];
}

/** Text → vector, and the API call it took (none for the built-in embedder). */
type EmbedFn = (text: string) => Promise<{ vector: Float32Array; call?: EmbeddingCall }>;

export interface SemanticCacheOptions {
  /** The starting threshold of every scope (the calibrated one). */
  threshold: number;
  maxEntries: number;
  verification?: VerificationSettings | undefined;
  /** A local embedder (default `builtin`), unless `provider` is given. */
  local?: 'builtin' | 'static-use';
  provider?: { deployment: Deployment; adapters: AdapterRegistry; dimensions: number };
  /** Re-ranking: `threshold` (and the online thresholds) then apply to the re-ranker's cosine. */
  rerank?: RerankSettings;
}

export interface RerankSettings {
  reranker: Reranker;
  /** Nearest neighbours verified and re-ranked. */
  candidates: number;
  /** First-stage similarity a candidate needs to be re-ranked. */
  floor: number;
  budgetMs: number;
}

export function createSemanticCache(opts: SemanticCacheOptions): SemanticCache {
  const { embedder, embed } = opts.provider ? providerEmbedding(opts.provider) : localEmbedding(opts.local ?? 'builtin');
  const rerank = opts.rerank;
  const matcher = new SemanticMatcher({ embedder, threshold: opts.threshold, ...(rerank ? { candidates: rerank.candidates } : {}) });
  const verification = opts.verification ? onlineVerification(opts.verification, opts.threshold) : undefined;
  const thresholdOf = (scope: string): number => verification?.thresholds.threshold(scope) ?? opts.threshold;
  const margin = verification ? verification.api.settings.nearMissMargin : 0;
  /** The re-ranker's best candidate; none when it ran past its budget. */
  const reranked = async (r: RerankSettings, namespace: string, text: string, vector: Float32Array) => {
    const ranked = await r.reranker.rescore(namespace, text, matcher.shortlist(namespace, text, vector, r.floor), r.budgetMs);
    return ranked?.[0];
  };
  // Insertion order = age: the first key is the oldest indexed question.
  const order = new Map<string, { namespace: string; id: string }>();
  const slot = (namespace: string, id: string) => `${namespace}\u0000${id}`;
  return {
    async lookup(namespace, scope, text) {
      if (matcher.size(namespace) === 0) return { candidate: undefined, call: undefined };
      const { vector, call } = await embed(text);
      const threshold = thresholdOf(scope);
      const best = rerank ? await reranked(rerank, namespace, text, vector) : matcher.lookupVector(namespace, text, vector, threshold - margin).hit;
      const candidate = best && best.similarity >= threshold - margin ? { id: best.id, similarity: best.similarity, threshold } : undefined;
      return { candidate, call };
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
        rerank?.reranker.forget(entry.namespace, entry.id);
      }
      return call;
    },
    forget(namespace, id) {
      order.delete(slot(namespace, id));
      matcher.remove(namespace, id);
      rerank?.reranker.forget(namespace, id);
    },
    get size() {
      return order.size;
    },
    close: () => rerank?.reranker.close() ?? Promise.resolve(),
    verification: verification?.api,
  };
}

function onlineVerification(settings: VerificationSettings, initial: number): { thresholds: OnlineThresholds; api: SemanticVerification } {
  const thresholds = new OnlineThresholds({
    initial,
    target: settings.target,
    floor: settings.floor,
    ceiling: settings.ceiling,
    minSamples: settings.minSamples,
    window: settings.window,
    maxNamespaces: 10_000,
  });
  return {
    thresholds,
    api: {
      settings,
      sample: systematicSampler(settings.sampleRate),
      record: (scope, sample) => thresholds.record(scope, sample),
      report: () => thresholds.report(),
    },
  };
}

function localEmbedding(kind: 'builtin' | 'static-use'): { embedder: Embedder; embed: EmbedFn } {
  const local = kind === 'static-use' ? createStaticUseEmbedder() : createBuiltinEmbedder();
  return { embedder: local, embed: (text) => new Promise((resolve) => resolve({ vector: local.embedSync(text) })) };
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

/** Every (1 / rate)-th call says yes: the sampled share is exact and reproducible, with no RNG. */
function systematicSampler(rate: number): () => boolean {
  let credit = 0;
  return () => {
    credit += rate;
    if (credit < 1 - 1e-9) return false;
    credit -= 1;
    return true;
  };
}
