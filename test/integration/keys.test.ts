// Virtual keys, budgets and rate limits through the official SDKs (issue 14): nobody spends without
// a key, the tenant comes from the key, a budget refuses with 402 and the exact remainder, a key
// can be downgraded instead, rate limits answer 429 with retry-after, and a provider's 429 burst
// never opens the circuit. Keys, budgets and limits on a SQLite and on a PostgreSQL ledger.
import OpenAI, { type APIError as OpenAIAPIError } from 'openai';
import Anthropic, { type APIError as AnthropicAPIError } from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startTestEnv, usdToPico, type TestEnv } from '../helpers/env.js';
import { BACKENDS, startEnvOn } from '../helpers/backend-env.js';
import { fetchJson } from '../helpers/json.js';

const KeyCreated = z.object({
  id: z.string(),
  key: z.string(),
  budgets: z.array(z.object({ spent_usd: z.string(), remaining_usd: z.string(), reserved_usd: z.string(), limit_usd: z.string() })),
});
const KeyShown = KeyCreated.omit({ key: true }).extend({ status: z.string() });

let env: TestEnv;

async function createKey(body: Record<string, unknown>): Promise<z.output<typeof KeyCreated>> {
  return fetchJson(`${env.gateway.url}/api/keys`, KeyCreated, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

const openaiWith = (key: string) => new OpenAI({ apiKey: key, baseURL: `${env.gateway.url}/v1`, maxRetries: 0 });
const anthropicWith = (key: string) => new Anthropic({ apiKey: key, baseURL: env.gateway.url, maxRetries: 0 });

interface Outcome {
  status: number;
  headers: Headers | undefined;
  error: unknown;
}

/** An API error of either SDK, typed as declared (a bare instanceof would type its fields `any`). */
const isApiError = (err: unknown): err is OpenAIAPIError | AnthropicAPIError => err instanceof OpenAI.APIError || err instanceof Anthropic.APIError;

/** The status, headers and error body an SDK call failed with; anything but an API error is rethrown. */
function failedWith(err: unknown): Outcome {
  if (isApiError(err)) return { status: err.status ?? 0, headers: err.headers, error: err.error };
  throw err;
}

async function statusOf(p: Promise<unknown>): Promise<Outcome> {
  try {
    await p;
    return { status: 200, headers: undefined, error: undefined };
  } catch (err) {
    return failedWith(err);
  }
}

describe.each(BACKENDS)('on a %s ledger', (backend) => {
  beforeAll(async () => {
    env = await startEnvOn(backend, { config: { cache: { scope: 'tenant' } } });
  });
  afterAll(async () => {
    await env.close();
  });

  describe('virtual keys', () => {
    let alice: z.output<typeof KeyCreated>;

    beforeAll(async () => {
      alice = await createKey({ name: 'alice', tenant: 'acme' });
      expect(alice.key).toMatch(/^cw-[A-Za-z0-9]{40,}$/);
    });

    it('refuses a request without a key, or with a wrong one, with 401 in each format', async () => {
      const chat = { model: 'gpt-4.1-mini', messages: [{ role: 'user' as const, content: 'hi' }], max_completion_tokens: 8 };
      expect((await statusOf(openaiWith('not-a-key').chat.completions.create(chat))).status).toBe(401);
      const anonymous = await fetch(`${env.gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(chat),
      });
      expect(anonymous.status).toBe(401);
      expect(await anonymous.json()).toMatchObject({ error: { type: 'authentication_error', code: 'missing_api_key' } });
      const a = await statusOf(
        anthropicWith('cw-wrong').messages.create({ model: 'claude-haiku-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }),
      );
      expect(a.status).toBe(401);
      expect(a.error).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    });

    it('works on chat, messages, embeddings and batches; a batch is visible to its key only', async () => {
      const openai = openaiWith(alice.key);
      const chat = await openai.chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hello' }], max_completion_tokens: 8 });
      expect(chat.choices[0]?.message.content).toBeTruthy();
      const msg = await anthropicWith(alice.key).messages.create({ model: 'claude-haiku-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'hello' }] });
      expect(msg.content.length).toBeGreaterThan(0);
      const emb = await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'hello' });
      expect(emb.data[0]?.embedding.length).toBe(1536);
      const line = JSON.stringify({
        custom_id: 'r1',
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'later' }] },
      });
      const file = await openai.files.create({ file: new File([line + '\n'], 'in.jsonl'), purpose: 'batch' });
      const batch = await openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
      expect((await openai.batches.retrieve(batch.id)).id).toBe(batch.id);
      const bob = await createKey({ name: 'bob' });
      expect((await statusOf(openaiWith(bob.key).batches.retrieve(batch.id))).status).toBe(404);
      expect((await statusOf(openaiWith(bob.key).files.retrieve(file.id))).status).toBe(404);
    });

    it('takes the tenant from the key: the response cache is not shared across tenants, and the tenant header needs permission', async () => {
      const bob = await createKey({ name: 'bob', tenant: 'globex' });
      const carol = await createKey({ name: 'carol', tenant: 'acme' });
      const cacheOf = async (key: string) =>
        (
          await openaiWith(key)
            .chat.completions.create({
              model: 'gpt-4.1-mini',
              messages: [{ role: 'user', content: 'the cached question' }],
              temperature: 0,
              max_completion_tokens: 8,
            })
            .withResponse()
        ).response.headers.get('x-costwise-cache');
      expect(await cacheOf(alice.key)).toBe('miss');
      expect(await cacheOf(alice.key)).toBe('hit-exact');
      expect(await cacheOf(carol.key)).toBe('hit-exact'); // same tenant (acme), cache scope: tenant
      expect(await cacheOf(bob.key)).toBe('miss'); // another tenant never reads acme's answers
      const spoof = await fetch(`${env.gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${bob.key}`, 'x-costwise-tenant': 'acme' },
        body: JSON.stringify({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'the cached question' }], temperature: 0 }),
      });
      expect(spoof.status).toBe(403);
    });

    it('stops working at once when revoked', async () => {
      const dave = await createKey({ name: 'dave' });
      const openai = openaiWith(dave.key);
      await openai.models.list();
      const revoked = await fetchJson(`${env.gateway.url}/api/keys/${dave.id}`, KeyShown, { method: 'DELETE' });
      expect(revoked.status).toBe('revoked');
      const after = await statusOf(openai.chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] }));
      expect(after.status).toBe(401);
    });
  });

  describe('budgets', () => {
    it('refuses with 402 budget_exceeded and the exact remainder; spend equals the sum of the answers to the pico-dollar', async () => {
      const key = await createKey({ name: 'small', budget_usd: 0.0005, budget_period: 'day' });
      const openai = openaiWith(key.key);
      let spent = 0n;
      let refused: Outcome | undefined;
      for (let i = 0; i < 40 && refused === undefined; i++) {
        try {
          const { response } = await openai.chat.completions
            .create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: `question ${i}` }], max_completion_tokens: 200 })
            .withResponse();
          spent += usdToPico(response.headers.get('x-costwise-cost-usd')!);
        } catch (err) {
          refused = failedWith(err);
        }
      }
      expect(refused?.status).toBe(402);
      expect(refused?.error).toMatchObject({ type: 'budget_exceeded', code: 'budget_exceeded' });
      const remaining = refused?.headers?.get('x-costwise-budget-remaining-usd');
      expect(remaining).toBeTruthy();
      expect(usdToPico(remaining!)).toBe(usdToPico('0.0005') - spent);
      const shown = await fetchJson(`${env.gateway.url}/api/keys/${key.id}`, KeyShown);
      expect(usdToPico(shown.budgets[0]!.spent_usd)).toBe(spent);
      expect(shown.budgets[0]!.reserved_usd).toBe('0');
      expect(spent).toBeLessThanOrEqual(usdToPico('0.0005'));
    });

    it('with onBudget: downgrade, serves the cheapest allowed model that still fits', async () => {
      const key = await createKey({ name: 'thrifty', budget_usd: 0.002, budget_period: 'day', on_budget: 'downgrade', models: ['gpt-4.1', 'gpt-4.1-nano'] });
      const { response } = await openaiWith(key.key)
        .chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hello' }], max_completion_tokens: 1000 })
        .withResponse();
      // gpt-4.1 could cost up to 1000 × $8/M = $0.008 > $0.002; gpt-4.1-nano at most $0.0004.
      expect(response.headers.get('x-costwise-model')).toBe('gpt-4.1-nano');
      expect(response.headers.get('x-costwise-route')).toContain('budget-downgrade->gpt-4.1-nano');
    });

    it('refuses a model the key may not use', async () => {
      const key = await createKey({ name: 'nano-only', models: ['gpt-4.1-nano'] });
      const r = await statusOf(openaiWith(key.key).chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] }));
      expect(r.status).toBe(403);
    });
  });

  describe('rate limits', () => {
    it('answers 429 with retry-after and the caller format’s rate-limit headers', async () => {
      const key = await createKey({ name: 'slow', rpm: 2 });
      const openai = openaiWith(key.key);
      for (let i = 0; i < 2; i++)
        await openai.chat.completions.create({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 4 });
      const limited = await statusOf(
        openai.chat.completions.create({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 4 }),
      );
      expect(limited.status).toBe(429);
      expect(Number(limited.headers?.get('retry-after'))).toBeGreaterThan(0);
      expect(limited.headers?.get('x-ratelimit-limit-requests')).toBe('2');
      expect(limited.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
      const viaAnthropic = await statusOf(
        anthropicWith(key.key).messages.create({ model: 'claude-haiku-4-5', max_tokens: 4, messages: [{ role: 'user', content: 'hi' }] }),
      );
      expect(viaAnthropic.status).toBe(429);
      expect(viaAnthropic.headers?.get('anthropic-ratelimit-requests-limit')).toBe('2');
    });
  });
});

describe('a provider rate limit is back-pressure, not a failure', () => {
  let small: TestEnv;
  beforeAll(async () => {
    small = await startTestEnv({
      emulator: { rateLimits: { requestsPerMinute: 10, tokensPerMinute: 10_000_000 } },
      config: { routing: { retry: { maxRetries: 0 }, breaker: { failureThreshold: 2 } } },
    });
  });
  afterAll(async () => {
    await small.close();
  });

  it('serves the accepted share of a 429 burst and keeps the circuit of the only deployment closed', async () => {
    const openai = new OpenAI({ apiKey: 'x', baseURL: `${small.gateway.url}/v1`, maxRetries: 0 });
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        statusOf(openai.chat.completions.create({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: `burst ${i}` }], max_completion_tokens: 4 })),
      ),
    );
    const ok = results.filter((r) => r.status === 200).length;
    expect(ok).toBe(10);
    expect(results.filter((r) => r.status === 429)).toHaveLength(15);
    const deployment = small.gateway.deps.catalog.get('gpt-4.1-nano')!.key;
    expect(small.gateway.deps.resilience.breaker.isAvailable(deployment)).toBe(true);
    expect(results.some((r) => r.status === 503)).toBe(false);
  });
});
