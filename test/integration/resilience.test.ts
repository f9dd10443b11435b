// Dispatch that survives providers, over real HTTP with injected faults: retries, fallbacks across
// regions and providers, context-length fallback, the circuit breaker opening and closing, the
// cheapest healthy region, prefix affinity and weighted balancing. Faults are injected by the
// emulator: a provider entry with a static `x-emulator-fault` header plays a failing region, and a
// second emulator that is stopped and restarted plays an outage and its recovery.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { expectedPico, ledger, startTestEnv, usdToPico, type TestEnv } from '../helpers/env.js';
import { BACKENDS, startEnvOn } from '../helpers/backend-env.js';
import { present, rejectionOf } from '../helpers/assert.js';
import type { LedgerRowJson } from '../helpers/api-json.js';

type Row = LedgerRowJson;

async function rowOf(env: TestEnv, requestId: string | null): Promise<Row> {
  const row = (await ledger(env)).find((r) => r['requestId'] === requestId);
  if (!row) throw new Error(`no ledger row for ${requestId}`);
  return row;
}

const fast = { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterSeconds: 0 };
const sonnetCaps = { contextWindow: 200_000, maxOutputTokens: 64_000 };
// Bedrock-style cross-region pricing: the same model, cheaper in one region.
const cheaperSonnet = { input: 2.7, output: 13.5, cacheRead: 0.27, cacheWrite5m: 3.375, cacheWrite1h: 5.4 };

function withConfig(config: Partial<ConfigInput>): Partial<ConfigInput> {
  return config;
}

describe.each(BACKENDS)('fallback across regions and providers (%s ledger)', (backend) => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await startEnvOn(backend, {
      config: withConfig({
        providers: [
          { name: 'anthropic-eu', kind: 'anthropic', baseUrl: 'emulator', apiKey: 'k', headers: { 'x-emulator-fault': '529' } },
          { name: 'anthropic-us', kind: 'anthropic', baseUrl: 'emulator', apiKey: 'k' },
          { name: 'anthropic-limited', kind: 'anthropic', baseUrl: 'emulator', apiKey: 'k', headers: { 'x-emulator-fault': '429' } },
          { name: 'openai', kind: 'openai', baseUrl: 'emulator', apiKey: 'k' },
          { name: 'openai-small', kind: 'openai', baseUrl: 'emulator', apiKey: 'k', headers: { 'x-emulator-context-window': '40' } },
        ],
        models: [
          { name: 'claude-sonnet-4-5', provider: 'anthropic-eu', region: 'eu-west-1', tier: 'mid', pricing: cheaperSonnet, capabilities: sonnetCaps },
          { name: 'claude-sonnet-4-5', provider: 'anthropic-us', region: 'us-east-1', tier: 'mid', capabilities: sonnetCaps },
          { name: 'claude-haiku-4-5', provider: 'anthropic-limited', tier: 'cheap', capabilities: sonnetCaps },
          { name: 'gpt-4.1-nano', provider: 'openai', tier: 'cheap' },
          { name: 'gpt-4.1-mini', provider: 'openai-small', pricing: { input: 0.3, output: 1.2 } },
          { name: 'gpt-4.1-mini', provider: 'openai' },
        ],
        routing: { retry: fast, breaker: { failureThreshold: 1000, coolDownMs: 1000 }, fallbacks: { 'claude-haiku-4-5': ['gpt-4.1-nano'] } },
      }),
    });
  });
  afterAll(() => env.close());

  it('a failing region (529) is retried, then the other region serves; the route header and ledger say so', async () => {
    const before = env.emulator.stats().requests;
    const { data, response } = await env.anthropic.messages
      .create(
        { model: 'claude-sonnet-4-5', max_tokens: 20, messages: [{ role: 'user', content: 'hello there' }] },
        { headers: { 'x-emulator-output-tokens': '4' } },
      )
      .withResponse();
    expect(data.content[0]).toMatchObject({ type: 'text' });
    expect(response.headers.get('x-costwise-route')).toBe('requested; fallback:529->claude-sonnet-4-5');
    expect(env.emulator.stats().requests - before).toBe(3); // eu, eu again (one retry), us
    const row = await rowOf(env, response.headers.get('x-costwise-request-id'));
    expect(row['provider']).toBe('anthropic-us');
    expect(row.attempts!.map((a) => [a.deployment, a.status, a.error])).toEqual([
      ['claude-sonnet-4-5@anthropic-eu/eu-west-1', 529, 'overloaded'],
      ['claude-sonnet-4-5@anthropic-eu/eu-west-1', 529, 'overloaded'],
      ['claude-sonnet-4-5@anthropic-us/us-east-1', 200, undefined],
    ]);
    // priced at the region that served (list price), not the cheaper one that failed
    const tokens = { input: data.usage.input_tokens, output: 4 };
    expect(usdToPico(response.headers.get('x-costwise-cost-usd')!)).toBe(expectedPico('claude-sonnet-4-5', tokens));
  });

  it('a stream that fails before its first byte falls back too, and the caller gets one whole stream', async () => {
    const stream = env.openai.chat.completions.stream(
      { model: 'claude-sonnet-4-5', stream: true, messages: [{ role: 'user', content: 'stream please' }] },
      { headers: { 'x-emulator-output-tokens': '12' } },
    );
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(final.model).toBe('claude-sonnet-4-5');
    const rows = await ledger(env);
    const row = present(
      rows.find((r) => r['stream'] && r['requestedModel'] === 'claude-sonnet-4-5'),
      'the streamed request to claude-sonnet-4-5 in the ledger',
    );
    expect(row['status']).toBe(200);
    expect(row['route']).toBe('requested; fallback:529->claude-sonnet-4-5');
    expect(row.attempts!.at(-1)).toMatchObject({ deployment: 'claude-sonnet-4-5@anthropic-us/us-east-1', status: 200 });
  });

  it('a 429 whose retry-after is too long falls back across providers to the configured fallback model', async () => {
    const { data, response } = await env.anthropic.messages
      .create(
        { model: 'claude-haiku-4-5', max_tokens: 20, messages: [{ role: 'user', content: 'quick one' }] },
        { headers: { 'x-emulator-output-tokens': '3' } },
      )
      .withResponse();
    expect(response.status).toBe(200);
    expect(data.model).toBe('gpt-4.1-nano');
    expect(response.headers.get('x-costwise-route')).toBe('requested; fallback:429->gpt-4.1-nano');
    const tokens = { input: data.usage.input_tokens, output: 3 };
    expect(usdToPico(response.headers.get('x-costwise-cost-usd')!)).toBe(expectedPico('gpt-4.1-nano', tokens));
    const row = await rowOf(env, response.headers.get('x-costwise-request-id'));
    expect(row.attempts!.map((a) => [a.deployment, a.status])).toEqual([
      ['claude-haiku-4-5@anthropic-limited', 429],
      ['gpt-4.1-nano@openai', 200],
    ]);
  });

  it('a context-length error moves to a deployment with a larger window; short prompts stay on the cheap one', async () => {
    const short = await env.openai.chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(short.response.headers.get('x-costwise-route')).toBe('requested');
    expect((await rowOf(env, short.response.headers.get('x-costwise-request-id')))['provider']).toBe('openai-small');

    const long = 'Please summarise the following text. ' + 'The quick brown fox jumps over the lazy dog. '.repeat(20);
    const { response } = await env.openai.chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: long }] }).withResponse();
    expect(response.headers.get('x-costwise-route')).toBe('requested; fallback:context_length->gpt-4.1-mini');
    const row = await rowOf(env, response.headers.get('x-costwise-request-id'));
    expect(row['provider']).toBe('openai');
    expect(row.attempts!.map((a) => [a.deployment, a.status, a.error])).toEqual([
      ['gpt-4.1-mini@openai-small', 400, 'context_length'],
      ['gpt-4.1-mini@openai', 200, undefined],
    ]);
  });

  it('when every candidate fails the caller gets the provider-shaped error and the ledger the whole trace', async () => {
    const err = await rejectionOf(
      env.openai.chat.completions.create(
        { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'x' }] },
        { headers: { 'x-emulator-fault': '500' } },
      ),
      OpenAI.APIError,
    );
    expect(err.status).toBe(500);
    const row = present(
      (await ledger(env)).find((r) => r['status'] === 500),
      'a ledger row with status 500',
    );
    expect(row.attempts!.map((a) => a.deployment)).toEqual([
      'claude-sonnet-4-5@anthropic-eu/eu-west-1',
      'claude-sonnet-4-5@anthropic-eu/eu-west-1',
      'claude-sonnet-4-5@anthropic-us/us-east-1',
      'claude-sonnet-4-5@anthropic-us/us-east-1',
    ]);
  });
});

describe('circuit breaker: opens on an outage, skips the region, probes after the cool-down and closes', () => {
  let env: TestEnv;
  let flaky: RunningEmulator;
  let flakyPort: number;
  beforeAll(async () => {
    flaky = await startEmulator({ port: 0 });
    flakyPort = flaky.port;
    env = await startTestEnv({
      config: withConfig({
        providers: [
          { name: 'anthropic-flaky', kind: 'anthropic', baseUrl: flaky.url, apiKey: 'k' },
          { name: 'anthropic-main', kind: 'anthropic', baseUrl: 'emulator', apiKey: 'k' },
        ],
        models: [
          { name: 'claude-sonnet-4-5', provider: 'anthropic-flaky', region: 'eu', pricing: cheaperSonnet, capabilities: sonnetCaps },
          { name: 'claude-sonnet-4-5', provider: 'anthropic-main', region: 'us', capabilities: sonnetCaps },
        ],
        routing: { retry: { ...fast, maxRetries: 0 }, breaker: { failureThreshold: 2, coolDownMs: 2000 } },
      }),
    });
  });
  afterAll(async () => {
    await env.close();
    await flaky.close();
  });

  const ask = async (): Promise<Row> => {
    const { response } = await env.anthropic.messages
      .create({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'ping' }] })
      .withResponse();
    expect(response.status).toBe(200);
    return rowOf(env, response.headers.get('x-costwise-request-id'));
  };

  it('walks closed → open → half-open → closed', async () => {
    expect((await ask())['provider']).toBe('anthropic-flaky'); // healthy and cheapest

    await flaky.close(); // outage: connection refused
    for (let i = 0; i < 2; i++) {
      const row = await ask();
      expect(row['provider']).toBe('anthropic-main');
      expect(row.attempts!.map((a) => [a.deployment, a.status, a.error])).toEqual([
        ['claude-sonnet-4-5@anthropic-flaky/eu', 502, 'upstream_error'],
        ['claude-sonnet-4-5@anthropic-main/us', 200, undefined],
      ]);
    }
    // open: the failing region is not tried at all
    const skipped = await ask();
    expect(skipped['provider']).toBe('anthropic-main');
    expect(skipped.attempts).toBeNull();
    expect(skipped['route']).toBe('requested');

    flaky = await startEmulator({ port: flakyPort }); // recovered
    await new Promise((r) => setTimeout(r, 2100)); // past the cool-down: the next request is the probe
    const probe = await ask();
    expect(probe['provider']).toBe('anthropic-flaky');
    expect(probe.attempts).toBeNull();
    expect((await ask())['provider']).toBe('anthropic-flaky'); // closed again
  });
});

describe.each(BACKENDS)('balancing across deployments of one model (%s ledger)', (backend) => {
  let env: TestEnv;
  const providers = ['a', 'b', 'c'].map((n) => ({ name: `openai-${n}`, kind: 'openai' as const, baseUrl: 'emulator', apiKey: 'k' }));
  beforeAll(async () => {
    env = await startEnvOn(backend, {
      config: withConfig({
        providers,
        models: [
          ...providers.map((p, i) => ({ name: 'gpt-4.1-mini', provider: p.name, weight: i === 0 ? 3 : 1 })),
          { name: 'gpt-4.1-nano', provider: 'openai-a', weight: 3 },
          { name: 'gpt-4.1-nano', provider: 'openai-b', weight: 1 },
        ],
        routing: { balance: { strategy: 'weighted', affinity: true } },
      }),
    });
  });
  afterAll(() => env.close());

  it('prefix affinity: requests sharing a system prompt go to one deployment; different prefixes spread', async () => {
    const servedBy = new Map<string, Set<string>>();
    for (let p = 0; p < 12; p++) {
      const system = `You are assistant number ${p}. Follow the house style guide carefully.`;
      for (let i = 0; i < 3; i++) {
        const { response } = await env.openai.chat.completions
          .create({
            model: 'gpt-4.1-mini',
            messages: [
              { role: 'system', content: system },
              { role: 'user', content: `question ${i}` },
            ],
          })
          .withResponse();
        const row = await rowOf(env, response.headers.get('x-costwise-request-id'));
        if (!servedBy.has(system)) servedBy.set(system, new Set());
        servedBy.get(system)!.add(row['provider']);
      }
    }
    for (const set of servedBy.values()) expect(set.size).toBe(1);
    const used = new Set([...servedBy.values()].flatMap((s) => [...s]));
    expect(used.size).toBeGreaterThan(1);
  });

  it('weighted: without a shared prefix, traffic splits by weight (3:1)', async () => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < 160; i++) {
      const { response } = await env.openai.chat.completions
        .create({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: `distinct question ${i} ${Math.random()}` }] })
        .withResponse();
      const id = response.headers.get('x-costwise-request-id');
      counts[id!] = 1;
    }
    const rows = (await ledger(env)).filter((r) => counts[r['requestId']]);
    const share = rows.filter((r) => r['provider'] === 'openai-a').length / rows.length;
    expect(rows).toHaveLength(160);
    expect(share).toBeGreaterThan(0.62);
    expect(share).toBeLessThan(0.88);
  });
});

describe('lowest-latency balancing', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await startTestEnv({
      config: withConfig({
        providers: [
          { name: 'openai-slow', kind: 'openai', baseUrl: 'emulator', apiKey: 'k', headers: { 'x-emulator-fault': 'slow', 'x-emulator-slow-ms': '150' } },
          { name: 'openai-fast', kind: 'openai', baseUrl: 'emulator', apiKey: 'k' },
        ],
        models: [
          { name: 'gpt-4.1-mini', provider: 'openai-slow' },
          { name: 'gpt-4.1-mini', provider: 'openai-fast' },
        ],
        routing: { balance: { strategy: 'lowest-latency', affinity: false } },
      }),
    });
  });
  afterAll(() => env.close());

  it('measures both deployments, then sends traffic to the faster one', async () => {
    const providers: string[] = [];
    for (let i = 0; i < 12; i++) {
      const { response } = await env.openai.chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: `q${i}` }] }).withResponse();
      providers.push((await rowOf(env, response.headers.get('x-costwise-request-id')))['provider']);
    }
    expect(providers).toContain('openai-slow'); // measured at least once (unknown latency counts as 0)
    expect(providers.slice(-8).every((p) => p === 'openai-fast')).toBe(true);
  });
});

describe('timeouts', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await startTestEnv({
      config: withConfig({
        providers: [
          {
            name: 'openai-stuck',
            kind: 'openai',
            baseUrl: 'emulator',
            apiKey: 'k',
            timeoutMs: 150,
            headers: { 'x-emulator-fault': 'slow', 'x-emulator-slow-ms': '2000' },
          },
          { name: 'anthropic', kind: 'anthropic', baseUrl: 'emulator', apiKey: 'k' },
        ],
        models: [
          { name: 'gpt-4.1-mini', provider: 'openai-stuck' },
          { name: 'claude-haiku-4-5', provider: 'anthropic', capabilities: sonnetCaps },
        ],
        routing: { retry: { ...fast, maxRetries: 0 }, fallbacks: { 'gpt-4.1-mini': ['claude-haiku-4-5'] } },
      }),
    });
  });
  afterAll(() => env.close());

  it('an upstream that does not answer within its timeout falls back to the next provider', async () => {
    const t0 = performance.now();
    const { data, response } = await env.openai.chat.completions
      .create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hello?' }] })
      .withResponse();
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(data.model).toBe('claude-haiku-4-5');
    expect(response.headers.get('x-costwise-route')).toBe('requested; fallback:timeout->claude-haiku-4-5');
    const row = await rowOf(env, response.headers.get('x-costwise-request-id'));
    expect(row.attempts!.map((a) => [a.deployment, a.error])).toEqual([
      ['gpt-4.1-mini@openai-stuck', 'timeout'],
      ['claude-haiku-4-5@anthropic', undefined],
    ]);
  });
});
