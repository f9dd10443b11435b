// When the shared state (Redis) cannot be reached, `governance.failMode` decides (issue 14): closed
// (the default) refuses requests that have budgets with a 503; open serves them.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startTestEnv, type TestEnv } from '../helpers/env.js';
import { fetchJson } from '../helpers/json.js';

const DOWN = { kind: 'redis' as const, url: 'redis://127.0.0.1:1', prefix: 'costwise:down:' };

async function keyWithBudget(env: TestEnv): Promise<OpenAI> {
  const { key } = await fetchJson(`${env.gateway.url}/api/keys`, z.object({ key: z.string() }), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'budgeted', budget_usd: 1, rpm: 100 }),
  });
  return new OpenAI({ apiKey: key, baseURL: `${env.gateway.url}/v1`, maxRetries: 0 });
}

const ask = (openai: OpenAI) =>
  openai.chat.completions.create({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 4 }).then(
    () => 200,
    (err: unknown) => {
      const status: unknown = err instanceof OpenAI.APIError ? err.status : -1;
      return typeof status === 'number' ? status : 0;
    },
  );

describe('Redis unreachable', () => {
  let closed: TestEnv;
  let open: TestEnv;
  beforeAll(async () => {
    closed = await startTestEnv({ config: { storage: { state: DOWN } } });
    open = await startTestEnv({ config: { storage: { state: DOWN }, governance: { failMode: 'open' } } });
  });
  afterAll(async () => {
    await closed.close();
    await open.close();
  });

  it('failMode closed refuses a budgeted request with 503', async () => {
    expect(await ask(await keyWithBudget(closed))).toBe(503);
  });

  it('failMode open serves it', async () => {
    expect(await ask(await keyWithBudget(open))).toBe(200);
  });
});
