// The `static-use` embedder: a static token table distilled from Universal Sentence Encoder Lite
// (scripts/build-static-use.mjs; models/static-use.json + .bin, Apache-2.0). A text is tokenised
// with USE-lite's own SentencePiece vocabulary and its vector is the normalised sum of its pieces'
// rows (already weighted and centred at build time). No model runtime is needed to embed.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { packageFile } from '../../core/package-file.js';
import type { Embedder } from './embedder.js';
import { SentencePieceTokenizer } from './sentencepiece.js';

export const STATIC_EMBEDDER_FORMAT = 'costwise-static-embedder/1';

const StaticModelSchema = z.object({
  format: z.literal(STATIC_EMBEDDER_FORMAT),
  dim: z.number().int().positive(),
  source: z.string(),
  reserved: z.number().int().nonnegative(),
  pieces: z.array(z.tuple([z.string(), z.number()])),
  scales: z.array(z.number().nonnegative()),
});

export class StaticEmbedder implements Embedder {
  readonly id: string;
  readonly dim: number;
  private readonly table: Float32Array;
  private readonly tokenizer: SentencePieceTokenizer;
  private readonly reserved: number;

  constructor(meta: z.infer<typeof StaticModelSchema>, rows: Int8Array) {
    if (meta.scales.length !== meta.pieces.length || rows.length !== meta.pieces.length * meta.dim) {
      throw new Error(`static embedder: ${rows.length} int8 values for ${meta.pieces.length} pieces of width ${meta.dim}`);
    }
    this.dim = meta.dim;
    this.reserved = meta.reserved;
    this.tokenizer = new SentencePieceTokenizer(meta.pieces, meta.reserved);
    this.table = new Float32Array(rows.length);
    for (let i = 0; i < meta.pieces.length; i++) {
      const s = meta.scales[i]!;
      for (let k = 0; k < meta.dim; k++) this.table[i * meta.dim + k] = rows[i * meta.dim + k]! * s;
    }
    this.id = `static-use:v1:d${meta.dim}:n${meta.pieces.length}`;
  }

  embed(texts: readonly string[]): Promise<Float32Array[]> {
    return Promise.resolve(texts.map((t) => this.embedSync(t)));
  }

  embedSync(text: string): Float32Array {
    const dim = this.dim;
    const v = new Float32Array(dim);
    for (const id of this.tokenizer.encode(text)) {
      if (id < this.reserved) continue;
      const base = id * dim;
      for (let k = 0; k < dim; k++) v[k]! += this.table[base + k]!;
    }
    let norm = 0;
    for (let k = 0; k < dim; k++) norm += v[k]! * v[k]!;
    if (norm > 0) {
      const inv = 1 / Math.sqrt(norm);
      for (let k = 0; k < dim; k++) v[k]! *= inv;
    }
    return v;
  }
}

let shipped: StaticEmbedder | undefined;

/** The shipped table (models/static-use.json + .bin), loaded once. */
export function createStaticUseEmbedder(): StaticEmbedder {
  if (shipped) return shipped;
  const meta = StaticModelSchema.parse(JSON.parse(readFileSync(packageFile('models', 'static-use.json'), 'utf8')));
  const bytes = readFileSync(packageFile('models', 'static-use.bin'));
  shipped = new StaticEmbedder(meta, new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return shipped;
}
