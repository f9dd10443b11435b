// Deferral rules choosing the flex tier by themselves: a request on a `via: flex` deferrable route
// is answered now on the flex-tier twin of the deployment that serves it, at the flex price, with
// the default-tier price as its baseline; no flex capacity falls back to the default tier within
// the same request; a model without a flex twin is deferred into a batch as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEnv, ledger, usdToPico, type TestEnv } from '../helpers/env.js';

let env: TestEnv;

beforeAll(async () => {
  env = await startTestEnv({
    config: {
      addModels: [{ name: 'gpt-4.1-mini-flex', provider: 'openai', upstreamModel: 'gpt-4.1-mini', serviceTier: 'flex' }],
      batch: { deferral: { rules: [{ name: 'nightly', match: { tags: ['nightly'] }, window: '24h', via: 'flex' }] } },
    },
  });
});

afterAll(async () => {
  await env.close();
});

/** gpt-4.1-mini list price, pico-dollars per token ($0.40 / $1.60 per million); flex is half. */
const DEFAULT_PICO = { input: 400_000n, output: 1_600_000n };
const FLEX_PICO = { input: 200_000n, output: 800_000n };

async function rowTagged(tag: string) {
  for (let i = 0; i < 100; i++) {
    const row = (await ledger(env)).find((r) => r.tags.includes(tag));
    if (row) return row;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no row tagged ${tag}`);
}

describe('deferral rules choosing the flex tier', () => {
  it('a deferrable request is answered now on the flex twin, costs the flex price, and saves against the default price', async () => {
    const { data: res, response } = await env.openai.chat.completions
      .create(
        { model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'Summarise the water cycle.' }] },
        { headers: { 'x-costwise-tags': 'nightly,flex-now', 'x-emulator-output-tokens': '30' } },
      )
      .withResponse();
    expect(response.status).toBe(200);
    expect(res.service_tier).toBe('flex');
    expect(response.headers.get('x-costwise-route')).toMatch(/deferrable:nightly->flex/);
    const row = await rowTagged('flex-now');
    expect(row.servedModel).toBe('gpt-4.1-mini-flex');
    expect(row.technique).toBe('service_tier');
    expect(row.outputTokens).toBe(30);
    const cost = BigInt(row.inputTokens) * FLEX_PICO.input + 30n * FLEX_PICO.output;
    expect(BigInt(row.costPico)).toBe(cost);
    expect(usdToPico(row.cost_usd)).toBe(cost);
    expect(usdToPico(row.baseline_usd)).toBe(BigInt(row.inputTokens) * DEFAULT_PICO.input + 30n * DEFAULT_PICO.output);
  });

  it('no flex capacity: the same request, streamed, falls back to the default tier at the default price', async () => {
    const stream = await env.openai.chat.completions.create(
      { model: 'gpt-4.1-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Summarise the water cycle.' }] },
      { headers: { 'x-costwise-tags': 'nightly,flex-none', 'x-emulator-output-tokens': '12', 'x-emulator-fault': 'flex_unavailable' } },
    );
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text.length).toBeGreaterThan(0);
    const row = await rowTagged('flex-none');
    expect(row.status).toBe(200);
    expect(row.attempts?.map((a) => [a.deployment, a.status])).toEqual([
      ['gpt-4.1-mini-flex@openai~flex', 429],
      ['gpt-4.1-mini-flex@openai~default', 200],
    ]);
    expect(BigInt(row.costPico)).toBe(BigInt(row.inputTokens) * DEFAULT_PICO.input + 12n * DEFAULT_PICO.output);
  });

  it('a model without a flex twin is deferred into a batch, as a batch rule does', async () => {
    const res = await fetch(`${env.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test-key', 'x-costwise-tags': 'nightly' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('x-costwise-job-id')).toMatch(/^job_/);
  });

  it('a request off the deferrable route stays on the default tier', async () => {
    const res = await env.openai.chat.completions.create(
      { model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] },
      { headers: { 'x-costwise-tags': 'interactive', 'x-emulator-output-tokens': '5' } },
    );
    expect(res.service_tier).toBe('default');
    const row = await rowTagged('interactive');
    expect(row.servedModel).toBe('gpt-4.1-mini');
    expect(BigInt(row.costPico)).toBe(BigInt(row.inputTokens) * DEFAULT_PICO.input + 5n * DEFAULT_PICO.output);
  });
});
