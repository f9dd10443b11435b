import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { countTextTokens } from '../../src/tokens/count.js';
import { parseJson } from '../helpers/json.js';

let emu: RunningEmulator;
let client: OpenAI;
beforeAll(async () => {
  emu = await startEmulator({ seed: 1 });
  client = new OpenAI({ apiKey: 'x', baseURL: `${emu.url}/v1`, maxRetries: 0 });
});
afterAll(() => emu.close());

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather',
    parameters: {
      type: 'object',
      properties: {
        city: { type: 'string' },
        unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
        days: { type: 'integer' },
        detailed: { type: 'boolean' },
        tags: { type: 'array', items: { type: 'string' } },
        where: { type: 'object', properties: { lat: { type: 'number' } }, required: ['lat'] },
        optional: { type: 'string' },
      },
      required: ['city', 'unit', 'days', 'detailed', 'tags', 'where'],
    },
  },
};

describe('chat completions (non-stream)', () => {
  it('returns a well-formed completion with usage and headers', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hi' }] }).withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.id).toMatch(/^chatcmpl-/);
    expect(data.choices).toHaveLength(1);
    const choice = data.choices[0]!;
    expect(choice.message.role).toBe('assistant');
    expect(typeof choice.message.content).toBe('string');
    expect(choice.finish_reason).toBe('stop');
    const u = data.usage!;
    expect(u.prompt_tokens).toBe(3 + 1 + countTextTokens('Say hi', 'gpt-4o-mini') + 3);
    expect(u.completion_tokens).toBe(countTextTokens(choice.message.content!, 'gpt-4o-mini'));
    expect(u.completion_tokens).toBeGreaterThanOrEqual(20);
    expect(u.completion_tokens).toBeLessThanOrEqual(120);
    expect(u.total_tokens).toBe(u.prompt_tokens + u.completion_tokens);
    expect(u.prompt_tokens_details?.cached_tokens).toBe(0);
    expect(u.completion_tokens_details?.reasoning_tokens).toBe(0);
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    expect(response.headers.get('openai-processing-ms')).toMatch(/^\d+$/);
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('10000');
    expect(response.headers.get('x-ratelimit-remaining-tokens')).toMatch(/^\d+$/);
    expect(response.headers.get('x-ratelimit-reset-requests')).toMatch(/^(\d+ms|[\d.]+s|\d+m\d+s)$/);
  });

  it('is deterministic: same request, same text; different prompt, different text', async () => {
    const ask = (content: string) => client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content }] });
    const [a, b, c] = await Promise.all([ask('same'), ask('same'), ask('other')]);
    expect(a.choices[0]!.message.content).toBe(b.choices[0]!.message.content);
    expect(a.choices[0]!.message.content).not.toBe(c.choices[0]!.message.content);
    const other = await startEmulator({ seed: 2 });
    try {
      const c2 = new OpenAI({ apiKey: 'x', baseURL: `${other.url}/v1`, maxRetries: 0 });
      const d = await c2.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'same' }] });
      expect(d.choices[0]!.message.content).not.toBe(a.choices[0]!.message.content);
    } finally {
      await other.close();
    }
  });

  it('x-emulator-output-tokens forces exactly N tokens; max_tokens caps with finish_reason length', async () => {
    for (const model of ['gpt-4o', 'gpt-4', 'gpt-3.5-turbo']) {
      const r = await client.chat.completions.create(
        { model, messages: [{ role: 'user', content: 'long please' }] },
        { headers: { 'x-emulator-output-tokens': '257' } },
      );
      expect(r.usage!.completion_tokens).toBe(257);
      expect(countTextTokens(r.choices[0]!.message.content!, model)).toBe(257);
    }
    const capped = await client.chat.completions.create(
      { model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }], max_completion_tokens: 10 },
      { headers: { 'x-emulator-output-tokens': '50' } },
    );
    expect(capped.usage!.completion_tokens).toBe(10);
    expect(capped.choices[0]!.finish_reason).toBe('length');
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- the deprecated field is the point: clients still send max_tokens, and it must cap the output too
    const legacy = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }], max_tokens: 3 });
    expect(legacy.usage!.completion_tokens).toBe(3);
    expect(legacy.choices[0]!.finish_reason).toBe('length');
  });

  it('x-emulator-echo echoes the last user message; stop sequences cut it', async () => {
    const text = 'The quick brown fox jumps over the lazy dog';
    const r = await client.chat.completions.create(
      {
        model: 'gpt-4o',
        messages: [
          { role: 'user', content: 'first' },
          { role: 'assistant', content: 'ok' },
          { role: 'user', content: text },
        ],
      },
      { headers: { 'x-emulator-echo': '1' } },
    );
    expect(r.choices[0]!.message.content).toBe(text);
    expect(r.usage!.completion_tokens).toBe(countTextTokens(text, 'gpt-4o'));
    const s = await client.chat.completions.create(
      { model: 'gpt-4o', messages: [{ role: 'user', content: text }], stop: ['fox'] },
      { headers: { 'x-emulator-echo': '1' } },
    );
    expect(s.choices[0]!.message.content).toBe('The quick brown ');
    expect(s.choices[0]!.finish_reason).toBe('stop');
  });

  it('supports n > 1 choices, billing all of them', async () => {
    const r = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], n: 3 });
    expect(r.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    const sum = r.choices.reduce((n, c) => n + countTextTokens(c.message.content!, 'gpt-4o'), 0);
    expect(r.usage!.completion_tokens).toBe(sum);
  });
});

describe('chat completions (stream)', () => {
  it('streams chunks; usage chunk only when include_usage is set', async () => {
    const withUsage = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'stream me' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const c of withUsage) chunks.push(c);
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '', refusal: null });
    const last = chunks[chunks.length - 1]!;
    expect(last.choices).toEqual([]);
    expect(last.usage!.completion_tokens).toBeGreaterThan(0);
    for (const c of chunks.slice(0, -1)) expect(c.usage).toBeNull();
    const finish = chunks[chunks.length - 2]!;
    expect(finish.choices[0]!.delta).toEqual({});
    expect(finish.choices[0]!.finish_reason).toBe('stop');
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(countTextTokens(text, 'gpt-4o')).toBe(last.usage!.completion_tokens);
    // Same text as the non-streaming reply.
    const plain = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'stream me' }] });
    expect(plain.choices[0]!.message.content).toBe(text);

    const noUsage = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'stream me' }], stream: true });
    const plainChunks = [];
    for await (const c of noUsage) plainChunks.push(c);
    expect(plainChunks.every((c) => c.usage === undefined && c.choices.length === 1)).toBe(true);
  });

  it('works with the SDK stream helper (finalChatCompletion)', async () => {
    const stream = client.chat.completions.stream({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'helper' }],
      stream_options: { include_usage: true },
    });
    let deltas = '';
    stream.on('content', (d) => {
      deltas += d;
    });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]!.message.content).toBe(deltas);
    expect(final.usage!.completion_tokens).toBe(countTextTokens(deltas, 'gpt-4o'));
  });
});

describe('tool calls', () => {
  it('calls the first tool with schema-satisfying arguments (non-stream)', async () => {
    const r = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Weather in Oslo?' }], tools: [weatherTool] });
    const c = r.choices[0]!;
    expect(c.finish_reason).toBe('tool_calls');
    expect(c.message.content).toBeNull();
    const call = c.message.tool_calls![0]!;
    expect(call.id).toMatch(/^call_[A-Za-z0-9]{24}$/);
    if (call.type !== 'function') throw new Error('expected a function call');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'example', unit: 'celsius', days: 1, detailed: true, tags: ['example'], where: { lat: 1 } });
  });

  it('honours tool_choice none / named tool, and answers text after a tool result', async () => {
    const other = { type: 'function' as const, function: { name: 'other', parameters: { type: 'object', properties: {} } } };
    const none = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'q' }],
      tools: [weatherTool],
      tool_choice: 'none',
    });
    expect(none.choices[0]!.finish_reason).toBe('stop');
    const named = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'q' }],
      tools: [weatherTool, other],
      tool_choice: { type: 'function', function: { name: 'other' } },
    });
    const call = named.choices[0]!.message.tool_calls![0]!;
    expect(call.type === 'function' && call.function.name).toBe('other');
    const after = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      ],
      tools: [weatherTool],
    });
    expect(after.choices[0]!.finish_reason).toBe('stop');
    expect(after.choices[0]!.message.content!.length).toBeGreaterThan(0);
  });

  it('streams a tool call that the SDK helper reassembles', async () => {
    const stream = client.chat.completions.stream({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Weather?' }], tools: [weatherTool] });
    const final = await stream.finalChatCompletion();
    const c = final.choices[0]!;
    expect(c.finish_reason).toBe('tool_calls');
    const call = c.message.tool_calls![0]!;
    expect(call.type === 'function' && parseJson(call.function.arguments, z.object({ where: z.unknown() })).where).toEqual({ lat: 1 });

    const raw = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Weather?' }],
      tools: [weatherTool],
      stream: true,
    });
    const deltas = [];
    for await (const ch of raw) deltas.push(ch.choices[0]?.delta);
    expect(deltas[0]!.tool_calls![0]).toMatchObject({ index: 0, type: 'function', function: { name: 'get_weather', arguments: '' } });
    expect(deltas.slice(1, -1).every((d) => d!.tool_calls![0]!.function!.arguments!.length > 0)).toBe(true);
  });
});

describe('embeddings', () => {
  it('base64 (SDK default) and float decode to the same unit vector', async () => {
    const b64 = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['hello world', 'bye'] });
    const flt = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['hello world', 'bye'], encoding_format: 'float' });
    expect(b64.data).toHaveLength(2);
    expect(b64.data[0]!.embedding).toHaveLength(1536);
    expect(b64.data[0]!.embedding).toEqual(flt.data[0]!.embedding);
    expect(b64.data[0]!.embedding).not.toEqual(b64.data[1]!.embedding);
    const norm = Math.sqrt(flt.data[0]!.embedding.reduce((s, x) => s + x * x, 0));
    expect(norm).toBeCloseTo(1, 5);
    expect(flt.usage.prompt_tokens).toBe(countTextTokens('hello world', 'text-embedding-3-small') + countTextTokens('bye', 'text-embedding-3-small'));
  });

  it('honours dimensions and model defaults', async () => {
    const large = await client.embeddings.create({ model: 'text-embedding-3-large', input: 'x', encoding_format: 'float' });
    expect(large.data[0]!.embedding).toHaveLength(3072);
    const small = await client.embeddings.create({ model: 'text-embedding-3-large', input: 'x', dimensions: 256 });
    expect(small.data[0]!.embedding).toHaveLength(256);
    const again = await client.embeddings.create({ model: 'text-embedding-3-large', input: 'x', dimensions: 256 });
    expect(again.data[0]!.embedding).toEqual(small.data[0]!.embedding);
  });
});

describe('models', () => {
  it('lists models in the OpenAI shape', async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toContain('gpt-4o');
    expect(page.data[0]!.object).toBe('model');
  });
});

describe('structured outputs', () => {
  const schema = { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } }, required: ['name', 'age'], additionalProperties: false };

  it('a json_schema response format gets JSON satisfying the schema, counted as output', async () => {
    const data = await client.chat.completions.create({
      model: 'gpt-4.1-mini',
      messages: [{ role: 'user', content: 'Invent a person' }],
      response_format: { type: 'json_schema', json_schema: { name: 'person', schema } },
    });
    const text = data.choices[0]!.message.content!;
    expect(z.object({ name: z.string(), age: z.number().int() }).strict().safeParse(JSON.parse(text)).success).toBe(true);
    expect(data.usage!.completion_tokens).toBe(countTextTokens(text, 'gpt-4.1-mini'));
  });

  it('json_object gets a JSON object; offered tools still win', async () => {
    const json = await client.chat.completions.create({
      model: 'gpt-4.1-mini',
      messages: [{ role: 'user', content: 'JSON please' }],
      response_format: { type: 'json_object' },
    });
    expect(JSON.parse(json.choices[0]!.message.content!)).toEqual({});
    const tool = await client.chat.completions.create({
      model: 'gpt-4.1-mini',
      messages: [{ role: 'user', content: 'Weather?' }],
      tools: [weatherTool],
      response_format: { type: 'json_schema', json_schema: { name: 'person', schema } },
    });
    expect(tool.choices[0]!.finish_reason).toBe('tool_calls');
  });
});
