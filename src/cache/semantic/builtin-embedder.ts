// The built-in embedder: training-free hashed features with IDF weights estimated from Apache-2.0
// text (models/embedder-builtin.json). Features per text: word stems with sublinear TF x IDF,
// adjacent-stem bigrams, and character 4-grams of content words (typos, morphology). Each feature
// is hashed (FNV-1a) into `dim` buckets with a hashed sign - a sparse random projection - and the
// vector is L2-normalised. No weights are downloaded; embedding a short question takes microseconds.
import { readFileSync } from 'node:fs';
import { packageFile } from '../../core/package-file.js';
import { z } from 'zod';
import type { Embedder } from './embedder.js';
import { fnv1a, isStop, tokenize } from './text.js';

export const EMBEDDER_FORMAT = 'costwise-embedder/1';

export const EmbedderModelSchema = z
  .object({
    format: z.literal(EMBEDDER_FORMAT),
    dim: z.number().int().min(8).max(4096),
    seed: z.number().int().nonnegative(),
    docs: z.number().int().positive(),
    /** Feature weights relative to a unigram. */
    weights: z.object({ bigram: z.number().nonnegative(), char: z.number().nonnegative(), stop: z.number().nonnegative() }).strict(),
    /** Document frequency of each stem in the source text (stems seen in at least two documents). */
    df: z.record(z.string(), z.number().int().positive()),
    sources: z.array(z.string()),
    note: z.string(),
  })
  .strict();
export type EmbedderModel = z.infer<typeof EmbedderModelSchema>;

/** models/embedder-builtin.json of this package. */
export function defaultEmbedderModelPath(): string {
  return packageFile('models', 'embedder-builtin.json');
}

export function loadEmbedderModel(file: string = defaultEmbedderModelPath()): EmbedderModel {
  return EmbedderModelSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
}

/** IDF of a stem: ln((N + 1) / (df + 1)) + 1; unseen stems get the maximum (rare = informative). */
export class IdfTable {
  private readonly idf = new Map<string, number>();
  readonly max: number;
  constructor(df: Readonly<Record<string, number>>, docs: number) {
    this.max = Math.log(docs + 1) + 1;
    for (const [k, v] of Object.entries(df)) this.idf.set(k, Math.log((docs + 1) / (v + 1)) + 1);
  }
  get(stemmed: string): number {
    return this.idf.get(stemmed) ?? this.max;
  }
}

const cache = new Map<string, BuiltinEmbedder>();

export class BuiltinEmbedder implements Embedder {
  readonly id: string;
  readonly dim: number;
  readonly idf: IdfTable;
  private readonly model: EmbedderModel;

  constructor(model: EmbedderModel) {
    this.model = model;
    this.dim = model.dim;
    this.idf = new IdfTable(model.df, model.docs);
    this.id = `builtin:hashed-ngrams-v1:d${model.dim}:s${model.seed}:n${model.docs}`;
  }

  embed(texts: readonly string[]): Promise<Float32Array[]> {
    return Promise.resolve(texts.map((t) => this.embedSync(t)));
  }

  /** Synchronous single-text embedding (the hot path of a cache lookup). */
  embedSync(text: string): Float32Array {
    const { dim, seed, weights } = this.model;
    const v = new Float32Array(dim);
    const add = (feature: string, w: number): void => {
      const h = fnv1a(feature, seed ^ 0x811c9dc5);
      v[h % dim]! += h & 0x80000000 ? -w : w;
    };
    const tokens = tokenize(text);
    const tf = new Map<string, number>();
    for (const t of tokens) tf.set(t.stem, (tf.get(t.stem) ?? 0) + 1);
    const wordWeight = new Map<string, number>();
    for (const [s, n] of tf) {
      const w = (1 + Math.log(n)) * this.idf.get(s) * (isStop(s) ? weights.stop : 1);
      wordWeight.set(s, w);
      add('w' + s, w);
    }
    if (weights.bigram > 0) {
      for (let i = 1; i < tokens.length; i++) {
        const a = tokens[i - 1]!.stem;
        const b = tokens[i]!.stem;
        add('b' + a + ' ' + b, weights.bigram * Math.sqrt((wordWeight.get(a) ?? 0) * (wordWeight.get(b) ?? 0)));
      }
    }
    if (weights.char > 0) {
      for (const [s, w] of wordWeight) {
        if (s.length < 5 || isStop(s)) continue;
        const padded = '<' + s + '>';
        const grams = padded.length - 3;
        const gw = (weights.char * w) / Math.sqrt(grams);
        for (let i = 0; i + 4 <= padded.length; i++) add('c' + padded.slice(i, i + 4), gw);
      }
    }
    let norm = 0;
    for (let i = 0; i < dim; i++) norm += v[i]! * v[i]!;
    if (norm > 0) {
      const inv = 1 / Math.sqrt(norm);
      for (let i = 0; i < dim; i++) v[i]! *= inv;
    }
    return v;
  }
}

/** The shipped built-in embedder (parsed once per model file). */
export function createBuiltinEmbedder(opts: { modelFile?: string; model?: EmbedderModel } = {}): BuiltinEmbedder {
  if (opts.model) return new BuiltinEmbedder(opts.model);
  const file = opts.modelFile ?? defaultEmbedderModelPath();
  let e = cache.get(file);
  if (!e) {
    e = new BuiltinEmbedder(loadEmbedderModel(file));
    cache.set(file, e);
  }
  return e;
}
