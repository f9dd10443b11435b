// The Vercel AI SDK's default OpenAI provider (`openai('gpt-4.1-mini')` speaks the Responses API)
// through costwise → emulator: generateText, streamText and a tool call, each priced exactly.
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, stepCountIs, streamText, tool } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { expectedPico, ledger, usdToPico, type TestEnv } from '../helpers/env.js';
import { BACKENDS, startEnvOn } from '../helpers/backend-env.js';

let env: TestEnv;
let openai: ReturnType<typeof createOpenAI>;

interface SdkUsage {
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  inputTokenDetails: { cacheReadTokens: number | undefined };
}

function priceOf(usage: SdkUsage): bigint {
  const cached = usage.inputTokenDetails.cacheReadTokens ?? 0;
  return expectedPico('gpt-4.1-mini', { input: usage.inputTokens! - cached, cacheRead: cached, output: usage.outputTokens! });
}

describe.each(BACKENDS)('AI SDK default OpenAI provider through /v1/responses (%s ledger)', (backend) => {
  beforeAll(async () => {
    env = await startEnvOn(backend);
    openai = createOpenAI({ baseURL: `${env.gateway.url}/v1`, apiKey: 'sk-ai-sdk' });
  });
  afterAll(() => env.close());

  it('generateText: the answer, and the cost header to the pico-dollar', async () => {
    const result = await generateText({
      model: openai('gpt-4.1-mini'),
      system: 'Be brief.',
      prompt: 'What does costwise do?',
      headers: { 'x-emulator-output-tokens': '23' },
    });
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.usage.outputTokens).toBe(23);
    expect(result.finishReason).toBe('stop');
    const headers = result.response.headers!;
    expect(usdToPico(headers['x-costwise-cost-usd']!)).toBe(priceOf(result.usage));
    const row = (await ledger(env)).find((r) => r['requestId'] === headers['x-costwise-request-id'])!;
    expect(row['endpoint']).toBe('/v1/responses');
    expect(BigInt(row['costPico'])).toBe(priceOf(result.usage));
  });

  it('streamText: the streamed text and the ledger row', async () => {
    const result = streamText({ model: openai('gpt-4.1-mini'), prompt: 'Count to five.', headers: { 'x-emulator-output-tokens': '15' } });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    expect(text.length).toBeGreaterThan(0);
    const usage = await result.usage;
    expect(usage.outputTokens).toBe(15);
    const id = (await result.response).headers!['x-costwise-request-id']!;
    const row = (await ledger(env)).find((r) => r['requestId'] === id)!;
    expect(row['stream']).toBe(true);
    expect(BigInt(row['costPico'])).toBe(priceOf(usage));
  });

  it('a tool call: the model calls the tool, the SDK runs it and sends the result back', async () => {
    let calledWith: string | undefined;
    const result = await generateText({
      model: openai('gpt-4.1-mini'),
      prompt: 'Weather in Oslo?',
      tools: {
        get_weather: tool({
          description: 'Weather for a city',
          inputSchema: z.object({ city: z.string() }),
          execute: ({ city }) => {
            calledWith = city;
            return Promise.resolve({ tempC: 4 });
          },
        }),
      },
      stopWhen: stepCountIs(2),
    });
    expect(calledWith).toBeTypeOf('string');
    expect(result.steps).toHaveLength(2);
    expect(result.steps[0]!.toolCalls[0]!.toolName).toBe('get_weather');
    expect(result.steps[0]!.finishReason).toBe('tool-calls');
    expect(result.steps[1]!.text.length).toBeGreaterThan(0);
    const rows = await ledger(env);
    for (const step of result.steps) {
      const id = step.response.headers!['x-costwise-request-id']!;
      const row = rows.find((r) => r['requestId'] === id)!;
      expect(usdToPico(step.response.headers!['x-costwise-cost-usd']!)).toBe(priceOf(step.usage));
      expect(BigInt(row['costPico'])).toBe(priceOf(step.usage));
    }
    // The second step carried the tool call and its result: more input than the first.
    expect(result.steps[1]!.usage.inputTokens!).toBeGreaterThan(result.steps[0]!.usage.inputTokens!);
  });

  it('a follow-up turn: the SDK refers to the stored assistant message by item_reference, and costwise resolves it', async () => {
    const first = await generateText({ model: openai('gpt-4.1-mini'), prompt: 'Say hello.' });
    const assistant = first.response.messages[0]!;
    expect(JSON.stringify(assistant.content)).toContain('"itemId":"msg_');
    const second = await generateText({
      model: openai('gpt-4.1-mini'),
      messages: [{ role: 'user', content: 'Say hello.' }, ...first.response.messages, { role: 'user', content: 'Again, please.' }],
      headers: { 'x-emulator-output-tokens': '7' },
    });
    expect(second.usage.outputTokens).toBe(7);
    // The referenced answer is part of the prompt: more input than the first turn's.
    expect(second.usage.inputTokens!).toBeGreaterThan(first.usage.inputTokens! + first.usage.outputTokens! - 1);
  });
});
