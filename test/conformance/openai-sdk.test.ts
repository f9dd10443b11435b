// The official `openai` client's chat API against a real gateway, for a model of each provider.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { usdToPico, type PricedModel } from '../helpers/env.js';
import { caseHeaders, expectExactCost, startConformanceGateway, type ConformanceGateway } from './gateway.js';

let gw: ConformanceGateway;
let client: OpenAI;
beforeAll(async () => {
  gw = await startConformanceGateway();
  client = new OpenAI({ apiKey: 'sk-conformance', baseURL: `${gw.url}/v1`, maxRetries: 0 });
});
afterAll(() => gw.close());

const weather: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
      required: ['city', 'unit'],
      additionalProperties: false,
    },
  },
};

describe.each<PricedModel>(['gpt-4.1-mini', 'claude-haiku-4-5', 'gemini-2.5-flash'])('openai chat completions → %s', (model) => {
  it('create: usage and cost header match the ledger row', async () => {
    const tag = `oai-create-${model}`;
    const { data, response } = await client.chat.completions
      .create({ model, messages: [{ role: 'user', content: `Name a colour (${model}).` }] }, { headers: caseHeaders(tag, 17) })
      .withResponse();
    expect(data.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(data.usage!.completion_tokens).toBe(17);
    const cost = await expectExactCost(gw, tag, model, { input: data.usage!.prompt_tokens, output: 17 });
    expect(usdToPico(response.headers.get('x-costwise-cost-usd')!)).toBe(cost);
  });

  it('stream with include_usage', async () => {
    const tag = `oai-stream-${model}`;
    const stream = await client.chat.completions.create(
      { model, messages: [{ role: 'user', content: `Count to ten (${model}).` }], stream: true, stream_options: { include_usage: true } },
      { headers: caseHeaders(tag, 23) },
    );
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage ?? usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(usage!.completion_tokens).toBe(23);
    await expectExactCost(gw, tag, model, { input: usage!.prompt_tokens, output: 23 });
  });

  it('tools: a call with schema-valid arguments', async () => {
    const tag = `oai-tools-${model}`;
    const data = await client.chat.completions.create(
      { model, messages: [{ role: 'user', content: `Weather in Paris? (${model})` }], tools: [weather], tool_choice: 'required' },
      { headers: caseHeaders(tag) },
    );
    const call = data.choices[0]!.message.tool_calls![0]!;
    expect(data.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call.type).toBe('function');
    if (call.type !== 'function') return;
    expect(call.function.name).toBe('get_weather');
    const args = JSON.parse(call.function.arguments) as Record<string, unknown>;
    expect(typeof args['city']).toBe('string');
    expect(['c', 'f']).toContain(args['unit']);
    await expectExactCost(gw, tag, model, { input: data.usage!.prompt_tokens, output: data.usage!.completion_tokens });
  });

  it('streamed tool call arguments reassemble', async () => {
    const tag = `oai-stream-tools-${model}`;
    const stream = client.chat.completions.stream(
      { model, messages: [{ role: 'user', content: `Weather in Oslo? (${model})` }], tools: [weather], stream_options: { include_usage: true } },
      { headers: caseHeaders(tag) },
    );
    const final = await stream.finalChatCompletion();
    const call = final.choices[0]!.message.tool_calls![0]!;
    if (call.type !== 'function') throw new Error('expected a function call');
    expect(JSON.parse(call.function.arguments)).toHaveProperty('city');
    await expectExactCost(gw, tag, model, { input: final.usage!.prompt_tokens, output: final.usage!.completion_tokens });
  });
});

describe.each<PricedModel>(['gpt-4.1-nano', 'gemini-2.5-flash'])('openai json_schema response format → %s', (model) => {
  it('answers JSON that satisfies the schema', async () => {
    const tag = `oai-json-${model}`;
    const data = await client.chat.completions.create(
      {
        model,
        messages: [{ role: 'user', content: `Invent a person (${model}).` }],
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'person',
            strict: true,
            schema: {
              type: 'object',
              properties: { name: { type: 'string' }, age: { type: 'integer' } },
              required: ['name', 'age'],
              additionalProperties: false,
            },
          },
        },
      },
      { headers: caseHeaders(tag) },
    );
    const person = JSON.parse(data.choices[0]!.message.content!) as Record<string, unknown>;
    expect(typeof person['name']).toBe('string');
    expect(Number.isInteger(person['age'])).toBe(true);
    await expectExactCost(gw, tag, model, { input: data.usage!.prompt_tokens, output: data.usage!.completion_tokens });
  });
});
