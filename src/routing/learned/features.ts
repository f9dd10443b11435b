// Prompt → sparse feature vector. Hashed word unigrams and bigrams (log term frequency, the hashed
// part L2-normalised) plus a few dense prompt statistics in the first STAT_FEATURES slots.
// Pure and allocation-light: one pass over the words, one Map for accumulating hashed counts.

export const STAT_FEATURES = 12;

export interface SparseVector {
  idx: Int32Array;
  val: Float32Array;
}

const CODE = /```|\bdef |\breturn\b|\bfunction\b|[{};]\s*$|=>|\bimport\b/m;
const CHOICES = /^\s*[A-D][.)]\s/gm;

function statFeatures(prompt: string, words: number): number[] {
  const len = prompt.length;
  let digits = 0;
  let upper = 0;
  let lines = 1;
  let math = 0;
  for (let i = 0; i < len; i++) {
    const c = prompt.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c >= 65 && c <= 90) upper++;
    else if (c === 10) lines++;
    else if (c === 43 || c === 42 || c === 94 || c === 61 || c === 47 || c === 92) math++;
  }
  const choices = prompt.match(CHOICES)?.length ?? 0;
  const lower = prompt.slice(0, 400).toLowerCase();
  return [
    1, // bias
    Math.log1p(len) / 8,
    Math.log1p(words) / 6,
    len ? digits / len : 0,
    len ? upper / len : 0,
    Math.log1p(lines) / 4,
    len ? (math / len) * 10 : 0,
    CODE.test(prompt) ? 1 : 0,
    choices > 0 ? 1 : 0,
    /\?\s*$/.test(prompt.trim()) || prompt.includes('?') ? 1 : 0,
    /\b(calculate|compute|how many|solve|prove|find the)\b/.test(lower) ? 1 : 0,
    /\b(write|implement|code|program)\b/.test(lower) ? 1 : 0,
  ];
}

/** Per-dimension scratch buffers reused across calls (featurize is synchronous, so no sharing). */
const scratch = new Map<number, { acc: Float64Array; touched: Int32Array }>();
function buffers(dim: number): { acc: Float64Array; touched: Int32Array } {
  let b = scratch.get(dim);
  if (!b) {
    b = { acc: new Float64Array(dim), touched: new Int32Array(4096) };
    scratch.set(dim, b);
  }
  return b;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const BIGRAM_SALT = 0x9e3779b9;

/**
 * Feature vector of a prompt in a space of `dim` slots (dim > STAT_FEATURES). Very long prompts
 * are featurised on their first and last 4,000 characters (bounded decision time).
 * Tokens: runs of [a-z0-9] (ASCII letters lower-cased) and every other non-space character alone.
 * Unigram slot = FNV-1a(token); bigram slot = FNV-1a(token) seeded with FNV-1a(previous) ^ salt.
 * One pass over the characters, no per-token allocation.
 */
export function featurize(prompt: string, dim: number): SparseVector {
  const text = prompt.length > 8000 ? prompt.slice(0, 4000) + '\n' + prompt.slice(-4000) : prompt;
  const hashed = dim - STAT_FEATURES;
  const buf = buffers(dim);
  const acc = buf.acc;
  let touched = buf.touched;
  let nTouched = 0;
  const add = (slot: number): void => {
    if (acc[slot] === 0) {
      if (nTouched === touched.length) {
        const bigger = new Int32Array(touched.length * 2);
        bigger.set(touched);
        touched = bigger;
        buf.touched = bigger;
      }
      touched[nTouched++] = slot;
    }
    acc[slot] = (acc[slot] as number) + 1;
  };
  let words = 0;
  let prevHash = -1; // hash of the previous token, -1 = none
  let h = FNV_OFFSET; // unigram hash of the current word
  let hb = 0; // bigram hash of the current word
  let inWord = false as boolean; // boolean: startToken and endToken set it, which narrowing does not follow
  const endToken = (): void => {
    const uni = h >>> 0;
    add(STAT_FEATURES + (uni % hashed));
    if (prevHash >= 0) add(STAT_FEATURES + ((hb >>> 0) % hashed));
    prevHash = uni;
    words++;
    inWord = false;
  };
  const startToken = (): void => {
    h = FNV_OFFSET;
    hb = prevHash >= 0 ? (prevHash ^ BIGRAM_SALT) >>> 0 : 0;
    inWord = true;
  };
  const feed = (c: number): void => {
    h = Math.imul(h ^ c, FNV_PRIME);
    hb = Math.imul(hb ^ c, FNV_PRIME);
  };
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    const alnum = (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
    if (alnum) {
      if (!inWord) startToken();
      feed(c);
      continue;
    }
    if (inWord) endToken();
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12 || c === 160) continue;
    if (c > 127) {
      const lower = String.fromCharCode(c).toLowerCase().charCodeAt(0);
      if (/\s/.test(String.fromCharCode(c))) continue;
      c = lower;
    }
    startToken();
    feed(c);
    endToken();
  }
  if (inWord) endToken();
  let norm = 0;
  for (let k = 0; k < nTouched; k++) {
    const slot = touched[k] as number;
    const v = 1 + Math.log(acc[slot] as number);
    acc[slot] = v;
    norm += v * v;
  }
  norm = Math.sqrt(norm) || 1;
  const stats = statFeatures(text, words);
  const n = stats.length + nTouched;
  const idx = new Int32Array(n);
  const val = new Float32Array(n);
  let j = 0;
  for (let s = 0; s < stats.length; s++) {
    idx[j] = s;
    val[j++] = stats[s] ?? 0;
  }
  for (let k = 0; k < nTouched; k++) {
    const slot = touched[k] as number;
    idx[j] = slot;
    val[j++] = (acc[slot] as number) / norm;
    acc[slot] = 0;
  }
  return { idx, val };
}

export function dot(w: ArrayLike<number>, x: SparseVector): number {
  let s = 0;
  for (let i = 0; i < x.idx.length; i++) s += (w[x.idx[i] as number] ?? 0) * (x.val[i] as number);
  return s;
}
