// Deterministic prompt text of an exact token count.
//
// The text is a run of three-digit numbers (100–999). Both BPE encodings split digits into groups
// of at most three before merging, and every such group is one token, so N groups are exactly N
// tokens, and the first k groups of a text are exactly its first k tokens (a block cut short is a
// prefix of the whole block, as in the traces). Digits rather than words because tokenising is the
// dominant per-token cost of a replay (the emulator counts every prompt): a digit group tokenises
// about twice as fast as a word and takes 3 bytes instead of ~5.
import { seededRandom } from '../core/random.js';
import { parseChatRequest } from '../wire/openai/request.js';
import { countCanonicalInputTokens, countTextTokens } from '../tokens/count.js';

const CHARS_PER_TOKEN = 3;

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
  for (let i = 0, o = 0; i < tokens; i++, o += CHARS_PER_TOKEN) {
    const n = 100 + Math.floor(rand() * 900);
    buf[o] = 48 + ((n / 100) | 0);
    buf[o + 1] = 48 + (((n / 10) | 0) % 10);
    buf[o + 2] = 48 + (n % 10);
  }
  return buf.toString('latin1');
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
  private readonly texts = new Map<string, string>();
  constructor(private readonly maxEntries = 20_000) {}

  /** The first `tokens` tokens of block `key`'s text of `fullTokens` tokens. */
  get(key: string, tokens: number, fullTokens: number): string {
    let text = this.texts.get(key);
    if (text === undefined || text.length < tokens * CHARS_PER_TOKEN) {
      text = digitText(key, Math.max(tokens, fullTokens));
      if (this.texts.size >= this.maxEntries) this.texts.delete(this.texts.keys().next().value!);
      this.texts.set(key, text);
    }
    return text.length === tokens * CHARS_PER_TOKEN ? text : text.slice(0, tokens * CHARS_PER_TOKEN);
  }
}
