// Deferrable routes: a non-streaming request matching `batch.deferral.rules` is deferred without
// the header (202 + job, run at batch prices); other requests and streams are answered at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { TestEnv } from '../helpers/env.js';
import { AcceptedJob, Job } from '../helpers/api-json.js';
import { fetchJson, readJson } from '../helpers/json.js';
import { startBatchEnv, BATCH_BACKENDS } from './helpers.js';

describe.each(BATCH_BACKENDS)('over the %s batch store', (backend) => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await startBatchEnv(
      { deferral: { maxItems: 1, maxAgeMs: 200, rules: [{ name: 'reports', match: { tags: 'nightly-report' }, window: '24h' }] } },
      backend,
    );
  });
  afterAll(() => env.close());

  describe('deferrable routes', () => {
    it('a request on a deferrable route gets a job; the same request off the route is answered now; a stream is never deferred', async () => {
      const body = { model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'Summarise last night' }] };
      const post = (headers: Record<string, string>, extra: Record<string, unknown> = {}) =>
        fetch(`${env.gateway.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer k', ...headers },
          body: JSON.stringify({ ...body, ...extra }),
        });

      const deferred = await post({ 'x-costwise-tags': 'nightly-report' });
      expect(deferred.status).toBe(202);
      const job = await readJson(deferred, AcceptedJob);
      expect(job.object).toBe('costwise.job');
      let done: { status: string; response?: Job['response'] } = { status: 'queued' };
      for (let i = 0; i < 200 && (done.status === 'queued' || done.status === 'in_progress'); i++) {
        await new Promise((r) => setTimeout(r, 25));
        // A job is visible to the key that deferred it only.
        done = await fetchJson(job.url, Job, { headers: { authorization: 'Bearer k' } });
      }
      expect(done).toMatchObject({ status: 'completed', response: { status_code: 200 } });

      const now = await post({});
      expect(now.status).toBe(200);
      expect((await readJson(now, z.object({ object: z.string() }))).object).toBe('chat.completion');

      const stream = await post({ 'x-costwise-tags': 'nightly-report' }, { stream: true });
      expect(stream.status).toBe(200);
      expect(stream.headers.get('content-type')).toMatch(/text\/event-stream/);
      await stream.text();
    });
  });
});
