// `costwise cache eval`: the cache protocol over labelled question pairs {a, b, duplicate}.
//
// Every distinct `a` of the file is stored as one cached question (identical texts are one entry:
// a cache cannot tell them apart), then every `b` of the chosen split is looked up against all of
// them. A hit on the query's own `a` when `duplicate` is true is correct; every other hit is wrong.
// precision = correct / hits, recall = correct / duplicates among the scored queries.
// Splits: a row is `tune` when FNV-1a(a + "\n" + b) is even, else `test`; the split selects the
// scored queries only - the index always holds every `a`, so distractors are the same for both.
import type { Embedder } from './embedder.js';
import { SemanticMatcher, DEFAULT_SIMILARITY_THRESHOLD } from './matcher.js';
import { fnv1a } from './text.js';
import type { Verifier } from './verifier.js';
import { rerankedEmbedderId, type Reranker } from './reranker.js';

export interface LabelledPair {
  readonly a: string;
  readonly b: string;
  readonly duplicate: boolean;
}
export type Split = 'tune' | 'test' | 'all';

export function splitOf(p: LabelledPair): 'tune' | 'test' {
  return fnv1a(p.a + '\n' + p.b) % 2 === 0 ? 'tune' : 'test';
}

/** Parse JSONL pairs; throws with the line number on a malformed row. */
export function parsePairs(text: string): LabelledPair[] {
  const out: LabelledPair[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      throw new Error(`line ${i + 1}: not JSON`);
    }
    const r = row as Partial<Record<'a' | 'b' | 'duplicate', unknown>>;
    if (typeof r.a !== 'string' || typeof r.b !== 'string' || typeof r.duplicate !== 'boolean') {
      throw new Error(`line ${i + 1}: expected {"a": string, "b": string, "duplicate": boolean}`);
    }
    out.push({ a: r.a, b: r.b, duplicate: r.duplicate });
  });
  return out;
}

export interface CurvePoint {
  readonly threshold: number;
  readonly hits: number;
  readonly correct_hits: number;
  readonly wrong_hits: number;
  readonly precision: number;
  readonly recall: number;
  /** hits / queries */
  readonly hit_rate: number;
}

export interface EvalReport extends CurvePoint {
  readonly split: Split;
  readonly embedder: string;
  readonly queries: number;
  readonly duplicates: number;
  readonly entries: number;
  readonly wrong_breakdown: {
    /** Hit on the query's own `a`, but the pair is labelled not duplicate. */
    readonly own_not_duplicate: number;
    /** Hit on another pair's `a`. */
    readonly other_pair: number;
    /** ... of which the cached text is identical to the query (the exact cache would serve it too). */
    readonly other_pair_identical_text: number;
  };
  /** Queries whose text is, verbatim, another pair's `a`; scored as wrong whenever they hit. */
  readonly identical_text_queries: number;
  /** The default-threshold point with those queries left out. */
  readonly excluding_identical_text: CurvePoint & { readonly queries: number; readonly duplicates: number };
  readonly curve: CurvePoint[];
  readonly lookup_ms_mean: number;
  readonly lookup_ms_p50: number;
  readonly lookup_ms_p99: number;
  /** With re-ranking: the model, the first-stage floor, and the lookups that ran past the budget (misses). */
  readonly rerank?: {
    readonly model: string;
    readonly floor: number;
    readonly budget_ms: number | null;
    readonly timeouts: number;
    /** Lookups whose shortlist was not empty (the others never reach the model), and their latency. */
    readonly reranked: number;
    readonly reranked_ms_p50: number;
    readonly reranked_ms_p99: number;
  };
  /** Set when the threshold came from a calibration (tuned elsewhere) for a target wrong-hit rate. */
  readonly calibrated?: { readonly file: string; readonly max_wrong_hit_rate: number };
  readonly seconds: number;
}

export interface EvalOptions {
  readonly embedder: Embedder;
  readonly threshold?: number;
  readonly split?: Split;
  readonly verifier?: Verifier | null;
  readonly candidates?: number;
  readonly curve?: readonly number[];
  /** Score only the pairs labelled duplicate (GPTCache-style: every query is a paraphrase of a cached question). */
  readonly duplicatesOnly?: boolean;
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * Re-rank the verified candidates at or above `floor` (first-stage similarity) with the full
   * model; a query's similarity is then the re-ranker's cosine of its best candidate.
   */
  readonly rerank?: { readonly reranker: Reranker; readonly floor: number; readonly budgetMs?: number };
}

export const DEFAULT_CURVE: readonly number[] = [0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.98, 1];

export interface Outcome {
  /** Similarity of the first verified candidate, or -Infinity when none. */
  readonly sim: number;
  readonly own: boolean;
  readonly duplicate: boolean;
  readonly identicalQuery: boolean;
  readonly identicalHit: boolean;
}

export function point(outcomes: readonly Outcome[], threshold: number): CurvePoint {
  const duplicates = outcomes.filter((o) => o.duplicate).length;
  let hits = 0;
  let correct = 0;
  for (const o of outcomes) {
    if (o.sim < threshold) continue;
    hits++;
    if (o.own && o.duplicate) correct++;
  }
  return {
    threshold,
    hits,
    correct_hits: correct,
    wrong_hits: hits - correct,
    precision: hits ? correct / hits : 1,
    recall: duplicates ? correct / duplicates : 0,
    hit_rate: outcomes.length ? hits / outcomes.length : 0,
  };
}

export interface ScoredQueries {
  readonly outcomes: Outcome[];
  readonly entries: number;
  /** Per query: the search and verification (and, with re-ranking, the re-ranking with its embeddings). */
  readonly lookupMs: number[];
  /** Re-ranked lookups that ran past the budget. */
  readonly timeouts: number;
  /** The latency of each lookup that re-ranked a non-empty shortlist. */
  readonly rerankedMs: number[];
}

/** Stores every `a`, looks up every scored `b` with no threshold: one outcome per query. */
export async function scoreQueries(pairs: readonly LabelledPair[], opts: EvalOptions): Promise<ScoredQueries> {
  const threshold = opts.threshold ?? DEFAULT_SIMILARITY_THRESHOLD;
  const split = opts.split ?? 'all';
  const matcher = new SemanticMatcher({
    embedder: opts.embedder,
    threshold,
    ...(opts.verifier !== undefined ? { verifier: opts.verifier } : {}),
    ...(opts.candidates !== undefined ? { candidates: opts.candidates } : {}),
  });
  const ns = 'eval';
  const idOf = new Map<string, string>();
  for (const p of pairs) if (!idOf.has(p.a)) idOf.set(p.a, String(idOf.size));
  const texts = [...idOf.keys()];
  const scored = pairs.filter((p) => (split === 'all' || splitOf(p) === split) && (!opts.duplicatesOnly || p.duplicate));
  const total = texts.length + scored.length;
  const batch = 512;
  for (let i = 0; i < texts.length; i += batch) {
    const chunk = texts.slice(i, i + batch);
    const vectors = await opts.embedder.embed(chunk);
    chunk.forEach((t, j) => matcher.storeVector(ns, idOf.get(t)!, t, vectors[j]!));
    opts.onProgress?.(i + chunk.length, total);
  }
  const outcomes: Outcome[] = [];
  const lookupMs: number[] = [];
  let timeouts = 0;
  const rerankedMs: number[] = [];
  /** The best candidate of one query: the first verified one, or the re-ranker's best. */
  const best = async (text: string, vector: Float32Array): Promise<{ id: string; similarity: number } | undefined> => {
    if (!opts.rerank) return matcher.lookupVector(ns, text, vector, -Infinity).hit ?? undefined;
    const { reranker, floor, budgetMs } = opts.rerank;
    const shortlist = matcher.shortlist(ns, text, vector, floor);
    const t0 = performance.now();
    const ranked = await reranker.rescore(ns, text, shortlist, budgetMs);
    if (shortlist.length > 0) rerankedMs.push(performance.now() - t0);
    if (ranked === undefined) timeouts++;
    return ranked?.[0];
  };
  for (let i = 0; i < scored.length; i += batch) {
    const chunk = scored.slice(i, i + batch);
    const vectors = await opts.embedder.embed(chunk.map((p) => p.b));
    for (const [j, p] of chunk.entries()) {
      const t0 = performance.now();
      const hit = await best(p.b, vectors[j]!);
      lookupMs.push(performance.now() - t0);
      const ownId = idOf.get(p.a)!;
      const identicalQuery = idOf.has(p.b) && idOf.get(p.b) !== ownId;
      outcomes.push({
        sim: hit ? hit.similarity : -Infinity,
        own: hit?.id === ownId,
        duplicate: p.duplicate,
        identicalQuery,
        identicalHit: hit !== undefined && hit.id !== ownId && hit.id === idOf.get(p.b),
      });
    }
    opts.onProgress?.(texts.length + i + chunk.length, total);
  }
  return { outcomes, entries: matcher.size(ns), lookupMs, timeouts, rerankedMs };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : 0;
}

export async function evaluatePairs(pairs: readonly LabelledPair[], opts: EvalOptions): Promise<EvalReport> {
  const started = performance.now();
  const threshold = opts.threshold ?? DEFAULT_SIMILARITY_THRESHOLD;
  const split = opts.split ?? 'all';
  const { outcomes, entries, lookupMs, timeouts, rerankedMs } = await scoreQueries(pairs, opts);
  const latencies = [...lookupMs].sort((x, y) => x - y);
  const reranked = [...rerankedMs].sort((x, y) => x - y);
  const main = point(outcomes, threshold);
  const wrong = outcomes.filter((o) => o.sim >= threshold && !(o.own && o.duplicate));
  const rest = outcomes.filter((o) => !o.identicalQuery);
  return {
    threshold,
    queries: outcomes.length,
    hits: main.hits,
    correct_hits: main.correct_hits,
    wrong_hits: main.wrong_hits,
    precision: main.precision,
    recall: main.recall,
    hit_rate: main.hit_rate,
    split,
    embedder: opts.rerank ? rerankedEmbedderId(opts.embedder.id) : opts.embedder.id,
    duplicates: outcomes.filter((o) => o.duplicate).length,
    entries,
    wrong_breakdown: {
      own_not_duplicate: wrong.filter((o) => o.own).length,
      other_pair: wrong.filter((o) => !o.own).length,
      other_pair_identical_text: wrong.filter((o) => o.identicalHit).length,
    },
    identical_text_queries: outcomes.length - rest.length,
    excluding_identical_text: { ...point(rest, threshold), queries: rest.length, duplicates: rest.filter((o) => o.duplicate).length },
    curve: [...new Set([...(opts.curve ?? DEFAULT_CURVE), threshold])].sort((x, y) => x - y).map((t) => point(outcomes, t)),
    lookup_ms_mean: latencies.length ? latencies.reduce((x, y) => x + y, 0) / latencies.length : 0,
    lookup_ms_p50: percentile(latencies, 0.5),
    lookup_ms_p99: percentile(latencies, 0.99),
    ...(opts.rerank
      ? {
          rerank: {
            model: opts.rerank.reranker.id,
            floor: opts.rerank.floor,
            budget_ms: opts.rerank.budgetMs ?? null,
            timeouts,
            reranked: reranked.length,
            reranked_ms_p50: percentile(reranked, 0.5),
            reranked_ms_p99: percentile(reranked, 0.99),
          },
        }
      : {}),
    seconds: (performance.now() - started) / 1000,
  };
}
