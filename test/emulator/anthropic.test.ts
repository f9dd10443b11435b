import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { countTextTokens } from '../../src/tokens/count.js';

let emu: RunningEmulator;
let client: Anthropic;
beforeAll(async () => {
  emu = await startEmulator();
  client = new Anthropic({ apiKey: 'x', baseURL: emu.url, maxRetries: 0 });
});
afterAll(() => emu.close());

const MODEL = 'claude-sonnet-4-0';
const tool = {
  name: 'lookup',
  description: 'Look something up',
  input_schema: { type: 'object' as const, properties: { query: { type: 'string' }, limit: { type: 'integer' } }, required: ['query', 'limit'] },
};

describe('messages (non-stream)', () => {
  it('returns a message with full usage and Anthropic headers', async () => {
    const { data, response } = await client.messages
      .create({ model: MODEL, max_tokens: 200, system: 'Be brief.', messages: [{ role: 'user', content: 'Hello there' }] })
      .withResponse();
    expect(data.type).toBe('message');
    expect(data.id).toMatch(/^msg_/);
    expect(data.stop_reason).toBe('end_turn');
    expect(data.stop_sequence).toBeNull();
    const block = data.content[0]!;
    if (block.type !== 'text') throw new Error('expected text');
    expect(data.usage.output_tokens).toBe(countTextTokens(block.text, MODEL));
    expect(data.usage).toMatchObject({
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
      service_tier: 'standard',
    });
    const count = await client.messages.countTokens({ model: MODEL, system: 'Be brief.', messages: [{ role: 'user', content: 'Hello there' }] });
    expect(data.usage.input_tokens).toBe(count.input_tokens);
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    expect(response.headers.get('anthropic-ratelimit-requests-limit')).toBe('10000');
    expect(response.headers.get('anthropic-ratelimit-output-tokens-reset')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('forces exact output tokens, and max_tokens gives stop_reason max_tokens', async () => {
    const r = await client.messages.create(
      { model: MODEL, max_tokens: 1000, messages: [{ role: 'user', content: 'x' }] },
      { headers: { 'x-emulator-output-tokens': '333' } },
    );
    const text = r.content[0]!.type === 'text' ? r.content[0].text : '';
    expect(r.usage.output_tokens).toBe(333);
    expect(countTextTokens(text, MODEL)).toBe(333);
    const capped = await client.messages.create(
      { model: MODEL, max_tokens: 7, messages: [{ role: 'user', content: 'x' }] },
      { headers: { 'x-emulator-output-tokens': '50' } },
    );
    expect(capped.usage.output_tokens).toBe(7);
    expect(capped.stop_reason).toBe('max_tokens');
  });

  it('stop sequences give stop_reason stop_sequence', async () => {
    const r = await client.messages.create(
      { model: MODEL, max_tokens: 100, messages: [{ role: 'user', content: 'alpha beta gamma' }], stop_sequences: ['gamma'] },
      { headers: { 'x-emulator-echo': '1' } },
    );
    expect(r.stop_reason).toBe('stop_sequence');
    expect(r.stop_sequence).toBe('gamma');
    expect(r.content[0]!.type === 'text' && r.content[0].text).toBe('alpha beta ');
  });

  it('lists models in the Anthropic shape when anthropic-version is sent', async () => {
    const page = await client.models.list();
    expect(page.data[0]!.type).toBe('model');
    expect(page.data.map((m) => m.id)).toContain('claude-sonnet-4-6');
  });
});

describe('messages (stream)', () => {
  it('finalMessage() assembles text and cumulative usage', async () => {
    const stream = client.messages.stream({ model: MODEL, max_tokens: 500, messages: [{ role: 'user', content: 'Stream please' }] });
    let deltas = '';
    stream.on('text', (t) => {
      deltas += t;
    });
    const final = await stream.finalMessage();
    const text = final.content[0]!.type === 'text' ? final.content[0]!.text : '';
    expect(text).toBe(deltas);
    expect(final.usage.output_tokens).toBe(countTextTokens(text, MODEL));
    expect(final.stop_reason).toBe('end_turn');
    const plain = await client.messages.create({ model: MODEL, max_tokens: 500, messages: [{ role: 'user', content: 'Stream please' }] });
    expect(plain.content[0]!.type === 'text' && plain.content[0].text).toBe(text);
  });

  it('emits the documented event sequence', async () => {
    const events = await client.messages.create(
      { model: MODEL, max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'x' }] },
      { headers: { 'x-emulator-output-tokens': '4' } },
    );
    const types: string[] = [];
    let finalOutput = -1;
    for await (const e of events) {
      types.push(e.type);
      if (e.type === 'message_start') expect(e.message.usage.output_tokens).toBe(1);
      if (e.type === 'message_delta') finalOutput = e.usage.output_tokens;
    }
    expect(types[0]).toBe('message_start');
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    expect(types.filter((t) => t === 'content_block_delta')).toHaveLength(4);
    expect(finalOutput).toBe(4);
  });
});

describe('tool use', () => {
  it('answers with one tool_use block, streamed or not', async () => {
    const r = await client.messages.create({ model: MODEL, max_tokens: 200, tools: [tool], messages: [{ role: 'user', content: 'find cats' }] });
    expect(r.stop_reason).toBe('tool_use');
    const block = r.content[0]!;
    if (block.type !== 'tool_use') throw new Error('expected tool_use');
    expect(block.id).toMatch(/^toolu_[A-Za-z0-9]{24}$/);
    expect(block.name).toBe('lookup');
    expect(block.input).toEqual({ query: 'example', limit: 1 });

    const final = await client.messages
      .stream({ model: MODEL, max_tokens: 200, tools: [tool], messages: [{ role: 'user', content: 'find cats' }] })
      .finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content[0]).toMatchObject({ type: 'tool_use', name: 'lookup', input: { query: 'example', limit: 1 } });
  });

  it('answers text after a tool_result, and none when tool_choice is none', async () => {
    const after = await client.messages.create({
      model: MODEL,
      max_tokens: 200,
      tools: [tool],
      messages: [
        { role: 'user', content: 'find cats' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { query: 'cats', limit: 1 } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'three cats' }] },
      ],
    });
    expect(after.stop_reason).toBe('end_turn');
    expect(after.content[0]!.type).toBe('text');
    const none = await client.messages.create({
      model: MODEL,
      max_tokens: 200,
      tools: [tool],
      tool_choice: { type: 'none' },
      messages: [{ role: 'user', content: 'find cats' }],
    });
    expect(none.stop_reason).toBe('end_turn');
  });
});

describe('structured outputs', () => {
  it('output_config.format (and the beta output_format) get JSON satisfying the schema', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city', 'days'] };
    for (const field of [{ output_config: { format: { type: 'json_schema', schema } } }, { output_format: { type: 'json_schema', schema } }]) {
      const msg = await client.messages.create({
        model: 'claude-haiku-4-5',
        max_tokens: 200,
        messages: [{ role: 'user', content: 'Plan a trip' }],
        ...field,
      } as Anthropic.MessageCreateParamsNonStreaming);
      const block = msg.content[0]!;
      if (block.type !== 'text') throw new Error('expected a text block');
      const parsed = JSON.parse(block.text) as Record<string, unknown>;
      expect(typeof parsed['city']).toBe('string');
      expect(Number.isInteger(parsed['days'])).toBe(true);
      expect(msg.usage.output_tokens).toBe(countTextTokens(block.text, 'claude-haiku-4-5'));
    }
  });
});
