// The exact response cache through the live gateway and the official SDKs: hits in both wire
// formats and both modes, tenant and credential isolation, tools, TTL, per-request directives,
// invalidation, no stampede, and a Redis cache shared by two gateway processes. The one-gateway tests
// run over a SQLite and a PostgreSQL ledger, which bills the hits (as savings) and the embedding calls.
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { expectedPico, ledger, usdToPico, type TestEnv } from '../helpers/env.js';
import { BACKENDS, startEnvOn } from '../helpers/backend-env.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { startBin } from '../helpers/process.js';
import { fetchJson } from '../helpers/json.js';
import { rejectionOf } from '../helpers/assert.js';

let env: TestEnv;

const upstreamCalls = (): number => env.emulator.stats().requests;
const rowOf = async (id: string | null) => (await ledger(env)).find((r) => r['requestId'] === id)!;
let n = 0;
/** A question no other test asks, so each test starts from a cold cache. */
const fresh = (text: string): string => `${text} [${++n}-${Date.now()}]`;

describe.each(BACKENDS)('exact cache (%s ledger)', (backend) => {
  beforeAll(async () => {
    env = await startEnvOn(backend);
  });
  afterAll(() => env.close());

  it('a deterministic request is answered from the cache the second time: same answer, nothing billed, saving measured', async () => {
    const body = { model: 'gpt-4.1-mini', temperature: 0, messages: [{ role: 'user' as const, content: fresh('What is the capital of France?') }] };
    const first = await env.openai.chat.completions.create(body, { headers: { 'x-emulator-output-tokens': '7' } }).withResponse();
    expect(first.response.headers.get('x-costwise-cache')).toBe('miss');
    const calls = upstreamCalls();
    const second = await env.openai.chat.completions.create(body, { headers: { 'x-emulator-output-tokens': '7' } }).withResponse();
    expect(upstreamCalls()).toBe(calls);
    expect(second.response.headers.get('x-costwise-cache')).toBe('hit-exact');
    expect(second.response.headers.get('x-costwise-route')).toBe('cache:exact');
    expect(second.data.choices[0]!.message.content).toBe(first.data.choices[0]!.message.content);
    expect(second.data.usage).toEqual(first.data.usage);
    expect(second.response.headers.get('x-costwise-cost-usd')).toBe('0');
    const tokens = { input: first.data.usage!.prompt_tokens, output: 7 };
    expect(usdToPico(second.response.headers.get('x-costwise-baseline-usd')!)).toBe(expectedPico('gpt-4.1-mini', tokens));
    const row = await rowOf(second.response.headers.get('x-costwise-request-id'));
    expect(row).toMatchObject({ cache: 'hit-exact', technique: 'cache_exact', costPico: 0, inputTokens: 0, outputTokens: 0, servedModel: 'gpt-4.1-mini' });
    expect((await rowOf(first.response.headers.get('x-costwise-request-id')))['cache']).toBe('miss');
  });

  it('a hit is served in the caller format and mode: a real SSE stream, in both formats, from one entry', async () => {
    const question = fresh('Name three primary colours.');
    const seed = await env.openai.chat.completions.create({
      model: 'claude-haiku-4-5',
      // eslint-disable-next-line @typescript-eslint/no-deprecated -- the seed is the point: it makes the request cacheable, under a key apart from the temperature-0 one below
      seed: 7,
      max_completion_tokens: 40,
      messages: [{ role: 'user', content: question }],
    });
    const calls = upstreamCalls();
    const text = seed.choices[0]!.message.content!;

    const chunks: string[] = [];
    const stream = await env.openai.chat.completions.create({
      model: 'claude-haiku-4-5',
      // eslint-disable-next-line @typescript-eslint/no-deprecated -- the seed is the point: it makes the request cacheable, under a key apart from the temperature-0 one below
      seed: 7,
      max_completion_tokens: 40,
      stream: true,
      messages: [{ role: 'user', content: question }],
    });
    for await (const chunk of stream) chunks.push(chunk.choices[0]?.delta.content ?? '');
    expect(chunks.join('')).toBe(text);
    expect(chunks.length).toBeGreaterThan(1);

    // The Anthropic format carries no seed; temperature 0 makes the same canonical request deterministic.
    const a1 = await env.openai.chat.completions.create({
      model: 'claude-haiku-4-5',
      temperature: 0,
      max_completion_tokens: 40,
      messages: [{ role: 'user', content: question }],
    });
    const calls2 = upstreamCalls();
    // same credential as env.openai: under the default scope `key` entries are per credential
    const anthropic = new Anthropic({ apiKey: 'sk-test-key', baseURL: env.gateway.url, maxRetries: 0 });
    const message = await anthropic.messages
      .stream({ model: 'claude-haiku-4-5', temperature: 0, max_tokens: 40, messages: [{ role: 'user', content: question }] })
      .finalMessage();
    expect(upstreamCalls()).toBe(calls2);
    expect(message.content[0]).toMatchObject({ type: 'text', text: a1.choices[0]!.message.content });
    expect(calls2 - calls).toBe(1);
  });

  it('never crosses tenants or credentials; non-deterministic requests are not cached by default', async () => {
    const body = { model: 'gpt-4.1-nano', temperature: 0, messages: [{ role: 'user' as const, content: fresh('secret plans') }] };
    await env.openai.chat.completions.create(body, { headers: { 'x-costwise-tenant': 'acme' } });
    const other = await env.openai.chat.completions.create(body, { headers: { 'x-costwise-tenant': 'globex' } }).withResponse();
    expect(other.response.headers.get('x-costwise-cache')).toBe('miss');
    const otherKey = new OpenAI({ apiKey: 'sk-someone-else', baseURL: `${env.gateway.url}/v1`, maxRetries: 0 });
    const third = await otherKey.chat.completions.create(body, { headers: { 'x-costwise-tenant': 'acme' } }).withResponse();
    expect(third.response.headers.get('x-costwise-cache')).toBe('miss');
    const same = await env.openai.chat.completions.create(body, { headers: { 'x-costwise-tenant': 'acme' } }).withResponse();
    expect(same.response.headers.get('x-costwise-cache')).toBe('hit-exact');

    const creative = { model: 'gpt-4.1-nano', messages: [{ role: 'user' as const, content: fresh('write a poem') }] };
    await env.openai.chat.completions.create(creative);
    const again = await env.openai.chat.completions.create(creative).withResponse();
    expect(again.response.headers.get('x-costwise-cache')).toBeNull();
  });

  it('works with tools: a cached tool call comes back as the same tool call', async () => {
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'get_weather',
          description: 'Weather for a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      },
    ];
    const body = {
      model: 'gpt-4.1-mini',
      temperature: 0,
      tools,
      tool_choice: 'required' as const,
      messages: [{ role: 'user' as const, content: fresh('Weather in Paris?') }],
    };
    const first = await env.openai.chat.completions.create(body);
    const second = await env.openai.chat.completions.create(body).withResponse();
    expect(second.response.headers.get('x-costwise-cache')).toBe('hit-exact');
    expect(second.data.choices[0]!.message.tool_calls).toEqual(first.choices[0]!.message.tool_calls);
    expect(second.data.choices[0]!.finish_reason).toBe('tool_calls');
    // a different tool set is a different question
    const other = await env.openai.chat.completions
      .create({ ...body, tools: [{ ...tools[0]!, function: { ...tools[0]!.function, name: 'get_forecast' } }] })
      .withResponse();
    expect(other.response.headers.get('x-costwise-cache')).toBe('miss');
  });

  it('TTL per request, and the directives no-store, no-cache and refresh', async () => {
    const body = { model: 'gpt-4.1-nano', temperature: 0, messages: [{ role: 'user' as const, content: fresh('short lived') }] };
    await env.openai.chat.completions.create(body, { headers: { 'x-costwise-cache-ttl': '1' } });
    expect((await env.openai.chat.completions.create(body).withResponse()).response.headers.get('x-costwise-cache')).toBe('hit-exact');
    await new Promise((r) => setTimeout(r, 1100));
    expect((await env.openai.chat.completions.create(body).withResponse()).response.headers.get('x-costwise-cache')).toBe('miss');

    const skip = await env.openai.chat.completions.create(body, { headers: { 'x-costwise-cache': 'no-store' } }).withResponse();
    expect(skip.response.headers.get('x-costwise-cache')).toBeNull();
    const noCache = await env.openai.chat.completions.create(body, { headers: { 'x-costwise-cache': 'no-cache' } }).withResponse();
    expect(noCache.response.headers.get('x-costwise-cache')).toBe('miss');
    const refreshed = await env.openai.chat.completions
      .create(body, { headers: { 'x-costwise-cache': 'refresh', 'x-emulator-output-tokens': '3' } })
      .withResponse();
    expect(refreshed.response.headers.get('x-costwise-cache')).toBe('miss');
    const after = await env.openai.chat.completions.create(body).withResponse();
    expect(after.response.headers.get('x-costwise-cache')).toBe('hit-exact');
    expect(after.data.usage!.completion_tokens).toBe(3); // the refreshed answer replaced the old one

    const bad = await rejectionOf(env.openai.chat.completions.create(body, { headers: { 'x-costwise-cache': 'sometimes' } }), OpenAI.APIError);
    expect(bad.status).toBe(400);
    expect(bad.error).toMatchObject({ param: 'x-costwise-cache' });
  });

  it('identical concurrent requests make one upstream call (no stampede), streaming or not', async () => {
    const body = { model: 'gpt-4.1-mini', temperature: 0, messages: [{ role: 'user' as const, content: fresh('a slow question') }] };
    const slow = { headers: { 'x-emulator-fault': 'slow', 'x-emulator-slow-ms': '200' } };
    const calls = upstreamCalls();
    const ask = async (stream: boolean): Promise<{ cache: string | null; text: string }> => {
      if (!stream) {
        const r = await env.openai.chat.completions.create(body, slow).withResponse();
        return { cache: r.response.headers.get('x-costwise-cache'), text: r.data.choices[0]!.message.content! };
      }
      const r = await env.openai.chat.completions.create({ ...body, stream: true }, slow).withResponse();
      let text = '';
      for await (const chunk of r.data) text += chunk.choices[0]?.delta.content ?? '';
      return { cache: r.response.headers.get('x-costwise-cache'), text };
    };
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => ask(i % 2 === 1)));
    expect(upstreamCalls() - calls).toBe(1);
    expect(results.map((r) => r.cache).sort()).toEqual([...Array<string>(7).fill('hit-exact'), 'miss']);
    expect(new Set(results.map((r) => r.text)).size).toBe(1);
  });

  it('the invalidation API removes entries by tenant, model, key or age; stats report them', async () => {
    const body = { model: 'gpt-4.1-nano', temperature: 0, messages: [{ role: 'user' as const, content: fresh('to be invalidated') }] };
    await env.openai.chat.completions.create(body, { headers: { 'x-costwise-tenant': 'initech' } });
    const stats = await fetchJson(`${env.gateway.url}/api/cache`, z.object({ entries: z.number(), bytes: z.number(), backend: z.string() }));
    expect(stats.backend).toBe('memory');
    expect(stats.entries).toBeGreaterThan(0);
    const res = await fetch(`${env.gateway.url}/api/cache/invalidate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: 'initech' }),
    });
    expect(await res.json()).toEqual({ removed: 1 });
    const after = await env.openai.chat.completions.create(body, { headers: { 'x-costwise-tenant': 'initech' } }).withResponse();
    expect(after.response.headers.get('x-costwise-cache')).toBe('miss');
    const bad = await fetch(`${env.gateway.url}/api/cache/invalidate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: 'x', colour: 'red' }),
    });
    expect(bad.status).toBe(400);
  });
});

describe('Redis cache shared by two gateway processes', () => {
  // The shared response cache is the subject here, not the ledger: each process keeps its own SQLite one.
  const children: ChildProcess[] = [];
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await emulator.close();
  });

  it('an answer cached through one gateway process is a hit through the other; invalidation reaches both', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'costwise-cache-'));
    const prefix = `costwise-test:${process.pid}:${Date.now()}:`;
    const config = (name: string) => {
      const file = join(dir, `${name}.yaml`);
      writeFileSync(
        file,
        [
          'server: { port: 0 }',
          `storage: { ledger: { path: ${JSON.stringify(join(dir, `${name}.db`))} } }`,
          `cache: { backend: redis, redisPrefix: "${prefix}" }`,
          'providers:',
          `  - { name: openai, kind: openai, baseUrl: "${emulator.url}", apiKey: k }`,
          `  - { name: anthropic, kind: anthropic, baseUrl: "${emulator.url}", apiKey: k }`,
          'models:',
          '  - { name: gpt-4.1-nano, provider: openai }',
          '  - { name: claude-haiku-4-5, provider: anthropic }',
        ].join('\n'),
      );
      return file;
    };
    const [a, b] = await Promise.all([startBin(['serve', '--config', config('a')], {}, children), startBin(['serve', '--config', config('b')], {}, children)]);
    const clientA = new OpenAI({ apiKey: 'sk-shared', baseURL: `${a.url}/v1`, maxRetries: 0 });
    const clientB = new Anthropic({ apiKey: 'sk-shared', baseURL: b.url, maxRetries: 0 });
    const question = fresh('shared across replicas');
    const first = await clientA.chat.completions
      .create({ model: 'claude-haiku-4-5', temperature: 0, max_completion_tokens: 30, messages: [{ role: 'user', content: question }] })
      .withResponse();
    expect(first.response.headers.get('x-costwise-cache')).toBe('miss');
    // the answer is written to Redis after it was sent: wait until it has landed
    for (let i = 0; i < 100; i++) {
      const stats = await fetchJson(`${a.url}/api/cache`, z.object({ entries: z.number() }));
      if (stats.entries > 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const calls = emulator.stats().requests;
    // temperature 0 makes it deterministic, so cacheable: the Messages API takes it, though this SDK's types no longer list it.
    const deterministic: Anthropic.MessageCreateParamsNonStreaming & { temperature: number } = {
      model: 'claude-haiku-4-5',
      temperature: 0,
      max_tokens: 30,
      messages: [{ role: 'user', content: question }],
    };
    const second = await clientB.messages.create(deterministic).withResponse();
    expect(second.response.headers.get('x-costwise-cache')).toBe('hit-exact');
    expect(emulator.stats().requests).toBe(calls);
    expect(second.data.content[0]).toMatchObject({ type: 'text', text: first.data.choices[0]!.message.content });

    const removed = await (await fetch(`${b.url}/api/cache/invalidate`, { method: 'POST', body: JSON.stringify({ model: 'claude-haiku-4-5' }) })).json();
    expect(removed).toEqual({ removed: 1 });
    const third = await clientA.chat.completions
      .create({ model: 'claude-haiku-4-5', temperature: 0, max_completion_tokens: 30, messages: [{ role: 'user', content: question }] })
      .withResponse();
    expect(third.response.headers.get('x-costwise-cache')).toBe('miss');
  }, 30_000);
});

describe.each(BACKENDS)('semantic cache (%s ledger)', (backend) => {
  let semanticEnv: TestEnv;
  beforeAll(async () => {
    semanticEnv = await startEnvOn(backend, { config: { cache: { semantic: { enabled: true, threshold: 0.8, verify: { enabled: false } } } } });
  });
  afterAll(() => semanticEnv.close());

  const ask = (content: string, system = 'You are the help desk of the city council.') =>
    semanticEnv.openai.chat.completions
      .create(
        {
          model: 'gpt-4.1-mini',
          temperature: 0,
          messages: [
            { role: 'system', content: system },
            { role: 'user', content },
          ],
        },
        { headers: { 'x-emulator-output-tokens': '9' } },
      )
      .withResponse();

  it('a near-duplicate question is served from the cache; decisive differences and other contexts are not', async () => {
    const first = await ask('How do I renew my parking permit online?');
    expect(first.response.headers.get('x-costwise-cache')).toBe('miss');
    await new Promise((r) => setTimeout(r, 50)); // the index is written after the answer is stored
    const near = await ask('How can I renew my parking permit online?');
    expect(near.response.headers.get('x-costwise-cache')).toBe('hit-semantic');
    expect(near.response.headers.get('x-costwise-route')).toBe('cache:semantic');
    expect(near.data.choices[0]!.message.content).toBe(first.data.choices[0]!.message.content);
    expect(near.response.headers.get('x-costwise-cost-usd')).toBe('0');
    const row = (await ledger(semanticEnv)).find((r) => r['requestId'] === near.response.headers.get('x-costwise-request-id'))!;
    expect(row).toMatchObject({ cache: 'hit-semantic', technique: 'cache_semantic', costPico: 0 });
    expect(row['baselinePico']).toBeGreaterThan(0);

    // a negation is a different question
    expect((await ask('How do I not renew my parking permit online?')).response.headers.get('x-costwise-cache')).toBe('miss');
    // a different number is a different question
    const years = await ask('How do I renew my parking permit for 2 years?');
    await new Promise((r) => setTimeout(r, 50));
    expect((await ask('How do I renew my parking permit for 3 years?')).response.headers.get('x-costwise-cache')).toBe('miss');
    expect(years.response.headers.get('x-costwise-cache')).toBe('miss');
    // the same question in another context (system prompt) never matches
    expect((await ask('How can I renew my parking permit online?', 'You are a travel agent.')).response.headers.get('x-costwise-cache')).toBe('miss');
    // nor for another tenant
    const other = await semanticEnv.openai.chat.completions
      .create(
        {
          model: 'gpt-4.1-mini',
          temperature: 0,
          messages: [
            { role: 'system', content: 'You are the help desk of the city council.' },
            { role: 'user', content: 'How can I renew my parking permit online?' },
          ],
        },
        { headers: { 'x-costwise-tenant': 'someone-else' } },
      )
      .withResponse();
    expect(other.response.headers.get('x-costwise-cache')).toBe('miss');
  });

  it('an invalidated answer is not served semantically either', async () => {
    await ask('What are the opening hours of the town hall?');
    await new Promise((r) => setTimeout(r, 50));
    await fetch(`${semanticEnv.gateway.url}/api/cache/invalidate`, { method: 'POST', body: JSON.stringify({ olderThanSeconds: 0 }) });
    expect((await ask('What are the opening hours of the town hall today?')).response.headers.get('x-costwise-cache')).toBe('miss');
  });
});

describe.each(BACKENDS)('semantic cache with an embeddings API through costwise providers (%s ledger)', (backend) => {
  let apiEnv: TestEnv;
  beforeAll(async () => {
    apiEnv = await startEnvOn(backend, {
      config: { cache: { semantic: { enabled: true, embedder: { model: 'text-embedding-3-small' }, threshold: 0.9, verify: { enabled: false } } } },
    });
  });
  afterAll(() => apiEnv.close());

  it('each embedding call is billed on its own ledger row under cache_semantic', async () => {
    const ask = (content: string) =>
      apiEnv.openai.chat.completions.create({ model: 'gpt-4.1-nano', temperature: 0, messages: [{ role: 'user', content }] }).withResponse();
    const first = await ask('Where is the nearest library?');
    await new Promise((r) => setTimeout(r, 100));
    const second = await ask('Which bus goes to the stadium?');
    expect(second.response.headers.get('x-costwise-cache')).toBe('miss');
    await new Promise((r) => setTimeout(r, 100));
    const rows = await ledger(apiEnv);
    const id1 = first.response.headers.get('x-costwise-request-id');
    const id2 = second.response.headers.get('x-costwise-request-id');
    const embeds = rows.filter((r) => r['servedModel'] === 'text-embedding-3-small');
    // first: nothing indexed yet, so no lookup call; its answer is indexed (one call). second: a lookup and an index call.
    expect(embeds.map((r) => r['requestId']).sort()).toEqual([`${id1}.embed-store`, `${id2}.embed`, `${id2}.embed-store`].sort());
    for (const r of embeds) {
      expect(r).toMatchObject({ technique: 'cache_semantic', baselinePico: 0, route: 'cache:semantic-embed' });
      expect(BigInt(r['costPico'])).toBe(BigInt(r['inputTokens']) * 20_000n); // $0.02 per million tokens
    }
  });
});
