// Counting ahead (src/replay/count-ahead.ts): the worker's counts are the encoder's, they reach the
// token memo before the emulator needs them, and a replay reports the same with or without them.
// Also the synthetic text generator, which the replay rewrote for speed, against its definition.
import { afterEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/random.js';
import { CountAhead } from '../../src/replay/count-ahead.js';
import { loadPolicy, replay } from '../../src/replay/index.js';
import { BlockTexts, digitText, synthText } from '../../src/replay/synth.js';
import { SyntheticChat } from '../../src/replay/synthetic.js';
import { getEncoder } from '../../src/tokens/encodings.js';
import { countTextTokens, hasTextCount, rememberTextCount } from '../../src/tokens/text.js';
import { writeTrace } from './helpers.js';

const MODEL = 'claude-sonnet-4-5';

/** Texts no other test counts: words, digits, punctuation and special-token text, keyed by `tag`. */
function freshTexts(tag: string, n: number): string[] {
  const rand = seededRandom(n * 7919 + tag.length);
  const words = ['alpha', ' beta', '123', '4567', ' ünïcode', '\n\n', ' <|endoftext|>', '—', 'x', " don't"];
  return Array.from({ length: n }, (_, i) => {
    let s = `${tag} ${i}:`;
    for (let k = 0; k < 40 + i; k++) s += words[Math.floor(rand() * words.length)]!;
    return s;
  });
}

describe('CountAhead', () => {
  let counter: CountAhead | null = null;
  afterEach(async () => {
    await counter?.close();
    counter = null;
  });

  it("puts the encoder's own counts into the memo before anyone asks for them", async () => {
    const texts = freshTexts('count-ahead-memo', 25);
    for (const t of texts) expect(hasTextCount(t, MODEL)).toBe(false);
    counter = new CountAhead();
    counter.submit(MODEL, texts);
    counter.submit(MODEL, texts.slice(0, 5)); // already pending: not posted twice
    await counter.settled();
    expect(counter.postedTexts).toBe(texts.length);
    const enc = getEncoder('o200k_base');
    for (const t of texts) {
      expect(hasTextCount(t, MODEL)).toBe(true);
      expect(countTextTokens(t, MODEL)).toBe(enc.encode(t, { disallowedSpecial: new Set() }).length);
    }
  });

  it('never replaces a count the memo already holds', () => {
    const [t] = freshTexts('count-ahead-keep', 1);
    const n = countTextTokens(t!, MODEL);
    rememberTextCount(t!, MODEL, n + 5);
    expect(countTextTokens(t!, MODEL)).toBe(n);
  });
});

describe('digitText', () => {
  it("is the run of three-digit numbers drawn from the key's PRNG", () => {
    for (const [key, tokens] of [
      ['mooncake:1', 512],
      ['route:a/b', 37],
      ['x', 1],
      ['', 0],
    ] as const) {
      const rand = seededRandom(fnv1a(key));
      let want = '';
      for (let i = 0; i < tokens; i++) want += String(100 + Math.floor(rand() * 900));
      expect(digitText(key, tokens)).toBe(want);
    }
  });
});

describe('synthetic request bodies', () => {
  it('are the JSON.stringify text of the request, with cached blocks and a block cut short', () => {
    const chat = new SyntheticChat(MODEL);
    const blocks = new BlockTexts();
    for (const [ids, last, out] of [
      [[1, 2, 3], 100, 7],
      [[1, 2, 4], 512, 0],
      [[9], 3, 1],
    ] as const) {
      const parts = ids.map((id, i) => blocks.get(`body:${id}`, i < ids.length - 1 ? 512 : last, 512));
      parts.push(synthText(`body-own:${ids.join()}`, 20));
      const body = { model: MODEL, messages: [{ role: 'user', content: parts.map(({ text }) => ({ type: 'text', text })) }], max_tokens: Math.max(1, out) };
      expect(chat.request({ parts, outputTokens: out }).body.toString()).toBe(JSON.stringify(body));
    }
  });

  it('hand the count worker recipes that make the same texts', async () => {
    const texts = [synthText('recipe:a', 300), new BlockTexts().get('recipe:b', 200, 512)];
    for (const t of texts) expect(hasTextCount(t.text, MODEL)).toBe(false);
    const counter = new CountAhead();
    try {
      counter.submit(MODEL, texts, 5);
      await counter.settled();
    } finally {
      await counter.close();
    }
    expect(texts.map((t) => hasTextCount(t.text, MODEL))).toEqual([true, true]);
    expect(texts.map((t) => countTextTokens(t.text, MODEL))).toEqual([300, 200]);
  });

  it('skips what a request already being served needs', async () => {
    const late = synthText('skip:late', 64);
    const early = synthText('skip:early', 64);
    const counter = new CountAhead();
    try {
      counter.sending(3);
      counter.submit(MODEL, [early], 3);
      counter.submit(MODEL, [late], 4);
      await counter.settled();
    } finally {
      await counter.close();
    }
    expect(hasTextCount(early.text, MODEL)).toBe(false);
    expect(hasTextCount(late.text, MODEL)).toBe(true);
  });
});

function fnv1a(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

describe('a replay with counting ahead', () => {
  it('reports exactly what it reports without it', async () => {
    // Block ids no other test uses, and enough requests that the worker's counts are used.
    const lines = Array.from({ length: 60 }, (_, k) =>
      JSON.stringify({ timestamp: k * 200, input_length: 512 * 3 + 100 + k, output_length: 5 + k, hash_ids: [7000, 7001 + (k % 4), 7100 + k, 7200 + k] }),
    );
    const file = writeTrace('count-ahead.jsonl', lines.join('\n') + '\n');
    const opts = { file, policies: [loadPolicy(undefined)], model: MODEL, speed: 'max' as const, transport: 'http' as const, seed: 1, top: 5 };
    const ahead = await replay({ ...opts, countAhead: true });
    const inline = await replay({ ...opts, countAhead: false });
    expect(ahead.report.policies[0]!.requests.ok).toBe(60);
    expect(ahead.report).toEqual(inline.report);
  });
});
