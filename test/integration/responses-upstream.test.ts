// A catalog model with `api: responses` is called through the upstream's POST /v1/responses (here
// the emulator's), whatever the caller speaks: Chat Completions, Messages or Responses, streaming
// or not, with tools and prompt caching, at the exact list price.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import { parseConfig } from '../../src/config/load.js';
import { expectedPico, ledger, usdToPico, type TestEnv } from '../helpers/env.js';
import { BACKENDS, startEnvOn } from '../helpers/backend-env.js';

const MODEL = 'gpt-4.1-mini-r';
let env: TestEnv;

function upstreamCalls(): { responses: number; chat: number } {
  const byPath = env.emulator.stats().byPath;
  return { responses: byPath['/v1/responses'] ?? 0, chat: byPath['/v1/chat/completions'] ?? 0 };
}

const tools = [
  {
    type: 'function' as const,
    function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  },
];

describe.each(BACKENDS)('models with api: responses (%s ledger)', (backend) => {
  beforeAll(async () => {
    env = await startEnvOn(backend, {
      config: { models: [...structuredClone(DEFAULT_CONFIG.models), { name: MODEL, provider: 'openai', upstreamModel: 'gpt-4.1-mini', api: 'responses' }] },
    });
  });
  afterAll(() => env.close());

  it('a Chat Completions caller, non-streaming and streaming, is served through /v1/responses at the exact price', async () => {
    const before = upstreamCalls();
    const { data, response } = await env.openai.chat.completions
      .create(
        {
          model: MODEL,
          messages: [
            { role: 'system', content: 'Be brief.' },
            { role: 'user', content: 'Hello' },
          ],
        },
        { headers: { 'x-emulator-output-tokens': '17' } },
      )
      .withResponse();
    expect(data.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(data.usage!.completion_tokens).toBe(17);
    const expected = expectedPico('gpt-4.1-mini', { input: data.usage!.prompt_tokens, output: 17 });
    expect(usdToPico(response.headers.get('x-costwise-cost-usd')!)).toBe(expected);

    const stream = await env.openai.chat.completions.create(
      { model: MODEL, messages: [{ role: 'user', content: 'Count to five.' }], stream: true, stream_options: { include_usage: true } },
      { headers: { 'x-emulator-output-tokens': '11' } },
    );
    let text = '';
    let usage: { prompt_tokens: number; completion_tokens: number } | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(usage!.completion_tokens).toBe(11);
    const row = (await ledger(env)).find((r) => r['stream'] && r['servedModel'] === MODEL)!;
    expect(BigInt(row['costPico'])).toBe(expectedPico('gpt-4.1-mini', { input: usage!.prompt_tokens, output: 11 }));
    expect(upstreamCalls()).toEqual({ responses: before.responses + 2, chat: before.chat });
  });

  it('tool calls and results round-trip through the upstream Responses API', async () => {
    const first = await env.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Weather in Oslo?' }], tools });
    const call = first.choices[0]!.message.tool_calls![0]!;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    if (call.type !== 'function') throw new Error('expected a function call');
    expect(JSON.parse(call.function.arguments)).toHaveProperty('city');
    const second = await env.openai.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Weather in Oslo?' }, first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: '{"temp_c": 4}' }],
      tools,
    });
    expect(second.choices[0]!.finish_reason).toBe('stop');

    const streamed = env.anthropic.messages.stream({
      model: MODEL,
      max_tokens: 300,
      messages: [{ role: 'user', content: 'Weather in Bergen?' }],
      tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }],
    });
    const message = await streamed.finalMessage();
    expect(message.stop_reason).toBe('tool_use');
    const use = message.content.find((b) => b.type === 'tool_use');
    expect(use?.input).toHaveProperty('city');
  });

  it('the upstream prompt cache shows as cache reads, priced as such, on a Responses caller', async () => {
    const long = `You are a support agent for costwise. ${'Answer questions about the gateway carefully and with sources. '.repeat(150)}`;
    const ask = () =>
      env.openai.responses
        .create({ model: MODEL, instructions: long, input: 'How do I read the ledger?' }, { headers: { 'x-emulator-output-tokens': '9' } })
        .withResponse();
    await ask();
    const { data, response } = await ask();
    const cached = data.usage!.input_tokens_details.cached_tokens;
    expect(cached).toBeGreaterThan(1000);
    const expected = expectedPico('gpt-4.1-mini', { input: data.usage!.input_tokens - cached, cacheRead: cached, output: 9 });
    expect(usdToPico(response.headers.get('x-costwise-cost-usd')!)).toBe(expected);
  });

  it('api: responses needs an OpenAI-format provider', () => {
    const raw = {
      ...structuredClone(DEFAULT_CONFIG),
      models: [...structuredClone(DEFAULT_CONFIG.models), { name: 'x', provider: 'anthropic', upstreamModel: 'claude-haiku-4-5', api: 'responses' as const }],
    };
    expect(() => parseConfig(raw, 'test', {})).toThrow(
      /models\[\d+\]\.api: "responses" needs an openai or openai-compatible provider; "anthropic" is anthropic/,
    );
  });
});
