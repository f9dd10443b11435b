// The official `@anthropic-ai/sdk` client's Messages API against a real gateway, for a Claude model
// and, through costwise's translation, an OpenAI and a Gemini one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { usdToPico, type PricedModel } from '../helpers/env.js';
import { caseHeaders, expectExactCost, startConformanceGateway, type ConformanceGateway } from './gateway.js';

let gw: ConformanceGateway;
let client: Anthropic;
beforeAll(async () => {
  gw = await startConformanceGateway();
  client = new Anthropic({ apiKey: 'sk-ant-conformance', baseURL: gw.url, maxRetries: 0 });
});
afterAll(() => gw.close());

const weather: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Current weather in a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } }, required: ['city', 'unit'] },
};

/** Anthropic's input_tokens exclude cache reads and writes; the ledger's classes add up to all three. */
const promptTokens = (u: Anthropic.Usage): number => u.input_tokens + (u.cache_read_input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0);

describe.each<PricedModel>(['claude-haiku-4-5', 'gpt-4.1-nano', 'gemini-2.5-flash'])('anthropic messages → %s', (model) => {
  it('create: usage and cost header match the ledger row', async () => {
    const tag = `ant-create-${model}`;
    const { data, response } = await client.messages
      .create(
        { model, max_tokens: 200, system: 'Be brief.', messages: [{ role: 'user', content: `Name a fruit (${model}).` }] },
        { headers: caseHeaders(tag, 19) },
      )
      .withResponse();
    expect(data.type).toBe('message');
    expect(data.stop_reason).toBe('end_turn');
    expect(data.content[0]!.type).toBe('text');
    expect(data.usage.output_tokens).toBe(19);
    const cost = await expectExactCost(gw, tag, model, { input: promptTokens(data.usage), output: 19 });
    expect(usdToPico(response.headers.get('x-costwise-cost-usd')!)).toBe(cost);
  });

  it('stream: the SDK accumulates the final message', async () => {
    const tag = `ant-stream-${model}`;
    const stream = client.messages.stream(
      { model, max_tokens: 300, messages: [{ role: 'user', content: `Tell a short story (${model}).` }] },
      { headers: caseHeaders(tag, 31) },
    );
    let deltas = 0;
    stream.on('text', () => deltas++);
    const final = await stream.finalMessage();
    expect(deltas).toBeGreaterThan(1);
    expect(final.usage.output_tokens).toBe(31);
    await expectExactCost(gw, tag, model, { input: promptTokens(final.usage), output: 31 });
  });

  it('tools: a tool_use block with schema-valid input, streamed', async () => {
    const tag = `ant-tools-${model}`;
    const stream = client.messages.stream(
      { model, max_tokens: 300, tools: [weather], tool_choice: { type: 'any' }, messages: [{ role: 'user', content: `Weather in Rome? (${model})` }] },
      { headers: caseHeaders(tag) },
    );
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    const use = final.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
    expect(use.name).toBe('get_weather');
    const input = use.input as Record<string, unknown>;
    expect(typeof input['city']).toBe('string');
    expect(['c', 'f']).toContain(input['unit']);
    await expectExactCost(gw, tag, model, { input: promptTokens(final.usage), output: final.usage.output_tokens });
  });

  it('tools: the tool result round trip ends in text', async () => {
    const tag = `ant-tool-result-${model}`;
    const data = await client.messages.create(
      {
        model,
        max_tokens: 300,
        tools: [weather],
        messages: [
          { role: 'user', content: `Weather in Lima? (${model})` },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_conformance1', name: 'get_weather', input: { city: 'Lima', unit: 'c' } }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_conformance1', content: '18 degrees, cloudy' }] },
        ],
      },
      { headers: caseHeaders(tag, 12) },
    );
    expect(data.stop_reason).toBe('end_turn');
    expect(data.content[0]!.type).toBe('text');
    await expectExactCost(gw, tag, model, { input: promptTokens(data.usage), output: 12 });
  });
});
