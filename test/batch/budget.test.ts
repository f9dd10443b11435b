// Budgets hold for batch work too: a batch reserves its worst case at batch prices when it is made
// (402 when that does not fit) and settles to what its items cost when it ends; a deferred request
// reserves on its own. The key's spend then equals the batch rows' cost to the pico-dollar.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { usdToPico, type TestEnv } from '../helpers/env.js';
import { fetchJson } from '../helpers/json.js';
import { present } from '../helpers/assert.js';
import { chatLine, ledgerRows, startBatchEnv, uploadJsonl, waitOpenAI, BATCH_BACKENDS } from './helpers.js';

describe.each(BATCH_BACKENDS)('over the %s batch store', (backend) => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await startBatchEnv({ deferral: { maxItems: 1, maxAgeMs: 100 } }, backend);
  });
  afterAll(async () => {
    await env.close();
  });

  const KeyCreated = z.object({ id: z.string(), key: z.string() });
  const KeyShown = z.object({ budgets: z.array(z.object({ spent_usd: z.string(), reserved_usd: z.string() })) });

  const createKey = (body: Record<string, unknown>) =>
    fetchJson(`${env.gateway.url}/api/keys`, KeyCreated, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const budgetOf = async (id: string) => (await fetchJson(`${env.gateway.url}/api/keys/${id}`, KeyShown)).budgets[0]!;

  describe('budgets on batches', () => {
    it('a batch reserves its worst case, settles to its cost, and one that cannot fit is refused with 402', async () => {
      const key = await createKey({ name: 'batcher', budget_usd: 0.01, budget_period: 'day' });
      const openai = new OpenAI({ apiKey: key.key, baseURL: `${env.gateway.url}/v1`, maxRetries: 0 });
      const small = await uploadJsonl(openai, [
        chatLine('a', 'gpt-4.1-mini', 'one', { max_tokens: 100 }),
        chatLine('b', 'gpt-4.1-mini', 'two', { max_tokens: 100 }),
      ]);
      const batch = await openai.batches.create({ input_file_id: small, endpoint: '/v1/chat/completions', completion_window: '24h' });
      const done = await waitOpenAI(openai, batch.id);
      expect(done.status).toBe('completed');
      const rows = (await ledgerRows(env)).filter((r) => r.requestId.startsWith(`${batch.id}:`));
      expect(rows).toHaveLength(2);
      const cost = rows.reduce((sum, r) => sum + BigInt(r.costPico), 0n);
      let budget = await budgetOf(key.id);
      for (let i = 0; i < 40 && budget.reserved_usd !== '0'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        budget = await budgetOf(key.id);
      }
      expect(budget.reserved_usd).toBe('0');
      expect(usdToPico(budget.spent_usd)).toBe(cost);

      // 20 requests × 32,768 output tokens × $0.80/M (gpt-4.1-mini output at batch rates) > $0.01.
      const dear = await uploadJsonl(
        openai,
        Array.from({ length: 20 }, (_, i) => chatLine(`d${i}`, 'gpt-4.1-mini', 'long', { max_tokens: 32_768 })),
      );
      const refused = await openai.batches.create({ input_file_id: dear, endpoint: '/v1/chat/completions', completion_window: '24h' }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(OpenAI.APIError);
      expect((refused as InstanceType<typeof OpenAI.APIError>).status).toBe(402);
    });

    it('a deferred request reserves at batch prices and settles when its job has run', async () => {
      const key = await createKey({ name: 'deferrer', budget_usd: 0.01, budget_period: 'day' });
      const res = await fetch(`${env.gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key.key}`, 'x-costwise-defer': '1h' },
        body: JSON.stringify({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'later' }], max_tokens: 50 }),
      });
      expect(res.status).toBe(202);
      const rowId = res.headers.get('x-costwise-request-id')!;
      let row;
      for (let i = 0; i < 200 && row === undefined; i++) {
        await new Promise((r) => setTimeout(r, 50));
        row = (await ledgerRows(env)).find((r) => r.requestId === rowId);
      }
      const settled = present(row, `the ledger row of ${rowId}`);
      let budget = await budgetOf(key.id);
      for (let i = 0; i < 40 && budget.reserved_usd !== '0'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        budget = await budgetOf(key.id);
      }
      expect(budget.reserved_usd).toBe('0');
      expect(usdToPico(budget.spent_usd)).toBe(BigInt(settled.costPico));

      const tooMuch = await fetch(`${env.gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key.key}`, 'x-costwise-defer': '1h' },
        body: JSON.stringify({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'later' }], max_tokens: 32_000 }),
      });
      expect(tooMuch.status).toBe(402);
    });
  });
});
