// Bad input and upstream faults: provider-shaped errors, nothing crashes, one whole ledger row each.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { ledger, startTestEnv, type TestEnv } from '../helpers/env.js';
import { BACKENDS, startEnvOn } from '../helpers/backend-env.js';
import { rejectionOf } from '../helpers/assert.js';
import { readJson } from '../helpers/json.js';
import { ErrorBody } from '../helpers/wire-json.js';

let env: TestEnv;
describe.each(BACKENDS)('on a %s ledger', (backend) => {
  beforeAll(async () => {
    env = await startEnvOn(backend, { maxBodyBytes: 64 * 1024 });
  });
  afterAll(() => env.close());

  /** POST that is expected to fail: the body is read as a provider-shaped error. */
  async function post(path: string, body: string, headers: Record<string, string> = {}) {
    const res = await fetch(`${env.gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    return { status: res.status, body: await readJson(res, ErrorBody), headers: res.headers };
  }

  describe("bad input gets a 4xx in the caller's format naming the field", () => {
    it('malformed JSON', async () => {
      const o = await post('/v1/chat/completions', '{"model": "gpt-4.1",');
      expect(o.status).toBe(400);
      expect(Object.keys(o.body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
      expect(o.body.error.type).toBe('invalid_request_error');
      const a = await post('/v1/messages', 'not json');
      expect(a.status).toBe(400);
      expect(a.body.type).toBe('error');
      expect(a.body.error.type).toBe('invalid_request_error');
    });

    it('missing and mistyped fields', async () => {
      const noModel = await post('/v1/chat/completions', JSON.stringify({ messages: [] }));
      expect(noModel.status).toBe(400);
      expect(noModel.body.error.param).toBe('model');
      const badContent = await post(
        '/v1/chat/completions',
        JSON.stringify({
          model: 'gpt-4.1',
          messages: [
            { role: 'user', content: 'a' },
            { role: 'user', content: 5 },
          ],
        }),
      );
      expect(badContent.status).toBe(400);
      expect(badContent.body.error.param).toBe('messages[1].content');
      const badTemp = await post('/v1/chat/completions', JSON.stringify({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'a' }], temperature: 'hot' }));
      expect(badTemp.body.error.param).toBe('temperature');
      const noMax = await post('/v1/messages', JSON.stringify({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'a' }] }));
      expect(noMax.status).toBe(400);
      expect(noMax.body.error.message).toMatch(/max_tokens/);
      const badRole = await post('/v1/messages', JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'robot', content: 'a' }] }));
      expect(badRole.status).toBe(400);
      expect(badRole.body.error.message).toMatch(/messages\[0\]\.role/);
    });

    it('unknown model → 404 in both formats', async () => {
      await expect(env.openai.chat.completions.create({ model: 'gpt-9', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
        status: 404,
        code: 'model_not_found',
        param: 'model',
      });
      await expect(env.anthropic.messages.create({ model: 'claude-9', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(
        Anthropic.NotFoundError,
      );
    });

    it('body over the size limit → 413', async () => {
      const big = JSON.stringify({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'x'.repeat(100 * 1024) }] });
      const o = await post('/v1/chat/completions', big);
      expect(o.status).toBe(413);
      expect(o.body.error.type).toBeDefined();
    });

    it('unsupported content → 400 naming the part', async () => {
      const o = await post(
        '/v1/chat/completions',
        JSON.stringify({ model: 'gpt-4.1', messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] }] }),
      );
      expect(o.status).toBe(400);
      expect(o.body.error.param).toMatch(/^messages\[0\]\.content\[0\]/);
    });
  });

  describe("upstream faults are passed back in the caller's format with the right status", () => {
    it('429 with retry-after (OpenAI SDK sees a RateLimitError)', async () => {
      const err = await rejectionOf(
        env.openai.chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-emulator-fault': '429' } }),
        OpenAI.RateLimitError,
      );
      expect(err.headers.get('retry-after')).toBeTruthy();
    });

    it('500 from Claude to an OpenAI caller; 529 overloaded to an Anthropic caller', async () => {
      const e500 = await rejectionOf(
        env.openai.chat.completions.create(
          { model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'x' }] },
          { headers: { 'x-emulator-fault': '500' } },
        ),
        OpenAI.InternalServerError,
      );
      expect(e500.status).toBe(500);
      const e529 = await rejectionOf(
        env.anthropic.messages.create(
          { model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] },
          { headers: { 'x-emulator-fault': '529' } },
        ),
        Anthropic.APIError,
      );
      expect(e529.status).toBe(529);
      expect(JSON.stringify(e529.error)).toMatch(/overloaded_error/);
    });

    it('the SDK retries a 429 through the gateway, which retries each call itself (retry-after honoured)', async () => {
      const client = new OpenAI({ apiKey: 'k', baseURL: `${env.gateway.url}/v1`, maxRetries: 1 });
      const before = env.emulator.stats().requests;
      const t0 = performance.now();
      await expect(
        client.chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-emulator-fault': '429' } }),
      ).rejects.toBeInstanceOf(OpenAI.RateLimitError);
      // 2 SDK calls × (1 attempt + 2 gateway retries), each gateway retry after the emulator's retry-after: 1
      expect(env.emulator.stats().requests - before).toBe(6);
      expect(performance.now() - t0).toBeGreaterThan(4000);
      const rows = (await ledger(env)).filter((r) => r['status'] === 429).slice(-2);
      expect(rows).toHaveLength(2);
      for (const row of rows) {
        expect(row.attempts?.map((a) => [a.deployment, a.status, a.error])).toEqual([
          ['gpt-4.1-mini@openai', 429, 'rate_limit'],
          ['gpt-4.1-mini@openai', 429, 'rate_limit'],
          ['gpt-4.1-mini@openai', 429, 'rate_limit'],
        ]);
      }
    }, 20_000);

    it('a stream cut mid-way makes the SDK throw; the gateway stays up and logs the row', async () => {
      const stream = await env.anthropic.messages.create(
        { model: 'claude-haiku-4-5', max_tokens: 200, stream: true, messages: [{ role: 'user', content: 'long answer please' }] },
        { headers: { 'x-emulator-fault': 'cut', 'x-emulator-output-tokens': '100' } },
      );
      await expect(
        (async () => {
          for await (const _ of stream) {
            /* drain */
          }
        })(),
      ).rejects.toThrow();
      const ok = await env.openai.chat.completions.create({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'still alive?' }] });
      expect(ok.choices[0]!.message.content).toBeTruthy();
      const rows = await ledger(env);
      const cut = rows.find((r) => r['stream'] && r['errorKind'] !== null);
      expect(cut).toBeDefined();
    });

    it('every request left exactly one whole ledger row', async () => {
      const rows = await ledger(env);
      const ids = new Set(rows.map((r) => r['requestId']));
      expect(ids.size).toBe(rows.length);
      for (const r of rows) {
        expect(typeof r['status']).toBe('number');
        expect(typeof r['costPico']).toBe('number');
      }
      expect(rows.filter((r) => r['status'] === 400).length).toBeGreaterThanOrEqual(5);
    });
  });

  describe("an upstream that refuses costwise's own credentials", () => {
    it("is a 502 naming the provider, not a 401 blaming the caller's key", async () => {
      const bad = await startTestEnv({
        config: {
          providers: [
            { name: 'openai', kind: 'openai', baseUrl: 'emulator' },
            { name: 'anthropic', kind: 'anthropic', baseUrl: 'emulator', apiKey: 'emulated' },
            { name: 'gemini', kind: 'gemini', baseUrl: 'emulator', apiKey: 'emulated' },
          ],
        },
      });
      try {
        const err = await rejectionOf(bad.openai.chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'x' }] }), OpenAI.APIError);
        expect(err.status).toBe(502);
        expect(err.message).toMatch(/provider openai refused costwise's credentials/);
      } finally {
        await bad.close();
      }
    });
  });
});
