import fc from 'fast-check';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalRequest } from '../../src/core/canonical.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { generatePieces } from '../../src/emulator/text-gen.js';
import { prng } from '../../src/emulator/hash.js';
import { countCanonicalInputTokens, countTextTokens, encodeText, encodingForModel } from '../../src/tokens/count.js';

let emu: RunningEmulator;
let openai: OpenAI;
beforeAll(async () => {
  emu = await startEmulator();
  openai = new OpenAI({ apiKey: 'x', baseURL: `${emu.url}/v1`, maxRetries: 0 });
});
afterAll(() => emu.close());

describe('countTextTokens', () => {
  it('picks the encoding by model', () => {
    expect(encodingForModel('gpt-4o-mini')).toBe('o200k_base');
    expect(encodingForModel('gpt-4.1-nano')).toBe('o200k_base');
    expect(encodingForModel('gpt-5')).toBe('o200k_base');
    expect(encodingForModel('o3-mini')).toBe('o200k_base');
    expect(encodingForModel('gpt-4')).toBe('cl100k_base');
    expect(encodingForModel('gpt-4-turbo')).toBe('cl100k_base');
    expect(encodingForModel('gpt-3.5-turbo')).toBe('cl100k_base');
    expect(encodingForModel('text-embedding-3-small')).toBe('cl100k_base');
    expect(encodingForModel('claude-sonnet-4-5')).toBe('o200k_base');
    expect(encodingForModel('gemini-2.5-flash')).toBe('o200k_base');
  });

  it('matches gpt-tokenizer for each encoding, cached or not', async () => {
    const o200k = await import('gpt-tokenizer/encoding/o200k_base');
    const cl100k = await import('gpt-tokenizer/encoding/cl100k_base');
    const text = 'Grüße aus Köln! 東京タワー — naïve café; print("hello")';
    expect(countTextTokens(text, 'gpt-4o')).toBe(o200k.encode(text).length);
    expect(countTextTokens(text, 'gpt-4')).toBe(cl100k.encode(text).length);
    expect(countTextTokens(text, 'gpt-4o')).not.toBe(countTextTokens(text, 'gpt-4'));
    expect(countTextTokens(text, 'gpt-4o')).toBe(o200k.encode(text).length); // second call: cache
    expect(encodeText(text, 'gpt-4o')).toEqual(o200k.encode(text));
    expect(countTextTokens('', 'gpt-4o')).toBe(0);
  });

  it('treats special-token text as plain text', () => {
    expect(countTextTokens('a <|endoftext|> b', 'gpt-4o')).toBeGreaterThan(3);
  });
});

describe('countCanonicalInputTokens', () => {
  it('is the OpenAI chat rule: 3 per message + role + content, + 3 priming', () => {
    const req: CanonicalRequest = {
      model: 'gpt-4o',
      system: [],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }],
      stream: false,
      streamUsage: false,
      passthrough: { format: 'openai', fields: {} },
    };
    expect(countCanonicalInputTokens(req, 'gpt-4o')).toBe(3 + 1 + 1 + 3);
  });

  it('equals the emulator prompt_tokens for an equivalent OpenAI request', async () => {
    const tool = {
      name: 'get_weather',
      description: 'Weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    };
    const canon: CanonicalRequest = {
      model: 'gpt-4o',
      system: [{ type: 'text', text: 'You are terse.' }],
      messages: [
        {
          role: 'user',
          name: 'ann',
          content: [
            { type: 'text', text: 'Weather in Paris? ' },
            { type: 'image', source: { kind: 'url', url: 'https://x/y.png' }, detail: 'low' },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
            { type: 'tool_call', id: 'call_2', name: 'get_weather', arguments: '{"city":"Lyon"}' },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', toolCallId: 'call_1', content: [{ type: 'text', text: '21C sunny' }] },
            { type: 'tool_result', toolCallId: 'call_2', content: [{ type: 'text', text: '18C rain' }] },
            { type: 'text', text: 'And tomorrow?' },
          ],
        },
      ],
      tools: [tool],
      stream: false,
      streamUsage: false,
      passthrough: { format: 'openai', fields: {} },
    };
    const res = await openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'You are terse.' },
        {
          role: 'user',
          name: 'ann',
          content: [
            { type: 'text', text: 'Weather in Paris? ' },
            { type: 'image_url', image_url: { url: 'https://x/y.png', detail: 'low' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lyon"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '21C sunny' },
        { role: 'tool', tool_call_id: 'call_2', content: '18C rain' },
        { role: 'user', content: 'And tomorrow?' },
      ],
      tools: [{ type: 'function', function: tool }],
    });
    const expected = countCanonicalInputTokens(canon, 'gpt-4o');
    expect(res.usage?.prompt_tokens).toBe(expected);
    // image low = 85, plus at least the 5 messages' overhead.
    expect(expected).toBeGreaterThan(85 + 5 * 4);
  });
});

describe('generated reply text', () => {
  it('tokenises to exactly the requested number of tokens', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 }), fc.integer(), fc.constantFrom('gpt-4o', 'gpt-4', 'claude-sonnet-4-5'), (n, seed, model) => {
        const text = generatePieces(model, n, prng(seed)).join('');
        return countTextTokens(text, model) === n;
      }),
      { numRuns: 150 },
    );
  });
});
