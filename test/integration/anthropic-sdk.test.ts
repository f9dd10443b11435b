// The official @anthropic-ai/sdk client → costwise serve → (HTTP) → emulator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedPico, ledger, usdToPico, type TestEnv } from '../helpers/env.js';
import { BACKENDS, startEnvOn } from '../helpers/backend-env.js';
import { present } from '../helpers/assert.js';

let env: TestEnv;
describe.each(BACKENDS)('on a %s ledger', (backend) => {
  beforeAll(async () => {
    env = await startEnvOn(backend);
  });
  afterAll(() => env.close());

  const LONG_SYSTEM = Array.from({ length: 400 }, (_, i) => `Rule ${i}: answer politely and cite the policy section ${i}.`).join('\n');

  describe('Anthropic format, Claude model', () => {
    it('non-streaming message with exact cost', async () => {
      const { data, response } = await env.anthropic.messages
        .create(
          { model: 'claude-haiku-4-5', max_tokens: 200, system: 'You are terse.', messages: [{ role: 'user', content: 'Hello there' }] },
          { headers: { 'x-emulator-output-tokens': '25' } },
        )
        .withResponse();
      expect(data.type).toBe('message');
      expect(data.model).toBe('claude-haiku-4-5');
      expect(data.stop_reason).toBe('end_turn');
      expect(data.content[0]!.type).toBe('text');
      expect(data.usage.output_tokens).toBe(25);
      const expected = expectedPico('claude-haiku-4-5', { input: data.usage.input_tokens, output: 25 });
      expect(usdToPico(response.headers.get('x-costwise-cost-usd')!)).toBe(expected);
      expect(response.headers.get('request-id')).toBe(response.headers.get('x-costwise-request-id'));
    });

    it('streams named events; the SDK accumulates the final message', async () => {
      const stream = env.anthropic.messages.stream(
        { model: 'claude-sonnet-4-5', max_tokens: 300, messages: [{ role: 'user', content: 'Tell me a story' }] },
        { headers: { 'x-emulator-output-tokens': '40' } },
      );
      let deltas = 0;
      stream.on('text', () => deltas++);
      const final = await stream.finalMessage();
      expect(deltas).toBeGreaterThan(1);
      expect(final.usage.output_tokens).toBe(40);
      expect(final.stop_reason).toBe('end_turn');
      const row = (await ledger(env)).find((r) => r['servedModel'] === 'claude-sonnet-4-5' && r['stream'])!;
      expect(BigInt(row['costPico'])).toBe(expectedPico('claude-sonnet-4-5', { input: final.usage.input_tokens, output: 40 }));
    });

    it('max_tokens truncation maps to stop_reason max_tokens', async () => {
      const msg = await env.anthropic.messages.create(
        { model: 'claude-haiku-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'Write an essay' }] },
        { headers: { 'x-emulator-output-tokens': '50' } },
      );
      expect(msg.stop_reason).toBe('max_tokens');
      expect(msg.usage.output_tokens).toBe(5);
    });

    it('tool use round trip', async () => {
      const tools = [
        { name: 'search', description: 'Search docs', input_schema: { type: 'object' as const, properties: { q: { type: 'string' } }, required: ['q'] } },
      ];
      const first = await env.anthropic.messages.create({
        model: 'claude-opus-4-5',
        max_tokens: 300,
        tools,
        messages: [{ role: 'user', content: 'Find the refund policy' }],
      });
      expect(first.stop_reason).toBe('tool_use');
      const use = present(
        first.content.find((b) => b.type === 'tool_use'),
        'a tool_use block',
      );
      expect(use.name).toBe('search');
      expect(typeof (use.input as { q: unknown }).q).toBe('string');
      const second = await env.anthropic.messages.create({
        model: 'claude-opus-4-5',
        max_tokens: 300,
        tools,
        messages: [
          { role: 'user', content: 'Find the refund policy' },
          { role: 'assistant', content: first.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'Refunds within 30 days.' }] },
        ],
      });
      expect(second.stop_reason).toBe('end_turn');
      expect(second.content[0]!.type).toBe('text');
    });

    it('count_tokens', async () => {
      const res = await env.anthropic.messages.countTokens({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'How many tokens is this?' }] });
      expect(res.input_tokens).toBeGreaterThan(3);
      const est = await env.anthropic.messages.countTokens({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'How many tokens is this?' }] });
      expect(est.input_tokens).toBeGreaterThan(3);
    });

    it('lists models in Anthropic shape', async () => {
      const ids = [];
      for await (const m of env.anthropic.models.list()) ids.push(m.id);
      expect(ids).toContain('claude-opus-4-5');
    });
  });

  describe('prompt caching is priced by token class, to the pico-dollar', () => {
    it('5m write then read', async () => {
      const req = {
        model: 'claude-sonnet-4-5',
        max_tokens: 100,
        system: [{ type: 'text' as const, text: LONG_SYSTEM, cache_control: { type: 'ephemeral' as const } }],
        messages: [{ role: 'user' as const, content: 'Question one' }],
      };
      const { data: first, response: r1 } = await env.anthropic.messages.create(req, { headers: { 'x-emulator-output-tokens': '10' } }).withResponse();
      expect(first.usage.cache_creation_input_tokens).toBeGreaterThan(1024);
      expect(first.usage.cache_read_input_tokens).toBe(0);
      expect(usdToPico(r1.headers.get('x-costwise-cost-usd')!)).toBe(
        expectedPico('claude-sonnet-4-5', { input: first.usage.input_tokens, write5m: first.usage.cache_creation_input_tokens!, output: 10 }),
      );
      const { data: second, response: r2 } = await env.anthropic.messages.create(req, { headers: { 'x-emulator-output-tokens': '10' } }).withResponse();
      expect(second.usage.cache_read_input_tokens).toBe(first.usage.cache_creation_input_tokens);
      expect(second.usage.cache_creation_input_tokens).toBe(0);
      expect(usdToPico(r2.headers.get('x-costwise-cost-usd')!)).toBe(
        expectedPico('claude-sonnet-4-5', { input: second.usage.input_tokens, cacheRead: second.usage.cache_read_input_tokens!, output: 10 }),
      );
      // the baseline is the same request with no prompt caching; the difference is attributed to it
      const uncached = (u: { input_tokens: number; cache_read_input_tokens: number | null; cache_creation_input_tokens: number | null }) =>
        expectedPico('claude-sonnet-4-5', { input: u.input_tokens + (u.cache_read_input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0), output: 10 });
      expect(usdToPico(r2.headers.get('x-costwise-baseline-usd')!)).toBe(uncached(second.usage));
      const rows = await ledger(env);
      const row1 = rows.find((r) => r['requestId'] === r1.headers.get('x-costwise-request-id'))!;
      const row2 = rows.find((r) => r['requestId'] === r2.headers.get('x-costwise-request-id'))!;
      expect(BigInt(row2['promptCachePico'])).toBe(uncached(second.usage) - usdToPico(r2.headers.get('x-costwise-cost-usd')!));
      expect(BigInt(row1['promptCachePico'])).toBe(uncached(first.usage) - usdToPico(r1.headers.get('x-costwise-cost-usd')!)); // the write premium: negative
      expect(row1['promptCachePico']).toBeLessThan(0);
    });

    it('mixed 1h + 5m TTLs, streaming', async () => {
      const tools = Array.from({ length: 30 }, (_, i) => ({
        name: `tool_${i}`,
        description: `Tool number ${i} that performs operation ${i} on the customer's account records with full auditing.`,
        input_schema: {
          type: 'object' as const,
          properties: { account: { type: 'string', description: 'the account id to operate on' }, amount: { type: 'number' } },
        },
      }));
      tools[29] = { ...tools[29]!, cache_control: { type: 'ephemeral', ttl: '1h' } } as (typeof tools)[number];
      const req = {
        model: 'claude-sonnet-4-5',
        max_tokens: 100,
        tools,
        tool_choice: { type: 'none' as const },
        system: [{ type: 'text' as const, text: LONG_SYSTEM, cache_control: { type: 'ephemeral' as const, ttl: '5m' as const } }],
        messages: [{ role: 'user' as const, content: 'Hi' }],
      };
      const stream = env.anthropic.messages.stream(req, { headers: { 'x-emulator-output-tokens': '8' } });
      const first = await stream.finalMessage();
      const u = first.usage;
      const { ephemeral_1h_input_tokens: w1h, ephemeral_5m_input_tokens: w5m } = present(u.cache_creation, 'the cache writes by TTL in the usage');
      expect(w1h).toBeGreaterThan(0);
      expect(w5m).toBeGreaterThan(0);
      const rows = await ledger(env);
      const row = rows.find((r) => r['cacheWrite1hTokens'] === w1h)!;
      expect(row['cacheWrite5mTokens']).toBe(w5m);
      expect(BigInt(row['costPico'])).toBe(expectedPico('claude-sonnet-4-5', { input: u.input_tokens, write1h: w1h, write5m: w5m, output: 8 }));
    });
  });
});
