// Batch lifecycle: cost estimate and approval, cancellation, expiry, bad JSONL lines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { usdToPico, type TestEnv } from '../helpers/env.js';
import { AdminBatch, AdminBatchList, WithCostwiseView } from '../helpers/api-json.js';
import { fetchJson, readJson, shaped } from '../helpers/json.js';
import { chatLine, readJsonl, startBatchEnv, startEnvOn, uploadJsonl, waitOpenAI, BATCH_BACKENDS } from './helpers.js';

describe.each(BATCH_BACKENDS)('over the %s batch store', (backend) => {
  let env: TestEnv;
  beforeAll(async () => {
    // Any batch whose worst case is above $0.001 waits for approval.
    env = await startBatchEnv({ approvalThresholdUsd: 0.001 }, backend);
  });
  afterAll(() => env.close());

  async function admin<S extends z.ZodType>(path: string, schema: S, method = 'GET'): Promise<z.output<S>> {
    const res = await fetch(`${env.gateway.url}${path}`, { method });
    expect(res.status).toBe(200);
    return readJson(res, schema);
  }

  describe('estimate and approval', () => {
    it('a batch above the threshold waits with its estimate until approved through the admin API', async () => {
      const fileId = await uploadJsonl(env.openai, [
        chatLine('big1', 'claude-sonnet-4-5', 'Write an essay', { max_tokens: 4000 }),
        chatLine('big2', 'claude-sonnet-4-5', 'Write another essay', { max_tokens: 4000 }),
      ]);
      const b = await env.openai.batches.create({ input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h' });
      expect(b.status).toBe('validating');
      const { costwise } = shaped(b, WithCostwiseView);
      const est = costwise.estimate;
      expect(costwise.state).toBe('awaiting_approval');
      // Worst case: 8000 output tokens at Sonnet's batch price ($7.50/MTok) plus the input at $1.50/MTok.
      expect(est.worst_output_tokens).toBe(8000);
      expect(usdToPico(est.worst_usd)).toBe(BigInt(est.input_tokens) * 1_500_000n + 8000n * 7_500_000n);
      expect(usdToPico(est.sync_expected_usd)).toBe(2n * usdToPico(est.expected_usd));
      expect(usdToPico(est.saving_usd)).toBe(usdToPico(est.expected_usd));
      await new Promise((r) => setTimeout(r, 200));
      expect((await env.openai.batches.retrieve(b.id)).status).toBe('validating'); // nothing ran meanwhile
      const listed = await admin('/api/batches', AdminBatchList);
      expect(listed.available).toBe(true);
      expect(listed.data.find((x) => x.id === b.id)).toMatchObject({ state: 'awaiting_approval', requests: 2 });
      const approved = await admin(`/api/batches/${b.id}/approve`, AdminBatch, 'POST');
      expect(approved.state).toBe('in_progress');
      const done = await waitOpenAI(env.openai, b.id);
      expect(done.status).toBe('completed');
      expect(done.request_counts!.completed).toBe(2);
    });

    it('a cheap batch starts at once; x-costwise-approval: required makes it wait anyway', async () => {
      const fileId = await uploadJsonl(env.openai, [chatLine('tiny', 'gpt-4.1-nano', 'Hi', { max_completion_tokens: 5 })]);
      const now = await env.openai.batches.create({ input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h' });
      expect(now.status).toBe('in_progress');
      const held = await env.openai.batches.create(
        { input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h' },
        { headers: { 'x-costwise-approval': 'required' } },
      );
      expect(held.status).toBe('validating');
      const cancelled = await env.openai.batches.cancel(held.id);
      expect(['cancelling', 'cancelled']).toContain(cancelled.status);
      expect((await waitOpenAI(env.openai, held.id)).status).toBe('cancelled');
      const res = await fetch(`${env.gateway.url}/api/batches/${held.id}/approve`, { method: 'POST' });
      expect(res.status).toBe(400);
    });
  });

  describe('bad lines, expiry', () => {
    it('bad JSONL lines get clear per-line errors; the rest of the batch runs', async () => {
      const fileId = await uploadJsonl(env.openai, [
        chatLine('good1', 'gpt-4.1-nano', 'One', { max_completion_tokens: 5 }),
        '{not json',
        JSON.stringify({ method: 'POST', url: '/v1/chat/completions', body: {} }),
        JSON.stringify({ custom_id: 'good1', method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4.1-nano', messages: [] } }),
        JSON.stringify({ custom_id: 'badbody', method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4.1-nano' } }),
        chatLine('good2', 'gpt-4.1-nano', 'Two', { max_completion_tokens: 5 }),
      ]);
      const b = await env.openai.batches.create({ input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h' });
      const done = await waitOpenAI(env.openai, b.id);
      expect(done.status).toBe('completed');
      expect(done.request_counts).toEqual({ total: 6, completed: 2, failed: 4 });
      expect(done.errors!.data!.map((e) => [e.line, e.code])).toEqual([
        [2, 'invalid_json_line'],
        [3, 'missing_required_parameter'],
        [4, 'duplicate_custom_id'],
      ]);
      expect(done.errors!.data![0]!.message).toMatch(/^line 2: not valid JSON/);
      const out = await readJsonl(env.openai, done.output_file_id!);
      expect(out.map((l) => l.custom_id).sort()).toEqual(['good1', 'good2']);
      const errs = await readJsonl(env.openai, done.error_file_id!);
      const badbody = errs.find((l) => l.custom_id === 'badbody')!;
      expect(badbody.response!.status_code).toBe(400);
      expect(shaped(badbody.response?.body, z.object({ error: z.object({ param: z.string().nullable() }) })).error.param).toBe('messages');
      expect(errs.filter((l) => l.error?.line !== undefined).map((l) => l.error!.line)).toEqual([2, 3, 4]);
    });

    it('items the provider could not finish in its window come back expired', async () => {
      const fileId = await uploadJsonl(env.openai, [chatLine('late', 'gpt-4.1-nano', 'Hi', { max_completion_tokens: 5 })]);
      const b = await env.openai.batches.create(
        { input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h' },
        { headers: { 'x-emulator-batch-expire-after-ms': '0' } },
      );
      const done = await waitOpenAI(env.openai, b.id);
      expect(done.status).toBe('expired');
      expect(done.request_counts).toEqual({ total: 1, completed: 0, failed: 1 });
      const errs = await readJsonl(env.openai, done.error_file_id!);
      expect(errs[0]).toMatchObject({ custom_id: 'late', response: null, error: { code: 'batch_expired' } });
    });
  });

  describe('cancellation in flight', () => {
    it('cancels the provider batch; items that had not run come back cancelled', async () => {
      const slow = await startEnvOn(backend, {
        emulator: { batch: { itemsPerSecond: 1, startDelayMs: 1500, finalizeMs: 20 } },
        config: { batch: { pollIntervalMs: 40 } },
      });
      try {
        const fileId = await uploadJsonl(slow.openai, [
          chatLine('x1', 'claude-haiku-4-5', 'One', { max_tokens: 5 }),
          chatLine('x2', 'claude-haiku-4-5', 'Two', { max_tokens: 5 }),
        ]);
        const b = await slow.openai.batches.create({ input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h' });
        const deadline = Date.now() + 5000;
        while (shaped(await slow.openai.batches.retrieve(b.id), WithCostwiseView).costwise.counts.submitted < 2 && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 20));
        const c = await slow.openai.batches.cancel(b.id);
        expect(c.status).toBe('cancelling');
        const done = await waitOpenAI(slow.openai, b.id);
        expect(done.status).toBe('cancelled');
        expect(done.request_counts).toEqual({ total: 2, completed: 0, failed: 2 });
        const upstream = await fetchJson(
          `${slow.emulator.url}/v1/messages/batches`,
          z.object({ data: z.array(z.object({ request_counts: z.object({ canceled: z.number() }) })) }),
          { headers: { 'x-api-key': 'x', 'anthropic-version': '2023-06-01' } },
        );
        expect(upstream.data[0]?.request_counts.canceled).toBe(2);
      } finally {
        await slow.close();
      }
    });
  });
});
