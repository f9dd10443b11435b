// Gemini context caching through the gateway: the official openai SDK → costwise → (HTTP) →
// emulator. costwise creates, reuses and falls back from cachedContents by itself; the caller
// sees only cheaper requests with `cached_tokens`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedPico, ledger, usdToPico, type TestEnv } from '../helpers/env.js';
import { BACKENDS, startEnvOn } from '../helpers/backend-env.js';
import { longText } from '../emulator/helpers.js';

let env: TestEnv;
let emulatorClock = Date.now();

const MODEL = 'gemini-2.5-flash';
const CREATE_PATH = '/v1beta/cachedContents';
const GENERATE_PATH = `/v1beta/models/${MODEL}:generateContent`;
const OUT = { 'x-emulator-output-tokens': '20' };

async function ask(system: string, question: string) {
  const { data, response } = await env.openai.chat.completions
    .create(
      {
        model: MODEL,
        messages: [
          { role: 'system', content: system },
          { role: 'user', content: question },
        ],
      },
      { headers: OUT },
    )
    .withResponse();
  const prompt = data.usage!.prompt_tokens;
  const cached = data.usage!.prompt_tokens_details?.cached_tokens ?? 0;
  const cost = usdToPico(response.headers.get('x-costwise-cost-usd')!);
  return { prompt, cached, cost, id: response.headers.get('x-costwise-request-id')! };
}

let listCalls = 0;
async function emulatorCaches(): Promise<Array<{ name: string; usageMetadata: { totalTokenCount: number } }>> {
  listCalls++;
  const res = await fetch(`${env.emulator.url}/v1beta/cachedContents`, { headers: { 'x-goog-api-key': 'k' } });
  return ((await res.json()) as { cachedContents?: Array<{ name: string; usageMetadata: { totalTokenCount: number } }> }).cachedContents ?? [];
}

const calls = (path: string): number => env.emulator.stats().byPath[path] ?? 0;
/** POSTs to cachedContents (the emulator counts by path, so the test's own list GETs come off). */
const creates = (): number => calls(CREATE_PATH) - listCalls;

describe.each(BACKENDS)('Gemini context caching through the gateway (%s ledger)', (backend) => {
  beforeAll(async () => {
    // A new emulator: its clock and its counters start again.
    emulatorClock = Date.now();
    listCalls = 0;
    env = await startEnvOn(backend, { emulator: { now: () => emulatorClock } });
  });
  afterAll(() => env.close());

  const system = longText(2500, 'gateway-gemini-cache');

  it('sends the first request in full, then caches the long system prompt and bills cache reads', async () => {
    const first = await ask(system, 'What is the first word?');
    expect(first.cached).toBe(0);
    expect(first.cost).toBe(expectedPico(MODEL, { input: first.prompt, output: 20 }));
    expect(creates()).toBe(0);
    expect(await emulatorCaches()).toEqual([]);

    const second = await ask(system, 'What is the last word?');
    const caches = await emulatorCaches();
    expect(caches).toHaveLength(1);
    const cachedTokens = caches[0]!.usageMetadata.totalTokenCount;
    expect(cachedTokens).toBeGreaterThan(2500);
    expect(second.cached).toBe(cachedTokens);
    expect(second.cost).toBe(expectedPico(MODEL, { input: second.prompt - cachedTokens, cacheRead: cachedTokens, output: 20 }));
    expect(second.cost).toBeLessThan(expectedPico(MODEL, { input: second.prompt, output: 20 }));
    const row = (await ledger(env)).find((r) => r['requestId'] === second.id)!;
    expect(row['cacheReadTokens']).toBe(cachedTokens);
    expect(row['inputTokens']).toBe(second.prompt - cachedTokens);

    // Reused, never created again; streaming reads it too.
    const third = await ask(system, 'Count the words.');
    expect(third.cached).toBe(cachedTokens);
    const stream = await env.openai.chat.completions.create(
      {
        model: MODEL,
        messages: [
          { role: 'system', content: system },
          { role: 'user', content: 'Stream it.' },
        ],
        stream: true,
        stream_options: { include_usage: true },
      },
      { headers: OUT },
    );
    let usage: { prompt_tokens: number; prompt_tokens_details?: { cached_tokens?: number } } | undefined;
    let text = '';
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(usage?.prompt_tokens_details?.cached_tokens).toBe(cachedTokens);
    expect(creates()).toBe(1);
  });

  it('a cache that expired at the provider falls back to the full request once, then is recreated', async () => {
    const [before] = await emulatorCaches();
    expect(before).toBeDefined();
    const generateCalls = calls(GENERATE_PATH);
    emulatorClock += 2 * 3_600_000; // the provider's clock moves on; costwise still thinks it is alive
    expect(await emulatorCaches()).toEqual([]);

    const fallback = await ask(system, 'Are you still there?');
    expect(fallback.cached).toBe(0);
    expect(fallback.cost).toBe(expectedPico(MODEL, { input: fallback.prompt, output: 20 }));
    expect(calls(GENERATE_PATH) - generateCalls).toBe(2); // the 403 with the cache, then the full request

    const again = await ask(system, 'And now?');
    const [recreated] = await emulatorCaches();
    expect(recreated!.name).not.toBe(before!.name);
    expect(again.cached).toBe(recreated!.usageMetadata.totalTokenCount);
    expect(creates()).toBe(2);
  });

  it('never creates a cache for a short prompt, however often it is sent', async () => {
    const before = creates();
    for (let i = 0; i < 4; i++) {
      const r = await ask('Be brief.', `Short question ${i}?`);
      expect(r.cached).toBe(0);
      expect(r.cost).toBe(expectedPico(MODEL, { input: r.prompt, output: 20 }));
    }
    expect(creates()).toBe(before);
  });

  it('keeps a different long prompt on its own cache, and deletes its caches when it shuts down', async () => {
    const other = longText(1800, 'another-gemini-document');
    await ask(other, 'One?');
    const two = await ask(other, 'Two?');
    expect(two.cached).toBeGreaterThan(1800);
    expect(await emulatorCaches()).toHaveLength(2);
    await env.gateway.close();
    expect(await emulatorCaches()).toEqual([]);
  });
});
