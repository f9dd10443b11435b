// The embedder boundary of the semantic cache, and the two embedders that come from outside:
// (a) an embeddings API the gateway wires to its own providers, (b) a local transformers.js model.
// The built-in one, (c), lives in builtin-embedder.ts.

export interface Embedder {
  /** Stable identity of the vector space: vectors from different ids must never share an index. */
  readonly id: string;
  readonly dim: number;
  /** One vector per text, in order. Vectors need not be normalised; the index uses cosine. */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

/** What the gateway supplies for an embeddings API: texts in, one number[] per text out. */
export type EmbeddingsApiFn = (texts: readonly string[]) => Promise<number[][]>;

export class EmbedderError extends Error {
  override readonly name = 'EmbedderError';
}

export interface ApiEmbedderOptions {
  /** Identity of the remote model, e.g. `openai/text-embedding-3-small`. */
  readonly id: string;
  readonly dim: number;
  readonly embed: EmbeddingsApiFn;
  /** Texts per call (default 256). */
  readonly batchSize?: number;
}

/** An embedder over an embeddings API function; checks the count and width of what comes back. */
export function createApiEmbedder(opts: ApiEmbedderOptions): Embedder {
  const batch = Math.max(1, opts.batchSize ?? 256);
  return {
    id: `api:${opts.id}`,
    dim: opts.dim,
    async embed(texts) {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += batch) {
        const chunk = texts.slice(i, i + batch);
        const vectors = await opts.embed(chunk);
        if (vectors.length !== chunk.length) {
          throw new EmbedderError(`embeddings API returned ${vectors.length} vectors for ${chunk.length} texts`);
        }
        for (const v of vectors) {
          if (v.length !== opts.dim) throw new EmbedderError(`embeddings API returned width ${v.length}, expected ${opts.dim}`);
          out.push(Float32Array.from(v));
        }
      }
      return out;
    },
  };
}

export interface LocalModelEmbedderOptions {
  /** A folder holding a transformers.js (ONNX) sentence-embedding model; nothing is downloaded. */
  readonly modelPath: string;
}

/**
 * A local-folder embedder via transformers.js. Neither `@huggingface/transformers` nor
 * `@xenova/transformers` is a dependency of costwise, so this reports what is needed and stops.
 */
export function createLocalModelEmbedder(opts: LocalModelEmbedderOptions): Promise<Embedder> {
  return Promise.reject(
    new EmbedderError(
      `local model embedder (${opts.modelPath}) needs the optional package @huggingface/transformers ` +
        '(npm install @huggingface/transformers) and a local ONNX sentence-embedding model folder; ' +
        'neither is bundled and costwise never downloads weights. Use the built-in embedder or an embeddings API instead.',
    ),
  );
}

/** Which embedder a deployment uses; a tagged union so an invalid mix cannot be expressed. */
export type EmbedderSpec =
  | { readonly kind: 'builtin'; readonly modelFile?: string }
  | { readonly kind: 'api'; readonly options: ApiEmbedderOptions }
  | { readonly kind: 'local'; readonly options: LocalModelEmbedderOptions };
