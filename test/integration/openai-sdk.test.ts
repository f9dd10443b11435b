// The official openai client → costwise serve → (HTTP) → emulator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { expectedPico, ledger, usdToPico, type TestEnv } from '../helpers/env.js';
import { BACKENDS, startEnvOn } from '../helpers/backend-env.js';
import { parseJson } from '../helpers/json.js';

let env: TestEnv;
describe.each(BACKENDS)('on a %s ledger', (backend) => {
  beforeAll(async () => {
    env = await startEnvOn(backend);
  });
  afterAll(() => env.close());

  describe('OpenAI format, OpenAI model', () => {
    it('non-streaming chat: same answer shape, exact cost headers and ledger row', async () => {
      const { data, response } = await env.openai.chat.completions
        .create(
          {
            model: 'gpt-4.1-mini',
            messages: [
              { role: 'system', content: 'Be brief.' },
              { role: 'user', content: 'What is prompt caching?' },
            ],
          },
          { headers: { 'x-emulator-output-tokens': '37', 'x-costwise-tags': 'docs,faq' } },
        )
        .withResponse();
      expect(data.object).toBe('chat.completion');
      expect(data.model).toBe('gpt-4.1-mini');
      expect(data.choices[0]!.message.role).toBe('assistant');
      expect(data.choices[0]!.message.content!.length).toBeGreaterThan(0);
      expect(data.choices[0]!.finish_reason).toBe('stop');
      expect(data.usage!.completion_tokens).toBe(37);
      const prompt = data.usage!.prompt_tokens;
      expect(prompt).toBeGreaterThan(10);
      const expected = expectedPico('gpt-4.1-mini', { input: prompt, output: 37 });
      expect(usdToPico(response.headers.get('x-costwise-cost-usd')!)).toBe(expected);
      expect(usdToPico(response.headers.get('x-costwise-baseline-usd')!)).toBe(expected);
      expect(response.headers.get('x-costwise-model')).toBe('gpt-4.1-mini');
      const id = response.headers.get('x-costwise-request-id')!;
      expect(id).toMatch(/^cw_/);
      const row = (await ledger(env)).find((r) => r['requestId'] === id)!;
      expect(row).toBeDefined();
      expect(row['costPico']).toBe(Number(expected));
      expect(row['inputTokens']).toBe(prompt);
      expect(row['outputTokens']).toBe(37);
      expect(row['tags']).toEqual(['docs', 'faq']);
      expect(row['status']).toBe(200);
    });

    it('streams exactly as the SDK parses it; usage chunk only when asked', async () => {
      const withoutUsage = await env.openai.chat.completions.create({
        model: 'gpt-4.1-nano',
        messages: [{ role: 'user', content: 'Count to five.' }],
        stream: true,
      });
      let text = '';
      let chunks = 0;
      for await (const chunk of withoutUsage) {
        chunks++;
        expect(chunk.usage ?? undefined).toBeUndefined();
        text += chunk.choices[0]?.delta.content ?? '';
      }
      expect(chunks).toBeGreaterThan(2);
      expect(text.length).toBeGreaterThan(0);

      const withUsage = await env.openai.chat.completions.create(
        { model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'Count to five.' }], stream: true, stream_options: { include_usage: true } },
        { headers: { 'x-emulator-output-tokens': '12' } },
      );
      let usage: { prompt_tokens: number; completion_tokens: number } | undefined;
      let finish: string | null | undefined;
      for await (const chunk of withUsage) {
        if (chunk.usage) usage = chunk.usage;
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      expect(finish).toBe('stop');
      expect(usage!.completion_tokens).toBe(12);
      const rows = await ledger(env);
      const streamed = rows.filter((r) => r['stream'] && r['servedModel'] === 'gpt-4.1-nano');
      expect(streamed.length).toBe(2);
      // Priced from the upstream's final usage even when the client did not ask for it.
      for (const r of streamed) expect(r['outputTokens']).toBeGreaterThan(0);
      const asked = streamed.find((r) => r['outputTokens'] === 12)!;
      expect(BigInt(asked['costPico'])).toBe(expectedPico('gpt-4.1-nano', { input: usage!.prompt_tokens, output: 12 }));
    });

    it('SDK stream helper collects the final completion', async () => {
      const runner = env.openai.chat.completions.stream({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });
      const final = await runner.finalChatCompletion();
      expect(final.choices[0]!.message.content!.length).toBeGreaterThan(0);
    });

    it('tool calls and tool results round-trip', async () => {
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
      const first = await env.openai.chat.completions.create({
        model: 'gpt-4.1',
        messages: [{ role: 'user', content: 'Weather in Oslo?' }],
        tools,
      });
      const call = first.choices[0]!.message.tool_calls![0]!;
      expect(first.choices[0]!.finish_reason).toBe('tool_calls');
      expect(call.type).toBe('function');
      if (call.type !== 'function') throw new Error('expected a function call');
      expect(call.function.name).toBe('get_weather');
      expect(JSON.parse(call.function.arguments)).toHaveProperty('city');
      const second = await env.openai.chat.completions.create({
        model: 'gpt-4.1',
        messages: [{ role: 'user', content: 'Weather in Oslo?' }, first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: '{"temp_c": 4}' }],
        tools,
      });
      expect(second.choices[0]!.finish_reason).toBe('stop');
      expect(second.choices[0]!.message.content!.length).toBeGreaterThan(0);
    });

    it('streams tool calls', async () => {
      const stream = env.openai.chat.completions.stream({
        model: 'gpt-4.1-mini',
        messages: [{ role: 'user', content: 'Look up order 42' }],
        tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] } } }],
        tool_choice: 'required',
      });
      const final = await stream.finalChatCompletion();
      const call = final.choices[0]!.message.tool_calls![0]!;
      if (call.type !== 'function') throw new Error('expected a function call');
      expect(call.function.name).toBe('lookup');
      expect(typeof parseJson(call.function.arguments, z.object({ id: z.unknown() })).id).toBe('number');
    });

    it('embeddings: float and the SDK default base64 give the same vector and an exact cost', async () => {
      const { data: b64, response } = await env.openai.embeddings.create({ model: 'text-embedding-3-small', input: 'costwise saves money' }).withResponse();
      const float = await env.openai.embeddings.create({ model: 'text-embedding-3-small', input: 'costwise saves money', encoding_format: 'float' });
      expect(b64.data[0]!.embedding.length).toBe(1536);
      const a = b64.data[0]!.embedding;
      const b = float.data[0]!.embedding;
      for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i]!, 6);
      const tokens = b64.usage.prompt_tokens;
      expect(tokens).toBeGreaterThan(0);
      expect(usdToPico(response.headers.get('x-costwise-cost-usd')!)).toBe(BigInt(tokens) * 20_000n);
      const many = await env.openai.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b', 'c'], dimensions: 256 });
      expect(many.data.map((d) => d.index)).toEqual([0, 1, 2]);
      expect(many.data[2]!.embedding.length).toBe(256);
    });

    it('lists the catalog', async () => {
      const models = [];
      for await (const m of env.openai.models.list()) models.push(m.id);
      for (const name of [
        'claude-haiku-4-5',
        'claude-sonnet-4-5',
        'claude-opus-4-5',
        'gpt-4.1-nano',
        'gpt-4.1-mini',
        'gpt-4.1',
        'gpt-4o-mini',
        'gemini-2.5-flash',
        'gemini-2.5-pro',
      ]) {
        expect(models).toContain(name);
      }
    });
  });

  describe('streamed cost', () => {
    it('arrives as HTTP trailers equal to the ledger row', async () => {
      const { request } = await import('undici');
      const res = await request(`${env.gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer k', 'x-emulator-output-tokens': '21' },
        body: JSON.stringify({ model: 'claude-sonnet-4-5', stream: true, messages: [{ role: 'user', content: 'stream me' }] }),
      });
      expect(res.headers['trailer']).toMatch(/x-costwise-cost-usd/);
      const text = await res.body.text();
      expect(text.trim().endsWith('data: [DONE]')).toBe(true);
      expect(text).not.toContain('"usage":{'); // the client did not ask for usage
      const id = res.headers['x-costwise-request-id'] as string;
      const row = (await ledger(env)).find((r) => r['requestId'] === id)!;
      expect(row['outputTokens']).toBe(21);
      expect(usdToPico(res.trailers['x-costwise-cost-usd']!)).toBe(BigInt(row['costPico']));
      expect(BigInt(row['costPico'])).toBe(expectedPico('claude-sonnet-4-5', { input: row['inputTokens'], output: 21 }));
    });
  });

  describe('models', () => {
    it('retrieves one model in either shape, 404 for unknown', async () => {
      const m = await env.openai.models.retrieve('gpt-4.1-nano');
      expect(m.id).toBe('gpt-4.1-nano');
      const a = await env.anthropic.models.retrieve('claude-haiku-4-5');
      expect(a.id).toBe('claude-haiku-4-5');
      await expect(env.openai.models.retrieve('nope')).rejects.toMatchObject({ status: 404 });
    });
  });

  describe('client disconnect', () => {
    it('aborts the upstream call and records the request as 499', async () => {
      const controller = new AbortController();
      const pending = env.openai.chat.completions
        .create(
          { model: 'gpt-4.1-mini', stream: true, messages: [{ role: 'user', content: 'slow one' }] },
          { headers: { 'x-emulator-fault': 'slow', 'x-emulator-slow-ms': '3000', 'x-costwise-tags': 'disconnect' }, signal: controller.signal },
        )
        .catch((e: unknown) => e);
      // The slow fault delays the upstream's headers, so the SDK call itself is still pending: abort it.
      await new Promise((r) => setTimeout(r, 200));
      controller.abort();
      await pending;
      await new Promise((r) => setTimeout(r, 300));
      const row = (await ledger(env)).find((r) => r['tags'].includes('disconnect'));
      expect(row).toBeDefined();
      expect(row!['status']).toBe(499);
    });
  });
});
