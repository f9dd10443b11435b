// The Vercel AI SDK (`ai` with `@ai-sdk/openai` `.chat(...)` and `@ai-sdk/anthropic`) against a real
// gateway. The default `openai(...)` provider speaks the Responses API, tested with that route.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embed, generateObject, generateText, Output, streamText, tool, type LanguageModel } from 'ai';
import { createOpenAI } from '@ai-sdk/openai';
import { createAnthropic } from '@ai-sdk/anthropic';
import { z } from 'zod';
import { usdToPico, type PricedModel } from '../helpers/env.js';
import { caseHeaders, expectExactCost, expectExactEmbeddingCost, startConformanceGateway, type ConformanceGateway } from './gateway.js';

let gw: ConformanceGateway;
beforeAll(async () => {
  gw = await startConformanceGateway();
});
afterAll(() => gw.close());

interface Case {
  label: string;
  priced: PricedModel;
  model: () => LanguageModel;
}
const openai = () => createOpenAI({ apiKey: 'sk-conformance', baseURL: `${gw.url}/v1` });
const anthropic = () => createAnthropic({ apiKey: 'sk-ant-conformance', baseURL: `${gw.url}/v1` });
const CASES: Case[] = [
  { label: 'openai.chat(gpt-4.1-mini)', priced: 'gpt-4.1-mini', model: () => openai().chat('gpt-4.1-mini') },
  { label: 'anthropic(claude-haiku-4-5)', priced: 'claude-haiku-4-5', model: () => anthropic()('claude-haiku-4-5') },
  { label: 'openai.chat(gemini-2.5-flash)', priced: 'gemini-2.5-flash', model: () => openai().chat('gemini-2.5-flash') },
];

/** The AI SDK's input tokens count cache reads and writes too. */
const usageOf = (u: { inputTokens: number | undefined; outputTokens: number | undefined }) => ({ input: u.inputTokens ?? -1, output: u.outputTokens ?? -1 });

const weather = tool({
  description: 'Current weather in a city',
  inputSchema: z.object({ city: z.string(), unit: z.enum(['c', 'f']) }),
});

const person = z.object({ name: z.string(), age: z.number().int(), hobbies: z.array(z.string()) });

describe.each(CASES)('AI SDK → $label', ({ label, priced, model }) => {
  it('generateText: usage and cost header match the ledger row', async () => {
    const tag = `ai-generate-${priced}`;
    const result = await generateText({ model: model(), prompt: `Name a river (${label}).`, headers: caseHeaders(tag, 21), maxRetries: 0 });
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.finishReason).toBe('stop');
    expect(result.usage.outputTokens).toBe(21);
    const cost = await expectExactCost(gw, tag, priced, usageOf(result.usage));
    expect(usdToPico(String(result.response.headers?.['x-costwise-cost-usd']))).toBe(cost);
  });

  it('streamText', async () => {
    const tag = `ai-stream-${priced}`;
    const result = streamText({ model: model(), prompt: `Describe a mountain (${label}).`, headers: caseHeaders(tag, 27), maxRetries: 0 });
    let parts = 0;
    for await (const delta of result.textStream) if (delta.length > 0) parts++;
    expect(parts).toBeGreaterThan(1);
    const usage = await result.usage;
    expect(usage.outputTokens).toBe(27);
    await expectExactCost(gw, tag, priced, usageOf(usage));
  });

  it('tools: a typed tool call', async () => {
    const tag = `ai-tools-${priced}`;
    const result = await generateText({
      model: model(),
      prompt: `Weather in Kyoto? (${label})`,
      tools: { weather },
      toolChoice: 'required',
      headers: caseHeaders(tag),
      maxRetries: 0,
    });
    expect(result.finishReason).toBe('tool-calls');
    const call = result.toolCalls[0]!;
    expect(call.toolName).toBe('weather');
    expect(weather.inputSchema instanceof z.ZodType && weather.inputSchema.safeParse(call.input).success).toBe(true);
    await expectExactCost(gw, tag, priced, usageOf(result.usage));
  });

  it('streamText with tools: the call arrives parsed', async () => {
    const tag = `ai-stream-tools-${priced}`;
    const result = streamText({
      model: model(),
      prompt: `Weather in Quito? (${label})`,
      tools: { weather },
      toolChoice: 'required',
      headers: caseHeaders(tag),
      maxRetries: 0,
    });
    const calls = await result.toolCalls;
    expect(calls[0]!.toolName).toBe('weather');
    expect(z.object({ city: z.string(), unit: z.enum(['c', 'f']) }).safeParse(calls[0]!.input).success).toBe(true);
    await expectExactCost(gw, tag, priced, usageOf(await result.usage));
  });

  it('generateText with Output.object: an object matching the schema', async () => {
    const tag = `ai-output-object-${priced}`;
    const result = await generateText({
      model: model(),
      output: Output.object({ schema: person }),
      prompt: `Invent a baker (${label}).`,
      headers: caseHeaders(tag),
      maxRetries: 0,
    });
    expect(person.safeParse(result.output).success).toBe(true);
    await expectExactCost(gw, tag, priced, usageOf(result.usage));
  });

  it('generateObject (deprecated in AI SDK 6, still common): an object matching the schema', async () => {
    const tag = `ai-object-${priced}`;
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- apps written for AI SDK 4 and 5 call it
    const result = await generateObject({ model: model(), schema: person, prompt: `Invent a person (${label}).`, headers: caseHeaders(tag), maxRetries: 0 });
    expect(person.safeParse(result.object).success).toBe(true);
    await expectExactCost(gw, tag, priced, usageOf(result.usage));
  });

  it('streamText with Output.object: partial objects, then one matching the schema', async () => {
    const tag = `ai-stream-object-${priced}`;
    const result = streamText({
      model: model(),
      output: Output.object({ schema: person }),
      prompt: `Invent a sailor (${label}).`,
      headers: caseHeaders(tag),
      maxRetries: 0,
    });
    let partials = 0;
    for await (const partial of result.partialOutputStream) if (Object.keys(partial).length > 0) partials++;
    expect(partials).toBeGreaterThan(0);
    expect(person.safeParse(await result.output).success).toBe(true);
    await expectExactCost(gw, tag, priced, usageOf(await result.usage));
  });
});

describe('AI SDK embeddings', () => {
  it.each([
    ['embedding', (p: ReturnType<typeof openai>) => p.embedding('text-embedding-3-small')],
    ['embeddingModel', (p: ReturnType<typeof openai>) => p.embeddingModel('text-embedding-3-small')],
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- the AI SDK 4 and 5 name, still in apps
    ['textEmbeddingModel', (p: ReturnType<typeof openai>) => p.textEmbeddingModel('text-embedding-3-small')],
  ] as const)('embed with openai.%s(...)', async (how, make) => {
    const tag = `ai-embed-${how}`;
    const result = await embed({ model: make(openai()), value: `sunny day at the beach (${how})`, headers: caseHeaders(tag), maxRetries: 0 });
    expect(result.embedding.length).toBe(1536);
    expect(result.usage.tokens).toBeGreaterThan(0);
    await expectExactEmbeddingCost(gw, tag, 'text-embedding-3-small', result.usage.tokens);
  });
});
