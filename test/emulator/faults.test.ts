import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { postJson } from './helpers.js';
import { rejectionOf } from '../helpers/assert.js';
import { shaped } from '../helpers/json.js';
import { AnthropicErrorBody, OpenAIErrorBody } from '../helpers/wire-json.js';

let emu: RunningEmulator;
let oa: OpenAI;
let an: Anthropic;
beforeAll(async () => {
  emu = await startEmulator();
  oa = new OpenAI({ apiKey: 'x', baseURL: `${emu.url}/v1`, maxRetries: 0 });
  an = new Anthropic({ apiKey: 'x', baseURL: emu.url, maxRetries: 0 });
});
afterAll(() => emu.close());

const chat = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'hi' }] };
const msg = { model: 'claude-sonnet-4-0', max_tokens: 20, messages: [{ role: 'user' as const, content: 'hi' }] };
const fault = (f: string, extra: Record<string, string> = {}) => ({ headers: { 'x-emulator-fault': f, ...extra } });

describe('injected faults', () => {
  it('429 carries retry-after and exhausted rate-limit headers', async () => {
    const err = await rejectionOf(oa.chat.completions.create(chat, fault('429')), OpenAI.RateLimitError);
    expect(err.headers.get('retry-after')).toBe('1');
    expect(err.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(err.code).toBe('rate_limit_exceeded');
    const aErr = await rejectionOf(an.messages.create(msg, fault('429')), Anthropic.RateLimitError);
    expect(aErr.headers.get('retry-after')).toBe('1');
    expect(aErr.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    expect(aErr.error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    expect(aErr.requestID).toMatch(/^req_/);
  });

  it('500, 503 and 529 in each provider shape', async () => {
    const e500 = await rejectionOf(oa.chat.completions.create(chat, fault('500')), OpenAI.APIError);
    expect(e500.status).toBe(500);
    expect(e500.type).toBe('server_error');
    const e529 = await rejectionOf(oa.chat.completions.create(chat, fault('529')), OpenAI.APIError);
    expect(e529.status).toBe(503);
    const a529 = await rejectionOf(an.messages.create(msg, fault('529')), Anthropic.APIError);
    expect(a529.status).toBe(529);
    expect(a529.error).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
    const a503 = await rejectionOf(an.messages.create(msg, fault('503')), Anthropic.APIError);
    expect(a503.status).toBe(503);
  });

  it('the SDK retries an injected 529 on its own (retry-after honoured)', async () => {
    const retrying = new Anthropic({ apiKey: 'x', baseURL: emu.url, maxRetries: 1 });
    const before = emu.stats().byPath['/v1/messages'] ?? 0;
    await expect(retrying.messages.create(msg, fault('529'))).rejects.toBeInstanceOf(Anthropic.APIError);
    expect(emu.stats().byPath['/v1/messages']).toBe(before + 2);
  });

  it('cut destroys the connection: mid-stream for streams, at once otherwise', async () => {
    const stream = await oa.chat.completions.create({ ...chat, stream: true }, fault('cut'));
    const seen: unknown[] = [];
    await expect(
      (async () => {
        for await (const c of stream) seen.push(c);
      })(),
    ).rejects.toThrow();
    expect(seen.length).toBeGreaterThan(0);
    await expect(oa.chat.completions.create(chat, fault('cut'))).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
    await expect(an.messages.stream(msg, fault('cut')).finalMessage()).rejects.toThrow();
  });

  it('slow delays the response (x-emulator-slow-ms)', async () => {
    const t0 = performance.now();
    await oa.chat.completions.create(chat, fault('slow', { 'x-emulator-slow-ms': '250' }));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(240);
  });

  it('fault rates draw from the seeded PRNG reproducibly', async () => {
    const run = async (): Promise<number[]> => {
      const e = await startEmulator({ seed: 42, faults: { rate500: 0.3, rate429: 0.2 } });
      try {
        const out: number[] = [];
        for (let i = 0; i < 30; i++) out.push((await postJson(`${e.url}/v1/chat/completions`, chat, { authorization: 'Bearer x' })).status);
        return out;
      } finally {
        await e.close();
      }
    };
    const a = await run();
    expect(await run()).toEqual(a);
    expect(a.filter((s) => s === 500).length).toBeGreaterThan(2);
    expect(a.filter((s) => s === 429).length).toBeGreaterThan(1);
    expect(a.filter((s) => s === 200).length).toBeGreaterThan(5);
  });
});

describe('latency model', () => {
  it('waits ttft + perToken for non-streams and paces stream chunks', async () => {
    const slow = await startEmulator({ latency: { ttftMs: 60, perTokenMs: 3 } });
    try {
      const c = new OpenAI({ apiKey: 'x', baseURL: `${slow.url}/v1`, maxRetries: 0 });
      const t0 = performance.now();
      await c.chat.completions.create(chat, { headers: { 'x-emulator-output-tokens': '21' } });
      expect(performance.now() - t0).toBeGreaterThanOrEqual(60 + 3 * 20 - 5);
      const t1 = performance.now();
      const s = await c.chat.completions.create({ ...chat, stream: true }, { headers: { 'x-emulator-output-tokens': '21' } });
      let firstToken = 0;
      for await (const ch of s) if (!firstToken && ch.choices[0]?.delta.content) firstToken = performance.now() - t1;
      expect(firstToken).toBeGreaterThanOrEqual(55);
      expect(performance.now() - t1).toBeGreaterThanOrEqual(60 + 3 * 20 - 5);
    } finally {
      await slow.close();
    }
  });
});

describe('rate limits', () => {
  it('answers a real 429 over the per-minute budget and resets with the window', async () => {
    let clock = 1_800_000_000_000;
    const limited = await startEmulator({ now: () => clock, rateLimits: { requestsPerMinute: 2, tokensPerMinute: 1_000_000 } });
    try {
      const c = new OpenAI({ apiKey: 'x', baseURL: `${limited.url}/v1`, maxRetries: 0 });
      const ok = await c.chat.completions.create(chat).withResponse();
      expect(ok.response.headers.get('x-ratelimit-remaining-requests')).toBe('1');
      await c.chat.completions.create(chat);
      const e = (await c.chat.completions.create(chat).catch((x: unknown) => x)) as InstanceType<typeof OpenAI.RateLimitError>;
      expect(e).toBeInstanceOf(OpenAI.RateLimitError);
      expect(e.type).toBe('requests');
      expect(Number(e.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      clock += 60_000;
      await expect(c.chat.completions.create(chat)).resolves.toBeDefined();

      const tokens = await startEmulator({ rateLimits: { requestsPerMinute: 100, tokensPerMinute: 50 } });
      try {
        const t = new OpenAI({ apiKey: 'x', baseURL: `${tokens.url}/v1`, maxRetries: 0 });
        const te = (await t.chat.completions.create(chat, { headers: { 'x-emulator-output-tokens': '60' } }).catch((x: unknown) => x)) as InstanceType<
          typeof OpenAI.RateLimitError
        >;
        expect(te.status).toBe(429);
        expect(te.type).toBe('tokens');
      } finally {
        await tokens.close();
      }
    } finally {
      await limited.close();
    }
  });
});

describe('auth and validation', () => {
  it('401 without a key, in each provider shape', async () => {
    const o = await postJson(`${emu.url}/v1/chat/completions`, chat);
    expect(o.status).toBe(401);
    const oError = shaped(o.json, OpenAIErrorBody).error;
    expect(oError).toMatchObject({ type: 'invalid_request_error', param: null, code: null });
    expect(Object.keys(oError).sort()).toEqual(['code', 'message', 'param', 'type']);
    const a = await postJson(`${emu.url}/v1/messages`, msg, { 'anthropic-version': '2023-06-01' });
    expect(a.status).toBe(401);
    expect(a.json).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    expect(shaped(a.json, AnthropicErrorBody).request_id).toMatch(/^req_/);
    const open = await startEmulator({ requireAuth: false });
    try {
      expect((await postJson(`${open.url}/v1/chat/completions`, chat)).status).toBe(200);
    } finally {
      await open.close();
    }
  });

  it('400 for bad JSON and missing fields, 404 for unknown models and routes', async () => {
    const auth = { authorization: 'Bearer x', 'x-api-key': 'x' };
    const badO = await postJson(`${emu.url}/v1/chat/completions`, '{"model":', auth);
    expect(badO.status).toBe(400);
    expect(shaped(badO.json, OpenAIErrorBody).error.type).toBe('invalid_request_error');
    const badA = await postJson(`${emu.url}/v1/messages`, 'not json', auth);
    expect(badA.json).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    const noMessages = await postJson(`${emu.url}/v1/chat/completions`, { model: 'gpt-4o' }, auth);
    expect(shaped(noMessages.json, OpenAIErrorBody).error).toMatchObject({ param: 'messages', code: 'missing_required_parameter' });
    const noModel = await postJson(`${emu.url}/v1/chat/completions`, { messages: [] }, auth);
    expect(noModel.status).toBe(400);
    const noMax = await postJson(`${emu.url}/v1/messages`, { model: 'claude-sonnet-4-0', messages: [{ role: 'user', content: 'x' }] }, auth);
    expect(noMax.status).toBe(400);
    expect(shaped(noMax.json, AnthropicErrorBody).error.message).toContain('max_tokens');
    const badRole = await postJson(`${emu.url}/v1/chat/completions`, { model: 'gpt-4o', messages: [{ role: 'robot', content: 'x' }] }, auth);
    expect(shaped(badRole.json, OpenAIErrorBody).error.param).toBe('messages[0].role');
    const weird = await postJson(
      `${emu.url}/v1/messages`,
      { model: 'claude-sonnet-4-0', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'text' }] }] },
      auth,
    );
    expect(weird.status).toBe(400);
    for (const junk of ['null', '[]', '42', '"s"']) {
      expect((await postJson(`${emu.url}/v1/chat/completions`, junk, auth)).status).toBe(400);
      expect((await postJson(`${emu.url}/v1/messages`, junk, auth)).status).toBe(400);
    }
    await expect(oa.chat.completions.create({ ...chat, model: 'llama-3-70b' })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(an.messages.create({ ...msg, model: 'mistral-large' })).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    const route = await postJson(`${emu.url}/v1/nope`, {}, auth);
    expect(route.status).toBe(404);
    expect(emu.stats().requests).toBeGreaterThan(10);
  });
});

describe('robustness', () => {
  it('answers any malformed body with a 4xx in the provider shape, and keeps serving', async () => {
    const { default: fc } = await import('fast-check');
    const auth = { authorization: 'Bearer x', 'x-api-key': 'x', 'x-goog-api-key': 'x' };
    const paths = [
      '/v1/chat/completions',
      '/v1/messages',
      '/v1/messages/count_tokens',
      '/v1/embeddings',
      '/v1beta/models/gemini-2.5-flash:generateContent',
      '/v1beta/models/gemini-embedding-001:batchEmbedContents',
    ];
    const messy = fc.record(
      {
        model: fc.oneof(fc.constant('gpt-4o'), fc.constant('claude-sonnet-4-0'), fc.jsonValue()),
        messages: fc.oneof(
          fc.jsonValue(),
          fc.array(
            fc.record(
              { role: fc.oneof(fc.constantFrom('user', 'assistant', 'tool', 'system'), fc.jsonValue()), content: fc.jsonValue() },
              { requiredKeys: [] },
            ),
          ),
        ),
        contents: fc.jsonValue(),
        max_tokens: fc.jsonValue(),
        tools: fc.jsonValue(),
        input: fc.jsonValue(),
        requests: fc.jsonValue(),
        system: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), messy, async (path, body) => {
        const r = await postJson(`${emu.url}${path}`, body, auth);
        if (r.status >= 500 || r.json === undefined) throw new Error(`${path} → ${r.status} ${r.text}`);
        return r.status === 200 || (r.status >= 400 && r.status < 500);
      }),
      { numRuns: 150 },
    );
    expect((await oa.chat.completions.create(chat)).choices).toHaveLength(1);
  });
});
