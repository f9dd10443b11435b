// The semantic matcher: embed → nearest neighbours within one namespace → first candidate at or
// above the similarity threshold that the verifier accepts. It keeps each entry's question text
// (the verifier needs it); responses live in the response cache under the same id.
import type { Embedder } from './embedder.js';
import { NamespacedVectorIndex } from './vector-index.js';
import { createVerifier, type Verifier, type VerifyResult } from './verifier.js';

/** Chosen on the QQP tuning split with the built-in embedder (see models/README.md). */
export const DEFAULT_SIMILARITY_THRESHOLD = 0.8;
export const DEFAULT_CANDIDATES = 4;

export interface MatcherOptions {
  readonly embedder: Embedder;
  /** Minimum cosine similarity of a hit (default 0.8, tuned for the built-in embedder). */
  readonly threshold?: number;
  /** Nearest neighbours verified per lookup (default 4). */
  readonly candidates?: number;
  /** Second-stage verifier; `null` disables verification (not recommended). */
  readonly verifier?: Verifier | null;
  /** Largest namespace searched exactly before HNSW (default 100,000). */
  readonly exactLimit?: number;
}

export interface CandidateReport {
  readonly id: string;
  readonly similarity: number;
  readonly verdict: VerifyResult;
}

export type LookupResult =
  | { readonly hit: { readonly id: string; readonly similarity: number; readonly verified: boolean }; readonly candidates: readonly CandidateReport[] }
  | { readonly hit: null; readonly candidates: readonly CandidateReport[] };

export interface ShortlistEntry {
  readonly id: string;
  /** First-stage similarity. */
  readonly similarity: number;
  readonly text: string;
}

const ACCEPT_UNVERIFIED: VerifyResult = { accept: true, score: 1, reasons: [] };

export class SemanticMatcher {
  readonly embedder: Embedder;
  readonly threshold: number;
  readonly candidates: number;
  private readonly verifier: Verifier | null;
  private readonly index: NamespacedVectorIndex;
  private readonly texts = new Map<string, Map<string, string>>();

  constructor(opts: MatcherOptions) {
    this.embedder = opts.embedder;
    this.threshold = opts.threshold ?? DEFAULT_SIMILARITY_THRESHOLD;
    this.candidates = Math.max(1, opts.candidates ?? DEFAULT_CANDIDATES);
    this.verifier = opts.verifier === undefined ? createVerifier() : opts.verifier;
    this.index = new NamespacedVectorIndex({ dim: opts.embedder.dim, ...(opts.exactLimit !== undefined ? { exactLimit: opts.exactLimit } : {}) });
  }

  async store(namespace: string, id: string, text: string): Promise<void> {
    const [v] = await this.embedder.embed([text]);
    this.storeVector(namespace, id, text, v!);
  }

  /** Store with a precomputed embedding (bulk loads embed in batches). */
  storeVector(namespace: string, id: string, text: string, vector: Float32Array): void {
    if (!this.index.add(namespace, id, vector)) return;
    let m = this.texts.get(namespace);
    if (!m) {
      m = new Map();
      this.texts.set(namespace, m);
    }
    m.set(id, text);
  }

  remove(namespace: string, id: string): boolean {
    const m = this.texts.get(namespace);
    m?.delete(id);
    if (m && m.size === 0) this.texts.delete(namespace);
    return this.index.remove(namespace, id);
  }

  async lookup(namespace: string, text: string): Promise<LookupResult> {
    const [v] = await this.embedder.embed([text]);
    return this.lookupVector(namespace, text, v!);
  }

  /**
   * Candidates above the threshold are verified most similar first; the first accepted one is the
   * hit. `threshold` overrides the matcher's (the eval passes -1 to see every candidate).
   */
  lookupVector(namespace: string, text: string, vector: Float32Array, threshold = this.threshold): LookupResult {
    const texts = this.texts.get(namespace);
    const reports: CandidateReport[] = [];
    if (!texts) return { hit: null, candidates: reports };
    for (const c of this.index.search(namespace, vector, this.candidates)) {
      if (c.similarity < threshold) break;
      const stored = texts.get(c.id);
      if (stored === undefined) continue;
      const verdict = this.verifier ? this.verifier.verify(text, stored) : ACCEPT_UNVERIFIED;
      reports.push({ id: c.id, similarity: c.similarity, verdict });
      if (verdict.accept) return { hit: { id: c.id, similarity: c.similarity, verified: this.verifier !== null }, candidates: reports };
    }
    return { hit: null, candidates: reports };
  }

  /**
   * Every candidate of the nearest `candidates` at or above `floor` that the verifier accepts, most
   * similar first, with its question text: what a re-ranker scores.
   */
  shortlist(namespace: string, text: string, vector: Float32Array, floor: number): ShortlistEntry[] {
    const texts = this.texts.get(namespace);
    const out: ShortlistEntry[] = [];
    if (!texts) return out;
    for (const c of this.index.search(namespace, vector, this.candidates)) {
      if (c.similarity < floor) break;
      const stored = texts.get(c.id);
      if (stored === undefined || (this.verifier && !this.verifier.verify(text, stored).accept)) continue;
      out.push({ id: c.id, similarity: c.similarity, text: stored });
    }
    return out;
  }

  size(namespace?: string): number {
    return this.index.size(namespace);
  }

  memory(): ReturnType<NamespacedVectorIndex['memory']> & { textBytes: number } {
    let textBytes = 0;
    for (const m of this.texts.values()) for (const t of m.values()) textBytes += t.length * 2 + 60;
    return { ...this.index.memory(), textBytes };
  }
}
