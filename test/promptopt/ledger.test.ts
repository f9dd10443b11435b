// Prompt optimisation on the ledger, on each backend: every row keeps the input tokens the stage
// removed (GET /api/requests), and /api/spend's `prompt_optimization` bucket saves exactly their
// price — its saving minus prompt caching's share is Σ removed × the model's input price, to the
// pico-dollar. The removed counts are checked against the provider's own usage: the same request
// sent unoptimised bills exactly that many more input tokens.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type OpenAI from 'openai';
import type Anthropic from '@anthropic-ai/sdk';
import { LIST_PRICE, ledger, usdToPico, type PricedModel, type TestEnv } from '../helpers/env.js';
import { BACKENDS, startEnvOn } from '../helpers/backend-env.js';
import { fetchJson } from '../helpers/json.js';
import { SpendPage } from '../helpers/api-json.js';

const inputPico = (model: PricedModel): bigint => BigInt(Math.round(LIST_PRICE[model].input * 1_000_000));

const toolResult = JSON.stringify(
  { flights: Array.from({ length: 8 }, (_, i) => ({ id: `TP${100 + i}`, from: 'LIS', to: 'OPO', fare_eur: 39 + i * 7, seats: i % 4 })) },
  null,
  2,
);

const removedOf = (headers: Headers): number => Number(headers.get('x-costwise-prompt-optimization')!.replace('removed=', ''));

describe.each(BACKENDS)('prompt optimisation on the %s ledger', (backend) => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await startEnvOn(backend, {
      config: { promptOptimization: { mode: 'lossless', rules: [{ name: 'raw', match: { tags: 'raw' }, mode: 'off' }] } },
    });
  });
  afterAll(() => env.close());

  async function rowTagged(tag: string) {
    return vi.waitFor(
      async () => {
        const r = (await ledger(env)).find((x) => x.tags.includes(tag));
        if (!r) throw new Error(`no row tagged ${tag}`);
        return r;
      },
      { timeout: 5_000, interval: 20 },
    );
  }

  it('records the tokens removed per row, and prompt_optimization saves exactly their price in /api/spend', async () => {
    const noStore = 'no-store';
    // OpenAI SDK: a tool loop turn with a pretty-printed JSON result.
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'system', content: 'You  book   trains and flights.\n\n\n\nBe brief.' },
      { role: 'user', content: 'Cheapest flight Lisbon to Porto?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'flights', arguments: '{\n  "from": "LIS"\n}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: toolResult },
    ];
    const openai = (tag: string) =>
      env.openai.chat.completions
        .create({ model: 'gpt-4.1-mini', messages }, { headers: { 'x-costwise-tags': tag, 'x-emulator-output-tokens': '7', 'x-costwise-cache': noStore } })
        .withResponse();
    const oRaw = await openai('raw,o-raw');
    const oOpt = await openai('o-opt');
    const oRemoved = removedOf(oOpt.response.headers);
    expect(oRaw.data.usage!.prompt_tokens - oOpt.data.usage!.prompt_tokens).toBe(oRemoved);
    expect(oRemoved).toBeGreaterThan(30);

    // Anthropic SDK: a caller-cached system prompt (kept byte for byte), read from the cache on the second turn.
    const rules = Array.from({ length: 110 }, (_, i) => `Rule ${i + 1}: quote fares in euros for route ${i}.`).join('\n');
    const system: Anthropic.TextBlockParam[] = [{ type: 'text', text: `You book flights.\n${rules}`, cache_control: { type: 'ephemeral' } }];
    const anthropic = (tag: string) =>
      env.anthropic.messages
        .create(
          {
            model: 'claude-sonnet-4-5',
            max_tokens: 50,
            system,
            messages: [
              {
                role: 'user',
                content: [
                  { type: 'text', text: 'Which of these is cheapest?' },
                  { type: 'text', text: toolResult },
                ],
              },
            ],
          },
          { headers: { 'x-costwise-tags': tag, 'x-emulator-output-tokens': '5', 'x-costwise-cache': noStore } },
        )
        .withResponse();
    const aFirst = await anthropic('a-first');
    const aSecond = await anthropic('a-second');
    const aRaw = await anthropic('raw,a-raw');
    expect(aSecond.data.usage.cache_read_input_tokens).toBeGreaterThan(1024);
    const aRemoved = removedOf(aSecond.response.headers);
    expect(removedOf(aFirst.response.headers)).toBe(aRemoved);
    expect(aRaw.data.usage.input_tokens - aSecond.data.usage.input_tokens).toBe(aRemoved);
    expect(aRaw.data.usage.cache_read_input_tokens).toBe(aSecond.data.usage.cache_read_input_tokens);

    // The rows (GET /api/requests) keep the counts; unoptimised rows removed nothing.
    expect((await rowTagged('o-opt')).promptTokensRemoved).toBe(oRemoved);
    expect((await rowTagged('a-first')).promptTokensRemoved).toBe(aRemoved);
    expect((await rowTagged('a-second')).promptTokensRemoved).toBe(aRemoved);
    for (const tag of ['o-raw', 'a-raw']) {
      const raw = await rowTagged(tag);
      expect(raw.promptTokensRemoved).toBe(0);
      expect(raw.technique).toBeNull();
    }

    const spend = await fetchJson(`${env.gateway.url}/api/spend?group_by=technique`, SpendPage);
    const bucket = spend.data.find((b) => b.technique === 'prompt_optimization')!;
    expect(bucket.requests).toBe(3);
    const optimisationSaving = usdToPico(bucket.saving_usd) - usdToPico(bucket.prompt_cache_saving_usd);
    // 3 requests: 1 on gpt-4.1-mini ($0.40/MTok input), 2 on claude-sonnet-4-5 ($3/MTok input).
    expect(optimisationSaving).toBe(BigInt(oRemoved) * inputPico('gpt-4.1-mini') + 2n * BigInt(aRemoved) * inputPico('claude-sonnet-4-5'));
    expect(optimisationSaving).toBe(BigInt(oRemoved) * 400_000n + BigInt(aRemoved) * 6_000_000n);
  });
});
