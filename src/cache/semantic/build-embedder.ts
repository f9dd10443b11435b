// Building the built-in embedder's model file: document frequencies of word stems over text whose
// licence allows shipping a derived artefact (Apache-2.0: RouteLLM MMLU prompts, Arena-Hard prompts).
// Deterministic: the same files give the same JSON.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseCsv } from '../../routing/learned/csv.js';
import { EMBEDDER_FORMAT, type EmbedderModel } from './builtin-embedder.js';
import { tokenize } from './text.js';

export interface BuildEmbedderOptions {
  readonly dim?: number;
  readonly seed?: number;
  readonly minDf?: number;
  readonly weights?: EmbedderModel['weights'];
  readonly note?: string;
}

export const DEFAULT_EMBEDDER_WEIGHTS: EmbedderModel['weights'] = { bigram: 0.5, char: 0.35, stop: 0.35 };

/** Documents from a CSV (its `prompt` column) or a JSONL file (each row's `prompt` field). */
export function readDocuments(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  if (file.endsWith('.jsonl')) {
    return text
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => (JSON.parse(l) as { prompt?: unknown }).prompt)
      .filter((p): p is string => typeof p === 'string');
  }
  const rows = parseCsv(text);
  const col = rows[0]?.indexOf('prompt') ?? -1;
  if (col < 0) throw new Error(`${file}: no "prompt" column`);
  return rows
    .slice(1)
    .map((r) => r[col] ?? '')
    .filter((p) => p.length > 0);
}

export function buildEmbedderModel(files: readonly string[], opts: BuildEmbedderOptions = {}): EmbedderModel {
  const counts = new Map<string, number>();
  let docs = 0;
  for (const file of files) {
    for (const doc of readDocuments(file)) {
      docs++;
      for (const s of new Set(tokenize(doc).map((t) => t.stem))) counts.set(s, (counts.get(s) ?? 0) + 1);
    }
  }
  const minDf = opts.minDf ?? 2;
  const df: Record<string, number> = {};
  for (const [s, n] of [...counts].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) if (n >= minDf) df[s] = n;
  return {
    format: EMBEDDER_FORMAT,
    dim: opts.dim ?? 256,
    seed: opts.seed ?? 1,
    docs,
    weights: opts.weights ?? DEFAULT_EMBEDDER_WEIGHTS,
    df,
    sources: files.map((f) => basename(f)),
    note: opts.note ?? '',
  };
}
