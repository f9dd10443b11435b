// Semantic cache lookup speed and memory at 100k entries in one namespace (SEMANTIC_BENCH_EMBEDDER=static-use for the distilled table) (the worst case: every
// entry in the searched partition). Synthetic questions from the built-in embedder's vocabulary.
// Lookup = embed + exact int8 search (k = 4) + verification of the candidates above threshold.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import { createBuiltinEmbedder } from '../src/cache/semantic/builtin-embedder.js';
import { loadEmbedderModel } from '../src/cache/semantic/builtin-embedder.js';
import { SemanticMatcher } from '../src/cache/semantic/matcher.js';
import { createStaticUseEmbedder } from '../src/cache/semantic/static-embedder.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const N = Number(process.env['SEMANTIC_BENCH_N'] ?? 100_000);
const QUERIES = 3000;
/** `builtin` (default) or `static-use`. */
const EMBEDDER = process.env['SEMANTIC_BENCH_EMBEDDER'] ?? 'builtin';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const vocab = Object.keys(loadEmbedderModel().df).filter((w) => w.length > 3);
  const starts = ['How do I', 'What is the best way to', 'Why does', 'Can I', 'Which is the', 'What are some'];
  const rand = rng(7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const question = (): string => `${pick(starts)} ${Array.from({ length: 4 + Math.floor(rand() * 8) }, () => pick(vocab)).join(' ')}?`;
  const texts = Array.from({ length: N }, question);
  const embedder = EMBEDDER === 'static-use' ? createStaticUseEmbedder() : createBuiltinEmbedder();
  const matcher = new SemanticMatcher({ embedder });
  global.gc?.();
  const heapBefore = process.memoryUsage();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) matcher.storeVector('tenant:tier:ctx', String(i), texts[i]!, embedder.embedSync(texts[i]!));
  const storeMs = performance.now() - t0;
  global.gc?.();
  const heapAfter = process.memoryUsage();
  // half the queries are light rewrites of stored questions (hits), half fresh text (misses)
  const queries = Array.from({ length: QUERIES }, (_, i) => (i % 2 ? texts[Math.floor(rand() * N)]!.replace('How do I', 'How can I') : question()));
  for (let i = 0; i < 200; i++) await matcher.lookup('tenant:tier:ctx', queries[i]!);
  const lat: number[] = [];
  const embedLat: number[] = [];
  let hits = 0;
  for (const q of queries) {
    const s = performance.now();
    const r = await matcher.lookup('tenant:tier:ctx', q);
    lat.push(performance.now() - s);
    if (r.hit) hits++;
    const e = performance.now();
    embedder.embedSync(q);
    embedLat.push(performance.now() - e);
  }
  lat.sort((a, b) => a - b);
  embedLat.sort((a, b) => a - b);
  const mem = matcher.memory();
  const results = {
    date: new Date().toISOString(),
    embedder: embedder.id,
    entries: matcher.size(),
    dim: embedder.dim,
    lookup_p50_ms: percentile(lat, 50),
    lookup_p99_ms: percentile(lat, 99),
    lookup_max_ms: lat[lat.length - 1]!,
    embed_p50_ms: percentile(embedLat, 50),
    embed_p99_ms: percentile(embedLat, 99),
    store_per_entry_us: (storeMs * 1000) / N,
    hit_share: hits / QUERIES,
    index_bytes_per_entry: mem.bytesPerEntry,
    text_bytes_per_entry: mem.textBytes / N,
    measured_bytes_per_entry: (heapAfter.heapUsed + heapAfter.arrayBuffers - heapBefore.heapUsed - heapBefore.arrayBuffers) / N,
    rss_growth_mb: (heapAfter.rss - heapBefore.rss) / 1048576,
  };
  const outDir = join(root, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, EMBEDDER === 'builtin' ? 'semantic.json' : `semantic-${EMBEDDER}.json`), JSON.stringify(results, null, 2) + '\n');
  const table = new Table({ head: ['semantic cache', 'value'] });
  for (const [k, v] of Object.entries(results)) table.push([k, typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(3)) : v]);
  process.stdout.write(table.toString() + `\nwritten to bench/results/${EMBEDDER === 'builtin' ? 'semantic.json' : `semantic-${EMBEDDER}.json`}\n`);
}

await main();
