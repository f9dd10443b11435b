// Recorded answers: a request whose last user message is a recorded prompt gets the recorded
// response of the mapped model, with usage counted from that text, streamed or not, through the
// official SDKs; other prompts and unmapped models keep the generated text.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { RecordedAnswers } from '../../src/emulator/outcomes.js';
import { countTextTokens } from '../../src/tokens/count.js';
import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import { parseConfig } from '../../src/config/load.js';
import { startGateway } from '../../src/server/gateway.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/outcomes-small.csv', import.meta.url));
const WEAK = 'mistralai/mixtral-8x7b-chat';
const STRONG = 'gpt-4-1106-preview';
const BOILING = 'What is the boiling point of water at sea level in Celsius?';

let emu: RunningEmulator;
let openai: OpenAI;
let anthropic: Anthropic;
beforeAll(async () => {
  emu = await startEmulator({ seed: 1, outcomes: { files: [FIXTURE], models: { 'gpt-4o-mini': WEAK, 'gpt-4.1': STRONG, 'claude-sonnet-4-5': STRONG } } });
  openai = new OpenAI({ apiKey: 'x', baseURL: `${emu.url}/v1`, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: 'x', baseURL: emu.url, maxRetries: 0 });
});
afterAll(() => emu.close());

describe('recorded answers (OpenAI)', () => {
  it("answers a recorded prompt with the mapped model's recorded response and counts its tokens", async () => {
    for (const [model, text] of [
      ['gpt-4o-mini', 'About 90 degrees.'],
      ['gpt-4.1', 'Water boils at 100 °C at sea level.'],
    ] as const) {
      const r = await openai.chat.completions.create({ model, messages: [{ role: 'user', content: BOILING }] });
      expect(r.choices[0]!.message.content).toBe(text);
      expect(r.choices[0]!.finish_reason).toBe('stop');
      expect(r.usage!.completion_tokens).toBe(countTextTokens(text, model));
      expect(r.usage!.prompt_tokens).toBe(3 + 1 + countTextTokens(BOILING, model) + 3);
    }
  });

  it('matches on the last user message with whitespace collapsed, and decodes Python-list prompts and answers', async () => {
    const r = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Answer briefly.' },
        { role: 'user', content: '  Which gas do plants absorb?\n\nA. Oxygen B. Carbon dioxide\tC. Nitrogen\nD. Helium Answer:' },
      ],
    });
    expect(r.choices[0]!.message.content).toBe('The answer is B. Carbon dioxide.');
  });

  it('streams the recorded response; the streamed usage is its exact token count', async () => {
    const stream = await openai.chat.completions.create({
      model: 'gpt-4.1',
      messages: [{ role: 'user', content: 'Name the largest planet in the solar system.' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let completion = -1;
    let chunks = 0;
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? '';
      if (c.usage) completion = c.usage.completion_tokens;
      chunks++;
    }
    expect(text).toBe('Jupiter.');
    expect(completion).toBe(countTextTokens('Jupiter.', 'gpt-4.1'));
    expect(chunks).toBeGreaterThan(1);
  });

  it('cuts the recorded answer at max_tokens with finish_reason length', async () => {
    const full = '3 + 4 = 7, so he has 7 apples. #### 7';
    const r = await openai.chat.completions.create({
      model: 'gpt-4.1',
      max_completion_tokens: 4,
      messages: [{ role: 'user', content: 'Tom has 3 apples and buys 4 more. How many apples does he have?' }],
    });
    expect(r.choices[0]!.finish_reason).toBe('length');
    expect(r.usage!.completion_tokens).toBe(4);
    expect(full.startsWith(r.choices[0]!.message.content!)).toBe(true);
  });

  it('generates text for an unrecorded prompt and for a model without a mapping', async () => {
    const other = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Something never recorded' }] });
    expect(other.usage!.completion_tokens).toBeGreaterThanOrEqual(20);
    const unmapped = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: BOILING }] });
    expect(unmapped.choices[0]!.message.content).not.toBe('About 90 degrees.');
    expect(unmapped.choices[0]!.message.content).not.toBe('Water boils at 100 °C at sea level.');
  });
});

describe('recorded answers (Anthropic)', () => {
  it('answers and streams the recorded response with exact output tokens', async () => {
    const text = 'Water boils at 100 °C at sea level.';
    const m = await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 200, messages: [{ role: 'user', content: BOILING }] });
    expect(m.content[0]).toMatchObject({ type: 'text', text });
    expect(m.usage.output_tokens).toBe(countTextTokens(text, 'claude-sonnet-4-5'));
    const stream = anthropic.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 200, messages: [{ role: 'user', content: BOILING }] });
    let streamed = '';
    stream.on('text', (t) => (streamed += t));
    const final = await stream.finalMessage();
    expect(streamed).toBe(text);
    expect(final.usage.output_tokens).toBe(m.usage.output_tokens);
  });
});

describe('outcome file checks', () => {
  it('names a mapped model without a response column', () => {
    expect(() => new RecordedAnswers({ files: [FIXTURE], models: { 'gpt-4o': 'claude-v2' } })).toThrow(/no "<model>\|model_response" column for "claude-v2"/);
  });

  it('keeps no labels: a row answers only with response text', () => {
    const a = new RecordedAnswers({ files: [FIXTURE], models: { m: WEAK } });
    expect(a.prompts).toBe(6);
    expect(a.answer('m', 'If a shirt costs $20 and is 25% off, what is the sale price?')).toBe('The sale price is $5.');
    expect(a.answer('other', BOILING)).toBeUndefined();
  });
});

describe('the embedded emulator (emulator.outcomes in the config)', () => {
  it('answers through the gateway with the recorded response of the model the catalog name plays', async () => {
    const { config } = parseConfig(
      {
        ...structuredClone(DEFAULT_CONFIG),
        server: { port: 0 },
        storage: { ledger: { kind: 'sqlite', path: ':memory:' } },
        emulator: { outcomes: { files: [FIXTURE], models: { 'claude-sonnet-4-5': STRONG, 'gpt-4.1-nano': WEAK } } },
      },
      'test',
      {},
    );
    const gateway = await startGateway({ config });
    try {
      const client = new OpenAI({ apiKey: 'x', baseURL: `${gateway.url}/v1`, maxRetries: 0 });
      const strong = await client.chat.completions.create({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: BOILING }] });
      expect(strong.choices[0]!.message.content).toBe('Water boils at 100 °C at sea level.');
      const weak = await client.chat.completions.create({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: BOILING }] });
      expect(weak.choices[0]!.message.content).toBe('About 90 degrees.');
      expect(weak.usage!.completion_tokens).toBe(countTextTokens('About 90 degrees.', 'gpt-4.1-nano'));
    } finally {
      await gateway.close();
    }
  });

  it('names an unknown catalog model in the mapping', () => {
    expect(() => parseConfig({ ...structuredClone(DEFAULT_CONFIG), emulator: { outcomes: { models: { 'no-such-model': STRONG } } } }, 'test', {})).toThrow(
      /emulator\.outcomes\.models\.no-such-model: unknown model "no-such-model"/,
    );
  });
});
