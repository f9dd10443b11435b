// The OpenAI batch surface of costwise, driven by the official SDK: upload, create, poll, download.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { expectedPico, type TestEnv } from '../helpers/env.js';
import { ChatCompletionBody } from '../helpers/wire-json.js';
import { present } from '../helpers/assert.js';
import { fetchJson, shaped } from '../helpers/json.js';
import { chatLine, ledgerRows, readJsonl, startBatchEnv, uploadJsonl, waitOpenAI, BATCH_BACKENDS } from './helpers.js';

describe.each(BATCH_BACKENDS)('over the %s batch store', (backend) => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await startBatchEnv({}, backend);
  });
  afterAll(() => env.close());

  describe('OpenAI batch API through costwise', () => {
    it('runs a gpt batch on the provider batch API and bills each item at exactly 50%', async () => {
      const fileId = await uploadJsonl(env.openai, [
        chatLine('a', 'gpt-4.1-mini', 'Say hello'),
        chatLine('b', 'gpt-4.1-mini', 'Name three colours', { max_completion_tokens: 50 }),
      ]);
      const file = await env.openai.files.retrieve(fileId);
      expect(file).toMatchObject({ object: 'file', purpose: 'batch', filename: 'input.jsonl' });
      const created = await env.openai.batches.create({
        input_file_id: fileId,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
        metadata: { job: 'test' },
      });
      expect(created).toMatchObject({ object: 'batch', endpoint: '/v1/chat/completions', input_file_id: fileId, metadata: { job: 'test' } });
      expect(created.id).toMatch(/^batch_cw/);
      const done = await waitOpenAI(env.openai, created.id);
      expect(done.status).toBe('completed');
      expect(done.request_counts).toEqual({ total: 2, completed: 2, failed: 0 });
      expect(done.error_file_id).toBeNull();
      const lines = await readJsonl(env.openai, done.output_file_id!);
      expect(lines.map((l) => l.custom_id).sort()).toEqual(['a', 'b']);
      for (const l of lines) {
        expect(l.response!.status_code).toBe(200);
        expect(l.response!.body).toMatchObject({ object: 'chat.completion', model: 'gpt-4.1-mini' });
      }
      // The provider saw one batch (the emulator's own list), not two synchronous calls.
      const upstream = await fetchJson(
        `${env.emulator.url}/v1/batches`,
        z.object({ data: z.array(z.object({ metadata: z.record(z.string(), z.string()).nullable() })) }),
        { headers: { authorization: 'Bearer x' } },
      );
      expect(upstream.data.some((b) => b.metadata?.costwise_batch?.startsWith('cwpb_'))).toBe(true);

      const rows = (await ledgerRows(env)).filter((r) => r.requestId.startsWith(`${created.id}:`));
      expect(rows).toHaveLength(2);
      for (const row of rows) {
        const line = present(
          lines.find((l) => `${created.id}:${l.custom_id}` === row.requestId),
          `the output line of ${row.requestId}`,
        );
        const u = shaped(line.response?.body, ChatCompletionBody).usage;
        const sync = expectedPico('gpt-4.1-mini', { input: u.prompt_tokens, output: u.completion_tokens });
        expect(row).toMatchObject({ technique: 'batch', servedModel: 'gpt-4.1-mini', inputTokens: u.prompt_tokens, outputTokens: u.completion_tokens });
        expect(BigInt(row.costPico) * 2n).toBe(sync);
        expect(BigInt(row.baselinePico)).toBe(sync);
      }
      const list = await env.openai.batches.list();
      expect(list.data.map((b) => b.id)).toContain(created.id);
    });
  });
});
