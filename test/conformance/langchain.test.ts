// LangChain's ChatOpenAI and ChatAnthropic against a real gateway: invoke, stream, bindTools and
// withStructuredOutput, each checking the exact cost of the request's ledger row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatOpenAI } from '@langchain/openai';
import { ChatAnthropic } from '@langchain/anthropic';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage, type AIMessageChunk } from '@langchain/core/messages';
import { z } from 'zod';
import type { PricedModel } from '../helpers/env.js';
import { caseHeaders, expectExactCost, startConformanceGateway, type ConformanceGateway } from './gateway.js';

let gw: ConformanceGateway;
beforeAll(async () => {
  gw = await startConformanceGateway();
});
afterAll(() => gw.close());

interface Case {
  label: string;
  priced: PricedModel;
  /** A chat model sending these headers on every call. */
  make: (headers: Record<string, string>) => ChatOpenAI | ChatAnthropic;
}
const CASES: Case[] = [
  {
    label: 'ChatOpenAI(gpt-4.1-mini)',
    priced: 'gpt-4.1-mini',
    make: (headers) =>
      new ChatOpenAI({ model: 'gpt-4.1-mini', apiKey: 'sk-conformance', maxRetries: 0, configuration: { baseURL: `${gw.url}/v1`, defaultHeaders: headers } }),
  },
  {
    label: 'ChatOpenAI(gemini-2.5-flash)',
    priced: 'gemini-2.5-flash',
    make: (headers) =>
      new ChatOpenAI({
        model: 'gemini-2.5-flash',
        apiKey: 'sk-conformance',
        maxRetries: 0,
        configuration: { baseURL: `${gw.url}/v1`, defaultHeaders: headers },
      }),
  },
  {
    label: 'ChatAnthropic(claude-haiku-4-5)',
    priced: 'claude-haiku-4-5',
    make: (headers) =>
      new ChatAnthropic({
        model: 'claude-haiku-4-5',
        apiKey: 'sk-ant-conformance',
        maxRetries: 0,
        anthropicApiUrl: gw.url,
        clientOptions: { defaultHeaders: headers },
      }),
  },
];

/** LangChain's input_tokens include cache reads and writes. */
function usageOf(message: AIMessage | AIMessageChunk): { input: number; output: number } {
  const u = message.usage_metadata;
  if (!u) throw new Error('no usage_metadata on the message');
  return { input: u.input_tokens, output: u.output_tokens };
}

const weather = { name: 'get_weather', description: 'Current weather in a city', schema: z.object({ city: z.string(), unit: z.enum(['c', 'f']) }) };
const person = z.object({ name: z.string(), age: z.number().int() });

describe.each(CASES)('LangChain → $label', ({ label, priced, make }) => {
  it('invoke', async () => {
    const tag = `lc-invoke-${priced}`;
    const reply = await make(caseHeaders(tag, 18)).invoke([
      ['system', 'Be brief.'],
      ['human', `Name a planet (${label}).`],
    ]);
    expect(typeof reply.content === 'string' ? reply.content : reply.text).not.toBe('');
    expect(reply.usage_metadata?.output_tokens).toBe(18);
    await expectExactCost(gw, tag, priced, usageOf(reply));
  });

  it('stream: chunks concatenate to the answer and its usage', async () => {
    const tag = `lc-stream-${priced}`;
    let full: AIMessageChunk | undefined;
    let chunks = 0;
    for await (const chunk of await make(caseHeaders(tag, 26)).stream(`Describe a forest (${label}).`)) {
      chunks++;
      full = full ? full.concat(chunk) : chunk;
    }
    expect(chunks).toBeGreaterThan(2);
    expect(full!.text.length).toBeGreaterThan(0);
    expect(full!.usage_metadata?.output_tokens).toBe(26);
    await expectExactCost(gw, tag, priced, usageOf(full!));
  });

  it('bindTools: a parsed tool call', async () => {
    const tag = `lc-tools-${priced}`;
    const model = make(caseHeaders(tag)).bindTools([weather], { tool_choice: 'any' });
    const reply = await model.invoke(`Weather in Cairo? (${label})`);
    const call = reply.tool_calls![0]!;
    expect(call.name).toBe('get_weather');
    expect(weather.schema.safeParse(call.args).success).toBe(true);
    await expectExactCost(gw, tag, priced, usageOf(reply));
  });

  it('bindTools, streamed: the tool call chunks assemble', async () => {
    const tag = `lc-stream-tools-${priced}`;
    const model = make(caseHeaders(tag)).bindTools([weather], { tool_choice: 'any' });
    let full: AIMessageChunk | undefined;
    for await (const chunk of await model.stream(`Weather in Lagos? (${label})`)) full = full ? full.concat(chunk) : chunk;
    expect(full!.tool_calls![0]!.name).toBe('get_weather');
    expect(weather.schema.safeParse(full!.tool_calls![0]!.args).success).toBe(true);
    await expectExactCost(gw, tag, priced, usageOf(full!));
  });

  it('withStructuredOutput: a parsed object, with the raw message for its usage', async () => {
    const tag = `lc-structured-${priced}`;
    const chat: BaseChatModel = make(caseHeaders(tag));
    const { parsed, raw } = await chat.withStructuredOutput(person, { includeRaw: true }).invoke(`Invent a pilot (${label}).`);
    expect(person.safeParse(parsed).success).toBe(true);
    if (!AIMessage.isInstance(raw)) throw new Error('includeRaw gave no AIMessage');
    await expectExactCost(gw, tag, priced, usageOf(raw));
  });
});
