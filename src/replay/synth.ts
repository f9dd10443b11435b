// Deterministic prompt text of an exact token count.
//
// The text is a run of three-digit numbers (100–999). Both BPE encodings split digits into groups
// of at most three before merging, and every such group is one token, so N groups are exactly N
// tokens, and the first k groups of a text are exactly its first k tokens (a block cut short is a
// prefix of the whole block, as in the traces). Digits rather than words because tokenising is the
// dominant per-token cost of a replay (the emulator counts every prompt): a digit group tokenises
// about twice as fast as a word and takes 3 bytes instead of ~5.
import { FifoMap } from '../core/fifo-map.js';
import { seededRandom } from '../core/random.js';
import { parseChatRequest } from '../wire/openai/request.js';
import { countCanonicalInputTokens, countTextTokens } from '../tokens/count.js';
import type { SynthText } from './types.js';

const CHARS_PER_TOKEN = 3;

/** The digits of 100…999, three bytes each: number n is at (n − 100) × 3. */
const GROUPS = Buffer.from(Array.from({ length: 900 }, (_, i) => String(100 + i)).join(''), 'latin1');

function fnv1a(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** `tokens` tokens of text determined by `key` alone (different keys give different texts). */
export function digitText(key: string, tokens: number): string {
  const rand = seededRandom(fnv1a(key));
  // The digits of each number written as bytes, then one flat string: `out += n` would build a
  // rope of `tokens` pieces that is flattened later, on the hot path, by whatever reads it first.
  const buf = Buffer.allocUnsafe(tokens * CHARS_PER_TOKEN);
  for (let o = 0; o < buf.length; o += CHARS_PER_TOKEN) {
    const g = Math.floor(rand() * 900) * CHARS_PER_TOKEN;
    buf[o] = GROUPS[g]!;
    buf[o + 1] = GROUPS[g + 1]!;
    buf[o + 2] = GROUPS[g + 2]!;
  }
  return buf.toString('latin1');
}

/** The JSON of the chat content part `{type: 'text', text}`, as JSON.stringify writes it, in UTF-8. */
export function textPartJson(text: string): Buffer {
  return Buffer.from(`{"type":"text","text":${JSON.stringify(text)}}`);
}

/** digitText(key, tokens), with its recipe. */
export function synthText(key: string, tokens: number): SynthText {
  return { key, tokens, text: digitText(key, tokens) };
}

const verified = new Set<string>();

/** Checks, once per model, that the counting rule above holds for the model's encoding. */
export function assertDigitGroupsAreTokens(model: string): void {
  if (verified.has(model)) return;
  for (let n = 100; n < 1000; n++) {
    if (countTextTokens(String(n), model) !== 1) throw new Error(`replay: "${n}" is not one token for ${model}; synthetic prompts would miscount`);
  }
  if (countTextTokens(digitText('check', 64), model) !== 64) throw new Error(`replay: digit groups merge across boundaries for ${model}`);
  verified.add(model);
}

/**
 * Prompt tokens a single-user-message chat request adds around its text (message framing and
 * reply priming), by the same counting rule the emulator bills with.
 */
export function framingTokens(model: string): number {
  const req = parseChatRequest({ model, messages: [{ role: 'user', content: [{ type: 'text', text: '100' }] }] });
  return countCanonicalInputTokens(req, model) - 1;
}

/**
 * Texts of reusable blocks (a Mooncake hash id, a ledger route's shared prefix), kept so that a
 * block seen again is not regenerated; bounded, oldest dropped first.
 */
export class BlockTexts {
  /** By key: the text, and once a request has used it whole, its content part's JSON. */
  private readonly texts: FifoMap<{ text: string; part?: Buffer }>;
  constructor(maxEntries = 20_000) {
    this.texts = new FifoMap(maxEntries);
  }

  /**
   * The first `tokens` tokens of block `key`'s text of `fullTokens` tokens: digitText(key, tokens),
   * since a shorter run of the key's numbers is a prefix of a longer one.
   */
  get(key: string, tokens: number, fullTokens: number): SynthText {
    let block = this.texts.get(key);
    if (block === undefined || block.text.length < tokens * CHARS_PER_TOKEN) {
      block = { text: digitText(key, Math.max(tokens, fullTokens)) };
      this.texts.set(key, block);
    }
    if (block.text.length !== tokens * CHARS_PER_TOKEN) return { key, tokens, text: block.text.slice(0, tokens * CHARS_PER_TOKEN) };
    block.part ??= textPartJson(block.text);
    return { key, tokens, text: block.text, part: block.part };
  }
}
