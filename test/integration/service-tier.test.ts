// OpenAI's flex service tier as a deployment: a model routed to it is sent `service_tier: flex` and
// billed at the batch price; when flex has no capacity (429 "Resource Unavailable") the same
// request is served at once by the default tier, billed at the default price. A `via: flex`
// deferral rule chooses flex by itself: the request is answered now on the flex-tier twin of the
// deployment that serves it, with the default price as its baseline; a model without a twin is
// deferred into a batch as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledger, usdToPico, type TestEnv } from '../helpers/env.js';
import { BACKENDS, startEnvOn } from '../helpers/backend-env.js';

let env: TestEnv;

/** gpt-4.1-mini list price, USD per million tokens: 0.40 in, 1.60 out; flex is the batch price, half. */
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

describe.each(BACKENDS)('flex service tier (%s ledger)', (backend) => {
  beforeAll(async () => {
    env = await startEnvOn(backend, {
      config: {
        addModels: [{ name: 'gpt-4.1-mini-flex', provider: 'openai', upstreamModel: 'gpt-4.1-mini', serviceTier: 'flex' }],
        routing: { rules: [{ name: 'deferrable-on-flex', match: { tags: ['deferrable'] }, route: { model: 'gpt-4.1-mini-flex' } }] },
        batch: { deferral: { rules: [{ name: 'nightly', match: { tags: ['nightly'] }, window: '24h', via: 'flex' }] } },
      },
    });
  });
  afterAll(() => env.close());

  it('a deferrable route is served on flex and costs the flex price', async () => {
    const res = await env.openai.chat.completions.create(
      { model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'Summarise the water cycle.' }] },
      { headers: { 'x-costwise-tags': 'deferrable,flex-ok', 'x-emulator-output-tokens': '30' } },
    );
    expect(res.service_tier).toBe('flex');
    const row = await rowTagged('flex-ok');
    expect(row.servedModel).toBe('gpt-4.1-mini-flex');
    const expected = BigInt(row.inputTokens) * FLEX_PICO.input + 30n * FLEX_PICO.output;
    expect(row.outputTokens).toBe(30);
    expect(BigInt(row.costPico)).toBe(expected);
    expect(usdToPico(row.cost_usd)).toBe(expected);
  });

  it('no flex capacity: the same request falls back to the default tier, billed at the default price', async () => {
    const stream = await env.openai.chat.completions.create(
      { model: 'gpt-4.1-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Summarise the water cycle.' }] },
      { headers: { 'x-costwise-tags': 'deferrable,flex-full', 'x-emulator-output-tokens': '12', 'x-emulator-fault': 'flex_unavailable' } },
    );
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text.length).toBeGreaterThan(0);
    const row = await rowTagged('flex-full');
    expect(row.status).toBe(200);
    expect(row.attempts?.map((a) => [a.deployment, a.status])).toEqual([
      ['gpt-4.1-mini-flex@openai~flex', 429],
      ['gpt-4.1-mini-flex@openai~default', 200],
    ]);
    const expected = BigInt(row.inputTokens) * DEFAULT_PICO.input + 12n * DEFAULT_PICO.output;
    expect(BigInt(row.costPico)).toBe(expected);
  });

  it('a route that is not deferrable stays on the default tier', async () => {
    const res = await env.openai.chat.completions.create(
      { model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] },
      { headers: { 'x-costwise-tags': 'interactive', 'x-emulator-output-tokens': '5' } },
    );
    expect(res.service_tier).toBe('default');
    const row = await rowTagged('interactive');
    expect(BigInt(row.costPico)).toBe(BigInt(row.inputTokens) * DEFAULT_PICO.input + 5n * DEFAULT_PICO.output);
  });

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
  });
});
