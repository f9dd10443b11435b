// Re-ranking of the semantic cache's shortlist with the full Universal Sentence Encoder Lite,
// which runs in a worker thread (rerank-worker.ts), never on the event loop. The query is embedded
// on every lookup; each cached question at most once (its vector is kept per entry, int8 with a
// scale, until the entry is forgotten). A re-ranking that does not answer within its budget is
// given up (the lookup is a miss); the worker's late answer still fills the per-entry vectors.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { ShortlistEntry } from './matcher.js';
import { RERANK_DIM, RERANK_PACKAGES, type RerankJob, type RerankReady, type RerankResult } from './rerank-protocol.js';
import { compiledWorkerEntry } from '../../core/worker-entry.js';

/** Identity of the re-ranking model (part of a re-ranked calibration's embedder id). */
export const RERANK_MODEL_ID = 'use-lite:0.2.0';
/** Defaults of `cache.semantic.rerank` (and `--rerank`): the nearest candidates re-ranked, their first-stage floor. */
export const DEFAULT_RERANK_CANDIDATES = 5;
export const DEFAULT_RERANK_FLOOR = 0.98;
/** Jobs in the worker beyond which a lookup is not re-ranked at all (a miss) rather than queued. */
const MAX_IN_FLIGHT = 8;

export interface Reranked {
  readonly id: string;
  /** The re-ranker's cosine of the query and this candidate. */
  readonly similarity: number;
  readonly firstStage: number;
}

interface Quantised {
  readonly q: Int8Array;
  readonly scale: number;
}

export class RerankerError extends Error {
  override readonly name = 'RerankerError';
}

/** Why re-ranking cannot run here, or undefined when the optional packages resolve. */
export function rerankUnavailable(): string | undefined {
  const require = createRequire(import.meta.url);
  const missing = RERANK_PACKAGES.filter((p) => {
    try {
      require.resolve(p);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return undefined;
  return `re-ranking needs the optional package${missing.length > 1 ? 's' : ''} ${missing.join(' and ')} (npm install ${RERANK_PACKAGES.join(' ')}); nothing is downloaded at run time`;
}

/** The compiled worker entry (src/core/worker-entry.ts). */
export function rerankWorkerEntry(moduleUrl: string = import.meta.url): URL {
  return compiledWorkerEntry(moduleUrl, 'rerank-worker.js', "the re-ranker's worker");
}

export class Reranker {
  readonly id = RERANK_MODEL_ID;
  private readonly vectors = new Map<string, Quantised>();
  /** Entries being embedded; one forgotten meanwhile is dropped from here, so its late vector is not kept. */
  private readonly embedding = new Set<string>();
  private readonly jobs = new Map<number, { resolve: (v: Float32Array) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private texts = 0;
  private failure: string | undefined;

  private constructor(private readonly worker: Worker) {
    worker.unref(); // never what keeps the process alive
    worker.on('message', (r: RerankResult) => this.received(r));
    worker.on('error', (err) => this.fail(`the re-ranker's worker failed: ${err.message}`));
    worker.on('exit', () => this.fail("the re-ranker's worker stopped"));
  }

  /** Starts the worker and resolves once the model is loaded and has embedded a first text. */
  static async start(): Promise<Reranker> {
    const unavailable = rerankUnavailable();
    if (unavailable) throw new RerankerError(unavailable);
    const worker = new Worker(rerankWorkerEntry());
    const ready = await new Promise<RerankReady>((resolve) => {
      worker.once('message', resolve);
      worker.once('error', (err) => resolve({ ready: false, error: err.message }));
    });
    if (!ready.ready) {
      await worker.terminate();
      throw new RerankerError(`the re-ranking model did not load: ${ready.error}`);
    }
    const reranker = new Reranker(worker);
    await reranker.embed(['warm up']); // the first inference compiles the graph's kernels
    return reranker;
  }

  /**
   * The shortlist scored by the full model, best first; undefined when it did not answer within
   * `budgetMs` (or the worker is saturated or gone): the caller treats that as a miss.
   */
  async rescore(namespace: string, query: string, shortlist: readonly ShortlistEntry[], budgetMs?: number): Promise<Reranked[] | undefined> {
    if (shortlist.length === 0) return [];
    if (this.failure !== undefined || this.jobs.size >= MAX_IN_FLIGHT) return undefined;
    const missing = shortlist.filter((c) => !this.vectors.has(slot(namespace, c.id)));
    const keys = missing.map((c) => slot(namespace, c.id));
    for (const key of keys) this.embedding.add(key);
    const work = this.embed([query, ...missing.map((c) => c.text)]).then(
      (rows) => {
        keys.forEach((key, i) => {
          if (this.embedding.delete(key)) this.vectors.set(key, quantise(row(rows, i + 1)));
        });
        return row(rows, 0);
      },
      (err: unknown) => {
        for (const key of keys) this.embedding.delete(key);
        throw err;
      },
    );
    const q = await withBudget(work, budgetMs);
    if (q === undefined) return undefined;
    const out: Reranked[] = [];
    for (const c of shortlist) {
      const v = this.vectors.get(slot(namespace, c.id));
      if (v) out.push({ id: c.id, similarity: cosine(q, v), firstStage: c.similarity });
    }
    return out.sort((a, b) => b.similarity - a.similarity);
  }

  forget(namespace: string, id: string): void {
    this.vectors.delete(slot(namespace, id));
    this.embedding.delete(slot(namespace, id));
  }

  /** Entries whose full-model vector is kept. */
  get size(): number {
    return this.vectors.size;
  }

  /** Texts sent to the model so far (queries and first-time candidates). */
  get embeddedTexts(): number {
    return this.texts;
  }

  async close(): Promise<void> {
    this.failure ??= 'the re-ranker is closed';
    await this.worker.terminate();
  }

  private embed(texts: string[]): Promise<Float32Array> {
    if (this.failure !== undefined) return Promise.reject(new RerankerError(this.failure));
    const id = this.nextId++;
    this.texts += texts.length;
    return new Promise((resolve, reject) => {
      this.jobs.set(id, { resolve, reject });
      this.worker.postMessage({ id, texts } satisfies RerankJob);
    });
  }

  private received(r: RerankResult): void {
    const job = this.jobs.get(r.id);
    if (!job) return;
    this.jobs.delete(r.id);
    if ('vectors' in r) job.resolve(r.vectors);
    else job.reject(new RerankerError(r.error));
  }

  private fail(reason: string): void {
    this.failure ??= reason;
    for (const job of this.jobs.values()) job.reject(new RerankerError(this.failure));
    this.jobs.clear();
  }
}

const slot = (namespace: string, id: string): string => `${namespace}\u0000${id}`;
const row = (rows: Float32Array, i: number): Float32Array => rows.subarray(i * RERANK_DIM, (i + 1) * RERANK_DIM);

/** The work's value, or undefined once `budgetMs` has passed (the work itself goes on). */
async function withBudget<T>(work: Promise<T>, budgetMs: number | undefined): Promise<T | undefined> {
  const settled = work.catch(() => undefined);
  if (budgetMs === undefined) return settled;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), budgetMs);
  });
  try {
    return await Promise.race([settled, late]);
  } finally {
    clearTimeout(timer);
  }
}

function quantise(v: Float32Array): Quantised {
  let max = 0;
  for (const x of v) max = Math.max(max, Math.abs(x));
  const scale = max > 0 ? max / 127 : 0;
  const q = new Int8Array(v.length);
  if (scale > 0) for (let i = 0; i < v.length; i++) q[i] = Math.round(v[i]! / scale);
  return { q, scale };
}

/** Cosine of a normalised query and a quantised normalised row (dequantisation error ≈ 0.4%, renormalised away). */
function cosine(query: Float32Array, v: Quantised): number {
  let dot = 0;
  let norm = 0;
  for (let i = 0; i < query.length; i++) {
    const x = v.q[i]!;
    dot += query[i]! * x;
    norm += x * x;
  }
  return norm > 0 ? dot / Math.sqrt(norm) : 0;
}

/** The embedder id of a first-stage embedder re-ranked by the full model (calibrations are per both). */
export function rerankedEmbedderId(embedderId: string): string {
  return `${embedderId}+rerank:${RERANK_MODEL_ID}`;
}
