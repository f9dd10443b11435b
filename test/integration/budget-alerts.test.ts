// Soft budget thresholds (issue 14): when a budget's spend crosses 50%, 80% and 100% of its limit,
// a webhook is POSTed once per budget, period and threshold.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { TestEnv } from '../helpers/env.js';
import { BACKENDS, startEnvOn } from '../helpers/backend-env.js';
import { fetchJson, parseJson } from '../helpers/json.js';

const Alert = z.object({
  type: z.literal('budget.threshold'),
  subject: z.string(),
  period: z.string(),
  threshold: z.number(),
  spent_usd: z.string(),
  limit_usd: z.string(),
});

let env: TestEnv;
let hook: Server;
const alerts: Array<z.output<typeof Alert>> = [];

describe.each(BACKENDS)('on a %s ledger', (backend) => {
  beforeAll(async () => {
    alerts.length = 0;
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        alerts.push(parseJson(body, Alert));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const webhookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`;
    env = await startEnvOn(backend, { config: { governance: { alerts: { thresholds: [0.5, 0.8], webhookUrl } } } });
  });
  afterAll(async () => {
    await env.close();
    hook.close();
  });

  describe('budget alerts', () => {
    it('fires each threshold once as spend crosses it', async () => {
      const key = await fetchJson(`${env.gateway.url}/api/keys`, z.object({ id: z.string(), key: z.string() }), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'watched', budget_usd: 0.001, budget_period: 'month' }),
      });
      const openai = new OpenAI({ apiKey: key.key, baseURL: `${env.gateway.url}/v1`, maxRetries: 0 });
      for (let i = 0; i < 30; i++) {
        const done = await openai.chat.completions
          .create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: `tell me something ${i}` }], max_completion_tokens: 60 })
          .then(() => true)
          .catch(() => false);
        if (!done) break;
        // Spend is read at most once a second per budget: pace the requests so every crossing is seen.
        await new Promise((r) => setTimeout(r, 120));
      }
      for (let i = 0; i < 60 && alerts.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
      const mine = alerts.filter((a) => a.subject === `key:${key.id}`);
      expect(mine.map((a) => a.threshold)).toEqual([0.5, 0.8]);
      expect(mine[0]).toMatchObject({ period: 'month', limit_usd: '0.001' });
    }, 30_000);
  });
});
