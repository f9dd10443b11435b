// Prompt → sparse feature vector, version 2 (model files with `features: 'v2'`).
// Slots [0, STATS_V2) hold dense prompt statistics, slot 0 the bias. The rest are hashed features of
// the query part of the prompt (./query.ts): word uni/bigrams and character 3–5-grams, each family
// L2-normalised on its own so a long query does not drown the statistics.
// Task-shape statistics (answer options, fill-in-the-blank, code request, worked examples) are what
// carries across tasks: within one task, outcome data predicts little beyond the task itself.
import type { SparseVector } from './features.js';
import { splitPrompt } from './query.js';

export const STATS_V2 = 18;
const MAX_QUERY_CHARS = 1200; // bounds decision time; the question usually sits at the end
const CHAR_NGRAMS = [3, 4, 5] as const;
const WORD_SEED = 0x2545f491;
const CHAR_SEED = 0x6c8e9cf5;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

const OPTION_LINE = /^\s*\(?[A-Ha-h][.):]\s/gm;
const BLANK = /(^|\s)_{1,}(\s|[.,;:!?]|$)/;
const CODE_SYNTAX = /```|\bdef |\breturn\b|\bfunction\b|=>|\bimport\b|[{};]\s*$/m;
const CODE_REQUEST = /\b(write|implement|create)\b[^.\n]{0,40}\b(function|program|code|class|script|method|query)\b/i;
const MATH_REQUEST = /\b(calculate|compute|how many|solve|prove|find the|evaluate|simplify)\b/i;

function statistics(prompt: string, query: string, shots: number, words: number): number[] {
  const len = query.length;
  let digits = 0;
  let upper = 0;
  let math = 0;
  let lines = 1;
  for (let i = 0; i < len; i++) {
    const c = query.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c >= 65 && c <= 90) upper++;
    else if (c === 10) lines++;
    else if (c === 43 || c === 42 || c === 94 || c === 61 || c === 47 || c === 92) math++;
  }
  const options = query.match(OPTION_LINE)?.length ?? 0;
  return [
    1,
    Math.log1p(prompt.length) / 8,
    Math.log1p(len) / 8,
    Math.log1p(words) / 6,
    len ? digits / len : 0,
    len ? upper / len : 0,
    len ? (math / len) * 10 : 0,
    Math.log1p(lines) / 4,
    Math.log1p(shots) / 2,
    options > 0 ? 1 : 0,
    Math.log1p(options) / 2,
    options === 2 ? 1 : 0,
    BLANK.test(query) ? 1 : 0,
    CODE_SYNTAX.test(query) ? 1 : 0,
    CODE_REQUEST.test(query) ? 1 : 0,
    MATH_REQUEST.test(query) ? 1 : 0,
    query.includes('?') ? 1 : 0,
    prompt.length > query.length * 2 ? 1 : 0,
  ];
}

/**
 * Accumulates hashed counts of one feature family in a reusable dense scratch row (featurising is
 * synchronous, so one row per dimension is enough), then adds them L2-normalised to `out`.
 * Typed arrays instead of Maps: no per-call garbage, which is what set the p99 decision time.
 */
class Family {
  private readonly counts: Float64Array;
  private touched: Int32Array;
  private n = 0;
  constructor(
    private readonly buckets: number,
    private readonly scratch: { counts: Float64Array; touched: Int32Array },
  ) {
    this.counts = scratch.counts;
    this.touched = scratch.touched;
  }
  add(hash: number): void {
    const slot = STATS_V2 + ((hash >>> 0) % this.buckets);
    if (this.counts[slot] === 0) {
      if (this.n === this.touched.length) {
        const bigger = new Int32Array(this.touched.length * 2);
        bigger.set(this.touched);
        this.touched = bigger;
        this.scratch.touched = bigger;
      }
      this.touched[this.n++] = slot;
    }
    this.counts[slot] = (this.counts[slot] as number) + 1;
  }
  /** Adds into `out` (slot → value) and clears the scratch row. */
  flushInto(out: Map<number, number>): void {
    let norm = 0;
    for (let k = 0; k < this.n; k++) norm += (1 + Math.log(this.counts[this.touched[k] as number] as number)) ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let k = 0; k < this.n; k++) {
      const slot = this.touched[k] as number;
      out.set(slot, (out.get(slot) ?? 0) + (1 + Math.log(this.counts[slot] as number)) / norm);
      this.counts[slot] = 0;
    }
    this.n = 0;
  }
}

const scratchRows = new Map<number, { counts: Float64Array; touched: Int32Array }[]>();
function scratchFor(dim: number): { counts: Float64Array; touched: Int32Array }[] {
  let rows = scratchRows.get(dim);
  if (!rows) {
    rows = [0, 1].map(() => ({ counts: new Float64Array(dim), touched: new Int32Array(4096) }));
    scratchRows.set(dim, rows);
  }
  return rows;
}

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c > 127;
}

/** Words: runs of letters/digits (lower-cased); every other non-space character is a token alone. */
function addWords(text: string, family: Family): number {
  let words = 0;
  let prev = -1;
  let h = FNV_OFFSET;
  let inWord = false;
  const end = (): void => {
    const uni = Math.imul(h, FNV_PRIME) ^ WORD_SEED;
    family.add(uni);
    if (prev !== -1) family.add(Math.imul(prev ^ 0x9e3779b9, FNV_PRIME) ^ uni);
    prev = uni >>> 0;
    words++;
    inWord = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isWordChar(c)) {
      if (!inWord) {
        h = FNV_OFFSET;
        inWord = true;
      }
      h = Math.imul(h ^ c, FNV_PRIME);
      continue;
    }
    if (inWord) end();
    if (c <= 32) continue;
    h = Math.imul(FNV_OFFSET ^ c, FNV_PRIME);
    end();
  }
  if (inWord) end();
  return words;
}

function addCharNgrams(text: string, family: Family): void {
  for (const n of CHAR_NGRAMS) {
    for (let i = 0; i + n <= text.length; i++) {
      let h = FNV_OFFSET ^ (CHAR_SEED + n);
      for (let k = i; k < i + n; k++) h = Math.imul(h ^ text.charCodeAt(k), FNV_PRIME);
      family.add(h);
    }
  }
}

/** Lower-cased, whitespace runs collapsed to one space, padded with a space on each side. */
function normalise(text: string): string {
  return ` ${text.toLowerCase().replace(/\s+/g, ' ').trim()} `;
}

export function featurizeV2(prompt: string, dim: number): SparseVector {
  const buckets = dim - STATS_V2;
  if (buckets <= 0) throw new Error(`feature dimension ${dim} must exceed ${STATS_V2}`);
  const parts = splitPrompt(prompt);
  const query = normalise(parts.query.length > MAX_QUERY_CHARS ? parts.query.slice(-MAX_QUERY_CHARS) : parts.query);
  const [wordRow, charRow] = scratchFor(dim);
  const words = new Family(buckets, wordRow as { counts: Float64Array; touched: Int32Array });
  const nWords = addWords(query, words);
  const chars = new Family(buckets, charRow as { counts: Float64Array; touched: Int32Array });
  addCharNgrams(query, chars);
  const hashed = new Map<number, number>();
  words.flushInto(hashed);
  chars.flushInto(hashed);
  const stats = statistics(prompt, parts.query, parts.shots, nWords);
  const idx = new Int32Array(STATS_V2 + hashed.size);
  const val = new Float32Array(idx.length);
  stats.forEach((v, i) => {
    idx[i] = i;
    val[i] = v;
  });
  let j = STATS_V2;
  for (const [slot, v] of hashed) {
    idx[j] = slot;
    val[j++] = v;
  }
  return { idx, val };
}
