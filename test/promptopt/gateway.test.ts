// Prompt optimisation through the real gateway and emulator, driven by the official SDKs: the
// tokens removed are exactly the difference the provider bills, the ledger row keeps the
// unoptimised prompt's cost as its baseline (technique `prompt_optimization`), and an Anthropic tool
// loop writes the cache on the tool_use turn and reads it on the tool_result turn, to the pico-dollar.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type OpenAI from 'openai';
import type Anthropic from '@anthropic-ai/sdk';
import { expectedPico, ledger, type TestEnv } from '../helpers/env.js';
import { BACKENDS, startEnvOn } from '../helpers/backend-env.js';

let env: TestEnv;

async function row(tag: string) {
  return vi.waitFor(
    async () => {
      const r = (await ledger(env)).find((x) => x.tags.includes(tag));
      if (!r) throw new Error(`no row tagged ${tag}`);
      return r;
    },
    { timeout: 5_000, interval: 20 },
  );
}

/** A search tool's answer as agent frameworks send it: pretty-printed JSON. */
const searchResult = JSON.stringify(
  {
    query: 'lisbon hotels',
    results: Array.from({ length: 6 }, (_, i) => ({
      id: i + 1,
      name: `Hotel ${i + 1}`,
      stars: 3 + (i % 3),
      price_eur: 90 + i * 15,
      tags: ['wifi', 'breakfast'],
    })),
  },
  null,
  2,
);

describe.each(BACKENDS)('prompt optimisation: OpenAI SDK (%s ledger)', (backend) => {
  beforeAll(async () => {
    env = await startEnvOn(backend, {
      config: { promptOptimization: { mode: 'lossless', rules: [{ name: 'raw', match: { tags: 'raw' }, mode: 'off' }] } },
    });
  });
  afterAll(() => env.close());

  const messages: OpenAI.ChatCompletionMessageParam[] = [
    { role: 'system', content: 'You   are a travel   agent.\n\n\n\nAnswer   briefly.' },
    { role: 'user', content: 'Find me a hotel in Lisbon.' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'search', arguments: '{\n  "q": "lisbon hotels"\n}' } }],
    },
    { role: 'tool', tool_call_id: 'call_1', content: searchResult },
  ];
  const tools: OpenAI.ChatCompletionTool[] = [
    {
      type: 'function',
      function: { name: 'search', description: 'Search  hotels.', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } },
    },
  ];

  it('bills fewer prompt tokens and keeps the unoptimised cost as the baseline', async () => {
    const model = 'gpt-4.1-mini';
    const send = (tag: string) =>
      env.openai.chat.completions
        .create({ model, messages, tools }, { headers: { 'x-costwise-tags': tag, 'x-emulator-output-tokens': '9', 'x-costwise-cache': 'no-store' } })
        .withResponse();
    const raw = await send('raw,raw-openai');
    const opt = await send('opt-openai');
    const removed = Number(opt.response.headers.get('x-costwise-prompt-optimization')!.replace('removed=', ''));
    expect(raw.response.headers.get('x-costwise-prompt-optimization')).toBeNull();
    const before = raw.data.usage!.prompt_tokens;
    const after = opt.data.usage!.prompt_tokens;
    expect(before - after).toBe(removed);
    expect(removed / before).toBeGreaterThan(0.2);

    const rawRow = await row('raw-openai');
    const optRow = await row('opt-openai');
    expect(rawRow.technique).toBeNull();
    expect(BigInt(rawRow.costPico)).toBe(expectedPico(model, { input: before, output: 9 }));
    expect(optRow.technique).toBe('prompt_optimization');
    expect(BigInt(optRow.costPico)).toBe(expectedPico(model, { input: after, output: 9 }));
    expect(BigInt(optRow.baselinePico)).toBe(expectedPico(model, { input: before, output: 9 }));
    expect(optRow.promptCachePico).toBe(0);
  });
});

describe.each(BACKENDS)('prompt optimisation: Anthropic SDK tool loop with prompt caching (%s ledger)', (backend) => {
  beforeAll(async () => {
    env = await startEnvOn(backend, {
      config: { promptOptimization: { mode: 'lossless', rules: [{ name: 'raw', match: { tags: 'raw' }, mode: 'off' }] } },
    });
  });
  afterAll(() => env.close());

  const model = 'claude-sonnet-4-5';
  // Long enough to cache (Sonnet 4.5: 1,024 tokens); marked by the caller, so left byte for byte.
  const rules = Array.from({ length: 120 }, (_, i) => `Rule ${i + 1}:   always check  availability for request type ${i}.`).join('\n');
  const system: Anthropic.TextBlockParam[] = [{ type: 'text', text: `You are a travel agent.\n${rules}`, cache_control: { type: 'ephemeral' } }];
  const tools: Anthropic.Tool[] = [
    { name: 'search', description: 'Search hotels.', input_schema: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } },
  ];
  const usageTokens = (u: Anthropic.Usage) => ({
    input: u.input_tokens,
    cacheRead: u.cache_read_input_tokens ?? 0,
    write5m: u.cache_creation_input_tokens ?? 0,
    output: u.output_tokens,
  });

  it('writes on the tool_use turn, reads on the tool_result turn, costs exact', async () => {
    const user: Anthropic.MessageParam = { role: 'user', content: 'Find me a hotel in Lisbon.' };
    const first = await env.anthropic.messages.create(
      { model, max_tokens: 200, system, tools, tool_choice: { type: 'any' }, messages: [user] },
      { headers: { 'x-costwise-tags': 'loop-1', 'x-costwise-cache': 'no-store' } },
    );
    expect(first.stop_reason).toBe('tool_use');
    expect(first.usage.cache_creation_input_tokens).toBeGreaterThan(1024);
    expect(first.usage.cache_read_input_tokens).toBe(0);
    const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;

    const turn2 = (tag: string) =>
      env.anthropic.messages
        .create(
          {
            model,
            max_tokens: 200,
            system,
            tools,
            messages: [
              user,
              { role: 'assistant', content: first.content },
              { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: searchResult }] },
            ],
          },
          { headers: { 'x-costwise-tags': tag, 'x-emulator-output-tokens': '20', 'x-costwise-cache': 'no-store' } },
        )
        .withResponse();
    const second = await turn2('loop-2');
    expect(second.data.usage.cache_read_input_tokens).toBe(first.usage.cache_creation_input_tokens);
    expect(second.data.usage.cache_creation_input_tokens).toBe(0);
    const removed = Number(second.response.headers.get('x-costwise-prompt-optimization')!.replace('removed=', ''));
    expect(removed).toBeGreaterThan(50);
    // The same turn unoptimised: the same cached prefix, `removed` more plain input tokens.
    const raw = await turn2('raw,raw-loop-2');
    expect(raw.data.usage.cache_read_input_tokens).toBe(first.usage.cache_creation_input_tokens);
    expect(raw.data.usage.input_tokens - second.data.usage.input_tokens).toBe(removed);

    const r1 = await row('loop-1');
    expect(BigInt(r1.costPico)).toBe(expectedPico(model, usageTokens(first.usage)));
    const r2 = await row('loop-2');
    const t2 = usageTokens(second.data.usage);
    expect(r2.cacheReadTokens).toBe(t2.cacheRead);
    expect(t2.output).toBe(20);
    expect(BigInt(r2.costPico)).toBe(expectedPico(model, t2));
    // Baseline: the unoptimised prompt with no caching at all; the prompt-cache share as usual.
    const promptBefore = t2.input + t2.cacheRead + removed;
    expect(BigInt(r2.baselinePico)).toBe(expectedPico(model, { input: promptBefore, output: 20 }));
    expect(BigInt(r2.promptCachePico)).toBe(expectedPico(model, { input: t2.input + t2.cacheRead, output: 20 }) - BigInt(r2.costPico));
    expect(r2.technique).toBe('prompt_optimization');
  });
});

describe.each(BACKENDS)('agent-aware planning: Anthropic SDK tool loop with no cache_control (%s ledger)', (backend) => {
  beforeAll(async () => {
    env = await startEnvOn(backend, {
      config: { promptOptimization: { mode: 'lossless', rules: [{ name: 'raw', match: { tags: 'raw' }, mode: 'off' }] } },
    });
  });
  afterAll(() => env.close());

  const model = 'claude-sonnet-4-5';
  const steps = Array.from({ length: 150 }, (_, i) => `Step ${i + 1}: look up the order, then confirm the refund rule ${i}.`).join('\n');
  const tools: Anthropic.Tool[] = [
    { name: 'orders', description: 'Look up an order.', input_schema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } },
  ];
  const usageTokens = (u: Anthropic.Usage) => ({
    input: u.input_tokens,
    cacheRead: u.cache_read_input_tokens ?? 0,
    write5m: u.cache_creation_input_tokens ?? 0,
    output: u.output_tokens,
  });

  it('the planner writes the tool_use turn and the tool_result turn reads it, costs exact', async () => {
    const headers = (tag: string) => ({ 'x-costwise-tags': tag, 'x-costwise-cache': 'no-store', 'x-costwise-session': 'agent-loop-1' });
    const user: Anthropic.MessageParam = { role: 'user', content: 'Refund order 42.' };
    const first = await env.anthropic.messages
      .create(
        { model, max_tokens: 200, system: `You are a support agent.\n${steps}`, tools, tool_choice: { type: 'any' }, messages: [user] },
        { headers: headers('plan-1') },
      )
      .withResponse();
    expect(first.data.stop_reason).toBe('tool_use');
    expect(first.response.headers.get('x-costwise-prompt-cache')).toMatch(/^planned:5m/);
    const written = first.data.usage.cache_creation_input_tokens ?? 0;
    expect(written).toBeGreaterThan(1024);
    const use = first.data.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
    const second = await env.anthropic.messages.create(
      {
        model,
        max_tokens: 200,
        system: `You are a support agent.\n${steps}`,
        tools,
        messages: [
          user,
          { role: 'assistant', content: first.data.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: searchResult }] },
        ],
      },
      { headers: { ...headers('plan-2'), 'x-emulator-output-tokens': '15' } },
    );
    expect(second.usage.cache_read_input_tokens).toBe(written);
    for (const [tag, u] of [
      ['plan-1', first.data.usage],
      ['plan-2', second.usage],
    ] as const) {
      const r = await row(tag);
      expect(BigInt(r.costPico)).toBe(expectedPico(model, usageTokens(u)));
    }
  });
});
