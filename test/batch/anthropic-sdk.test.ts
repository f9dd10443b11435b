// The Anthropic Message Batches surface of costwise through the official SDK, and cross-format
// batches: Claude requests in an OpenAI batch, GPT requests in an Anthropic batch, Gemini (no
// batch API) through the pipeline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type Anthropic from '@anthropic-ai/sdk';
import { expectedPico, type TestEnv } from '../helpers/env.js';
import { ChatCompletionBody } from '../helpers/wire-json.js';
import { fetchJson, shaped } from '../helpers/json.js';
import { chatLine, ledgerRows, readJsonl, startBatchEnv, uploadJsonl, waitOpenAI, BATCH_BACKENDS } from './helpers.js';

describe.each(BATCH_BACKENDS)('over the %s batch store', (backend) => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await startBatchEnv({}, backend);
  });
  afterAll(() => env.close());

  async function waitAnthropic(id: string) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const b = await env.anthropic.messages.batches.retrieve(id);
      if (b.processing_status === 'ended') return b;
      if (Date.now() > deadline) throw new Error(`batch ${id} still ${b.processing_status}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  const ask = (content: string, model = 'claude-haiku-4-5') => ({ model, max_tokens: 100, messages: [{ role: 'user' as const, content }] });

  describe('Anthropic batch API through costwise', () => {
    it('creates, polls and reads results with .results() from an absolute costwise results_url', async () => {
      const created = await env.anthropic.messages.batches.create({
        requests: [
          { custom_id: 'one', params: ask('Hi') },
          { custom_id: 'two', params: ask('Bye') },
        ],
      });
      expect(created).toMatchObject({ type: 'message_batch', processing_status: 'in_progress', results_url: null });
      const ended = await waitAnthropic(created.id);
      expect(ended.request_counts).toEqual({ processing: 0, succeeded: 2, errored: 0, canceled: 0, expired: 0 });
      expect(ended.results_url).toBe(`${env.gateway.url}/v1/messages/batches/${created.id}/results`);
      const results = [];
      for await (const r of await env.anthropic.messages.batches.results(created.id)) results.push(r);
      expect(results.map((r) => r.custom_id).sort()).toEqual(['one', 'two']);
      for (const r of results) {
        expect(r.result.type).toBe('succeeded');
        if (r.result.type === 'succeeded') expect(r.result.message).toMatchObject({ type: 'message', role: 'assistant', model: 'claude-haiku-4-5' });
      }
      const rows = (await ledgerRows(env)).filter((r) => r.requestId.startsWith(`${created.id}:`));
      expect(rows).toHaveLength(2);
      for (const row of rows) {
        const sync = expectedPico('claude-haiku-4-5', {
          input: row.inputTokens,
          cacheRead: row.cacheReadTokens,
          write5m: row.cacheWrite5mTokens,
          write1h: row.cacheWrite1hTokens,
          output: row.outputTokens,
        });
        expect(BigInt(row.costPico) * 2n).toBe(sync);
        expect(row.technique).toBe('batch');
      }
      const listed = [];
      for await (const b of env.anthropic.messages.batches.list()) listed.push(b.id);
      expect(listed).toContain(created.id);
      expect(await env.anthropic.messages.batches.delete(created.id)).toEqual({ id: created.id, type: 'message_batch_deleted' });
      await expect(env.anthropic.messages.batches.retrieve(created.id)).rejects.toMatchObject({ status: 404 });
    });

    it('an invalid item errors alone; the others succeed', async () => {
      const created = await env.anthropic.messages.batches.create({
        requests: [
          { custom_id: 'ok', params: ask('Hi') },
          { custom_id: 'bad', params: { model: 'no-such-model', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] } },
        ],
      });
      await waitAnthropic(created.id);
      const results = new Map<string, Anthropic.Messages.Batches.MessageBatchResult>();
      for await (const r of await env.anthropic.messages.batches.results(created.id)) results.set(r.custom_id, r.result);
      expect(results.get('ok')?.type).toBe('succeeded');
      expect(results.get('bad')).toMatchObject({ type: 'errored', error: { type: 'error', error: { type: 'not_found_error' } } });
    });
  });

  describe('cross-format batches', () => {
    it('an OpenAI-format batch of Claude, GPT and Gemini requests: Claude on Anthropic batches, Gemini through the pipeline, all back in OpenAI format', async () => {
      const fileId = await uploadJsonl(env.openai, [
        chatLine('claude', 'claude-haiku-4-5', 'Hello Claude', { max_tokens: 60 }),
        chatLine('gpt', 'gpt-4.1-nano', 'Hello GPT'),
        chatLine('gemini', 'gemini-2.5-flash', 'Hello Gemini'),
      ]);
      const b = await env.openai.batches.create({ input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h' });
      const done = await waitOpenAI(env.openai, b.id);
      expect(done.status).toBe('completed');
      const lines = new Map((await readJsonl(env.openai, done.output_file_id!)).map((l) => [l.custom_id, l]));
      for (const [id, model] of [
        ['claude', 'claude-haiku-4-5'],
        ['gpt', 'gpt-4.1-nano'],
        ['gemini', 'gemini-2.5-flash'],
      ] as const) {
        expect(lines.get(id)!.response!.body).toMatchObject({ object: 'chat.completion', model, choices: [{ message: { role: 'assistant' } }] });
      }
      // Claude went to Anthropic's batch API (the emulator lists it), Gemini did not.
      const upstream = await fetchJson(`${env.emulator.url}/v1/messages/batches`, z.object({ data: z.array(z.unknown()) }), {
        headers: { 'x-api-key': 'x', 'anthropic-version': '2023-06-01' },
      });
      expect(upstream.data.length).toBeGreaterThan(0);
      const rows = new Map((await ledgerRows(env)).filter((r) => r.requestId.startsWith(`${b.id}:`)).map((r) => [r.requestId.split(':')[1], r]));
      expect(rows.get('claude')).toMatchObject({ technique: 'batch', provider: 'anthropic' });
      const gemini = rows.get('gemini')!;
      expect(gemini.technique).toBeNull();
      const u = shaped(lines.get('gemini')?.response?.body, ChatCompletionBody).usage;
      // No batch API: synchronous price, no discount claimed.
      expect(BigInt(gemini.costPico)).toBe(
        expectedPico('gemini-2.5-flash', {
          input: u.prompt_tokens - (u.prompt_tokens_details?.cached_tokens ?? 0),
          cacheRead: u.prompt_tokens_details?.cached_tokens ?? 0,
          output: u.completion_tokens,
        }),
      );
    });

    it('an Anthropic-format batch of GPT requests runs on OpenAI batches and comes back as Anthropic messages', async () => {
      const created = await env.anthropic.messages.batches.create({ requests: [{ custom_id: 'g1', params: ask('Hi GPT', 'gpt-4.1-nano') }] });
      await waitAnthropic(created.id);
      const results = [];
      for await (const r of await env.anthropic.messages.batches.results(created.id)) results.push(r);
      expect(results).toHaveLength(1);
      expect(results[0]!.result).toMatchObject({ type: 'succeeded', message: { type: 'message', model: 'gpt-4.1-nano' } });
    });
  });
});
