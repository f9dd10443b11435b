// x-costwise-defer: accepted at once (202), grouped into a provider batch (flushed by size or
// age), result by id and by webhook, billed at batch prices.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { expectedPico, type TestEnv } from '../helpers/env.js';
import { AcceptedJob, Job } from '../helpers/api-json.js';
import { ChatUsage } from '../helpers/wire-json.js';
import { present } from '../helpers/assert.js';
import { fetchJson, readJson, shaped } from '../helpers/json.js';
import { ledgerRows, startBatchEnv, BATCH_BACKENDS } from './helpers.js';

describe.each(BATCH_BACKENDS)('over the %s batch store', (backend) => {
  let env: TestEnv;
  let hook: Server;
  /** The webhook's deliveries, parsed JSON. */
  const delivered: unknown[] = [];

  beforeAll(async () => {
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        delivered.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const webhookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    // maxAgeMs: long enough that two requests sent one after the other still share a group on a
    // loaded machine (at 400 ms the first was sometimes flushed alone), short enough for the age tests.
    env = await startBatchEnv({ deferral: { maxItems: 2, maxAgeMs: 2_000, webhookUrl } }, backend);
  });
  afterAll(async () => {
    await env.close();
    hook.close();
  });

  async function defer(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown }> {
    const res = await fetch(`${env.gateway.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer k', 'x-costwise-defer': '24h', ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() };
  }

  /** A job is visible to the key that deferred it only. */
  const AS_CALLER = { headers: { authorization: 'Bearer k' } };

  async function waitJob(url: string): Promise<Job> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const job = await fetchJson(url, Job, AS_CALLER);
      if (job.status !== 'queued' && job.status !== 'in_progress') return job;
      if (Date.now() > deadline) throw new Error(`job still ${job.status}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  describe('deferral', () => {
    it('two deferred OpenAI requests fill a group, run as one provider batch, and are fetched by id and delivered by webhook', async () => {
      const a = await defer('/v1/chat/completions', { model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'Later, please' }] });
      expect(a.status).toBe(202);
      expect(a.json).toMatchObject({ object: 'costwise.job', status: 'queued' });
      const aUrl = shaped(a.json, AcceptedJob).url;
      expect((await fetchJson(aUrl, Job, AS_CALLER)).status).toBe('queued');
      // Another key does not see it.
      expect((await fetch(aUrl, { headers: { authorization: 'Bearer someone-else' } })).status).toBe(404);
      const b = await defer('/v1/chat/completions', { model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'Also later' }] });
      const [ja, jb] = [await waitJob(aUrl), await waitJob(shaped(b.json, AcceptedJob).url)];
      expect(ja.batch_id).toBe(jb.batch_id);
      for (const j of [ja, jb])
        expect(j).toMatchObject({ status: 'completed', response: { status_code: 200, body: { object: 'chat.completion', model: 'gpt-4.1-mini' } } });
      const row = present(
        (await ledgerRows(env)).find((r) => r.requestId === `${ja.batch_id}:${ja.id}`),
        "job a's ledger row",
      );
      const u = shaped(ja.response?.body, z.object({ usage: ChatUsage })).usage;
      expect(BigInt(row.costPico) * 2n).toBe(expectedPico('gpt-4.1-mini', { input: u.prompt_tokens, output: u.completion_tokens }));
      const deadline = Date.now() + 5000;
      while (delivered.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      expect(delivered.map((d) => shaped(d, Job).id).sort()).toEqual([ja.id, jb.id].sort());
    });

    it('groups only requests that share tags and forwarded headers: each row keeps its own tags, and the 202 names the row', async () => {
      const body = { model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'Tagged' }] };
      const nightly = await defer('/v1/chat/completions', body, { 'x-costwise-tags': 'nightly' });
      const weekly = await defer('/v1/chat/completions', body, { 'x-costwise-tags': 'weekly' });
      const [jn, jw] = [await waitJob(shaped(nightly.json, AcceptedJob).url), await waitJob(shaped(weekly.json, AcceptedJob).url)];
      expect(jn.batch_id).not.toBe(jw.batch_id);
      const rows = await ledgerRows(env);
      const rowOf = (j: { batch_id: string; id: string }) => rows.find((r) => r.requestId === `${j.batch_id}:${j.id}`)!;
      expect(rowOf(jn).tags).toEqual(['nightly']);
      expect(rowOf(jw).tags).toEqual(['weekly']);
      const res = await fetch(`${env.gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer k', 'x-costwise-defer': '1h' },
        body: JSON.stringify(body),
      });
      const job = await readJson(res, AcceptedJob);
      expect(res.headers.get('x-costwise-request-id')).toBe(`${(await waitJob(job.url)).batch_id}:${job.id}`);
    });

    it('a lone deferred Anthropic request is flushed by age; a bad one is refused at once', async () => {
      const bad = await defer('/v1/messages', { model: 'claude-haiku-4-5', messages: [] }, { 'anthropic-version': '2023-06-01' });
      expect(bad.status).toBe(400);
      expect(bad.json).toMatchObject({ type: 'error' });
      const badWindow = await defer(
        '/v1/messages',
        { model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] },
        { 'x-costwise-defer': 'soon' },
      );
      expect(badWindow.status).toBe(400);
      const ok = await defer('/v1/messages', { model: 'claude-haiku-4-5', max_tokens: 20, messages: [{ role: 'user', content: 'Whenever' }] });
      expect(ok.status).toBe(202);
      const job = await waitJob(shaped(ok.json, AcceptedJob).url);
      expect(job).toMatchObject({ status: 'completed', response: { status_code: 200, body: { type: 'message', model: 'claude-haiku-4-5' } } });
    });
  });
});
