// Any catalog model through either wire format.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedPico, startTestEnv, usdToPico, type TestEnv } from '../helpers/env.js';
import { present } from '../helpers/assert.js';

let env: TestEnv;
beforeAll(async () => {
  env = await startTestEnv();
});
afterAll(() => env.close());

const echo = { headers: { 'x-emulator-echo': '1' } };

describe('OpenAI format served by Claude and Gemini', () => {
  for (const model of ['claude-haiku-4-5', 'gemini-2.5-flash'] as const) {
    it(`${model}: system, multi-turn, content and cost`, async () => {
      const { data, response } = await env.openai.chat.completions
        .create(
          {
            model,
            messages: [
              { role: 'system', content: 'You repeat things.' },
              { role: 'user', content: 'first question' },
              { role: 'assistant', content: 'first answer' },
              { role: 'user', content: 'say: the quick brown fox' },
            ],
          },
          echo,
        )
        .withResponse();
      expect(data.object).toBe('chat.completion');
      expect(data.model).toBe(model);
      expect(data.choices[0]!.message.content).toBe('say: the quick brown fox');
      expect(data.choices[0]!.finish_reason).toBe('stop');
      expect(response.headers.get('x-costwise-model')).toBe(model);
      const u = data.usage!;
      expect(usdToPico(response.headers.get('x-costwise-cost-usd')!)).toBe(
        expectedPico(model, {
          input: u.prompt_tokens - (u.prompt_tokens_details?.cached_tokens ?? 0),
          cacheRead: u.prompt_tokens_details?.cached_tokens ?? 0,
          output: u.completion_tokens,
        }),
      );
    });

    it(`${model}: tools and tool results, streaming`, async () => {
      const tools = [
        { type: 'function' as const, function: { name: 'get_time', parameters: { type: 'object', properties: { tz: { type: 'string' } }, required: ['tz'] } } },
      ];
      const first = await env.openai.chat.completions.stream({ model, messages: [{ role: 'user', content: 'time in Paris?' }], tools }).finalChatCompletion();
      expect(first.choices[0]!.finish_reason).toBe('tool_calls');
      const call = first.choices[0]!.message.tool_calls![0]!;
      if (call.type !== 'function') throw new Error('expected a function call');
      expect(call.function.name).toBe('get_time');
      expect(JSON.parse(call.function.arguments)).toHaveProperty('tz');
      const second = await env.openai.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'time in Paris?' }, first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: '12:00' }],
        tools,
      });
      expect(second.choices[0]!.finish_reason).toBe('stop');
    });
  }

  it('an OpenAI-only parameter sent to Claude is reported, not silently dropped', async () => {
    const { response } = await env.openai.chat.completions
      .create({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'hi' }], logprobs: true })
      .withResponse();
    expect(response.headers.get('x-costwise-warnings')).toMatch(/logprobs/);
  });
});

describe('Anthropic format served by GPT and Gemini', () => {
  for (const model of ['gpt-4.1-mini', 'gemini-2.5-pro'] as const) {
    it(`${model}: system, multi-turn, streaming, stop reason and usage`, async () => {
      const stream = env.anthropic.messages.stream(
        {
          model,
          max_tokens: 400,
          system: 'You repeat things.',
          messages: [
            { role: 'user', content: 'one' },
            { role: 'assistant', content: 'two' },
            { role: 'user', content: 'three four five' },
          ],
        },
        echo,
      );
      const final = await stream.finalMessage();
      expect(final.model).toBe(model);
      expect(final.content[0]!.type).toBe('text');
      expect((final.content[0] as { text: string }).text).toBe('three four five');
      expect(final.stop_reason).toBe('end_turn');
      expect(final.usage.input_tokens).toBeGreaterThan(0);
      expect(final.usage.output_tokens).toBeGreaterThan(0);
    });

    it(`${model}: tool_use and tool_result`, async () => {
      const tools = [{ name: 'lookup', input_schema: { type: 'object' as const, properties: { sku: { type: 'string' } }, required: ['sku'] } }];
      const first = await env.anthropic.messages.create({ model, max_tokens: 200, tools, messages: [{ role: 'user', content: 'price of sku 9?' }] });
      expect(first.stop_reason).toBe('tool_use');
      const use = present(
        first.content.find((b) => b.type === 'tool_use'),
        'a tool_use block',
      );
      expect(use.name).toBe('lookup');
      const second = await env.anthropic.messages.create({
        model,
        max_tokens: 200,
        tools,
        messages: [
          { role: 'user', content: 'price of sku 9?' },
          { role: 'assistant', content: first.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '$4' }] },
        ],
      });
      expect(second.stop_reason).toBe('end_turn');
    });
  }
});
