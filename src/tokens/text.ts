// Cached tokenisation of plain text. Prompts repeat a lot (system prompts, tool lists, benchmark
// loops), so counts and token arrays are memoised per encoding in bounded FIFO maps; a hit costs
// one look-up, which for a long text compares it with the few others sharing a sample of its
// characters rather than hashing it whole (core/text-map.ts).
import { FifoMap } from '../core/fifo-map.js';
import { encodingForModel, getEncoder, type EncodingName } from './encodings.js';

/** Special-token text (`<|endoftext|>`) in user content is ordinary text, as the APIs treat it. */
const AS_TEXT = { disallowedSpecial: new Set<string>() };

/** A Map that drops its oldest entries once the summed weight exceeds a budget. */
class BoundedCache<V> {
  private readonly map: FifoMap<V>;
  constructor(
    private readonly maxWeight: number,
    private readonly weigh: (key: string, value: V) => number,
  ) {
    this.map = new FifoMap(maxWeight, weigh);
  }

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  set(key: string, value: V): void {
    if (this.weigh(key, value) > this.maxWeight / 4) return; // one huge text must not flush everything else
    this.map.set(key, value);
  }
}

interface PerEncoding {
  counts: BoundedCache<number>;
  arrays: BoundedCache<readonly number[]>;
}

const caches = new Map<EncodingName, PerEncoding>();

function cachesFor(name: EncodingName): PerEncoding {
  let c = caches.get(name);
  if (!c) {
    c = {
      // ~64 MB of key text for counts; ~4M tokens (plus their keys) for token arrays.
      counts: new BoundedCache<number>(32_000_000, (k) => k.length + 16),
      arrays: new BoundedCache<readonly number[]>(4_000_000, (k, v) => v.length + (k.length >> 2) + 4),
    };
    caches.set(name, c);
  }
  return c;
}

/** Tokens of `text` with the encoding of `model` (see encodingForModel). */
export function countTextTokens(text: string, model: string): number {
  if (text.length === 0) return 0;
  const name = encodingForModel(model);
  const c = cachesFor(name);
  const hit = c.counts.get(text);
  if (hit !== undefined) return hit;
  const arr = c.arrays.get(text);
  const n = arr ? arr.length : getEncoder(name).countTokens(text, AS_TEXT);
  c.counts.set(text, n);
  return n;
}

/**
 * What countTextTokens returns, always tokenised: no memo look-up or insert. For a thread that
 * counts texts on behalf of another, which memoises the counts (src/replay/count-ahead.ts).
 */
export function countTextTokensUnmemoised(text: string, model: string): number {
  return text.length === 0 ? 0 : getEncoder(encodingForModel(model)).countTokens(text, AS_TEXT);
}

/** Whether `countTextTokens(text, model)` would be answered from the memo. */
export function hasTextCount(text: string, model: string): boolean {
  return text.length === 0 || cachesFor(encodingForModel(model)).counts.has(text);
}

/**
 * Memoises a count that the same encoder computed elsewhere (a replay counts the prompts it is
 * about to send in a worker thread, so the emulator's count is a memo hit). A count already held
 * is kept. Callers must pass what `countTextTokens(text, model)` returns; nothing checks it here.
 */
export function rememberTextCount(text: string, model: string, count: number): void {
  if (text.length === 0) return;
  const c = cachesFor(encodingForModel(model));
  if (!c.counts.has(text)) c.counts.set(text, count);
}

/** The token ids of `text` (cached; do not mutate the returned array). */
export function encodeText(text: string, model: string): readonly number[] {
  if (text.length === 0) return [];
  const name = encodingForModel(model);
  const c = cachesFor(name);
  let arr = c.arrays.get(text);
  if (!arr) {
    arr = getEncoder(name).encode(text, AS_TEXT);
    c.arrays.set(text, arr);
    c.counts.set(text, arr.length);
  }
  return arr;
}

/** Decodes token ids with the encoding of `model`. */
export function decodeTokens(tokens: readonly number[], model: string): string {
  return getEncoder(encodingForModel(model)).decode(tokens);
}
