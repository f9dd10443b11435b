// The Anthropic Message Batches API of the emulator, driven by the official SDK over real HTTP.
import Anthropic from '@anthropic-ai/sdk';
import type { MessageBatch, MessageBatchIndividualResponse } from '@anthropic-ai/sdk/resources/messages/batches';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { longText } from './helpers.js';
import { present, rejectionOf } from '../helpers/assert.js';
import { readJson, shaped } from '../helpers/json.js';
import { AnthropicErrorBody } from '../helpers/wire-json.js';

let emu: RunningEmulator;
let client: Anthropic;
beforeAll(async () => {
  emu = await startEmulator({ batch: { itemsPerSecond: 400, startDelayMs: 30, finalizeMs: 20 } });
  client = new Anthropic({ apiKey: 'x', baseURL: emu.url, maxRetries: 0 });
});
afterAll(() => emu.close());

const MODEL = 'claude-sonnet-4-0';

function params(content: string, extra: Record<string, unknown> = {}): Anthropic.MessageCreateParamsNonStreaming {
  return { model: MODEL, max_tokens: 200, messages: [{ role: 'user', content }], ...extra };
}

async function waitEnded(id: string, timeoutMs = 3000): Promise<MessageBatch> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const b = await client.messages.batches.retrieve(id);
    if (b.processing_status === 'ended') return b;
    if (Date.now() > deadline) throw new Error(`batch ${id} still ${b.processing_status}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}

/** The message of the 400 a request is refused with (the SDK's BadRequestError, its body in Anthropic's error shape). */
async function refusal(request: PromiseLike<unknown>): Promise<string> {
  const err = await rejectionOf(request, Anthropic.BadRequestError);
  expect(err.status).toBe(400);
  return shaped(err.error, AnthropicErrorBody).error.message;
}

async function results(id: string): Promise<Map<string, MessageBatchIndividualResponse['result']>> {
  const out = new Map<string, MessageBatchIndividualResponse['result']>();
  for await (const r of await client.messages.batches.results(id)) out.set(r.custom_id, r.result);
  return out;
}

describe('message batches', () => {
  it('runs to ended; each message is what the sync API answers, with batch service tier', async () => {
    const requests = [
      { custom_id: 'one', params: params('Hello there') },
      { custom_id: 'two', params: params('Short please', { max_tokens: 9 }) },
      { custom_id: 'three', params: params('With a system prompt', { system: 'Be terse.' }) },
    ];
    const created = await client.messages.batches.create({ requests });
    expect(created).toMatchObject({
      type: 'message_batch',
      processing_status: 'in_progress',
      results_url: null,
      ended_at: null,
      archived_at: null,
      cancel_initiated_at: null,
    });
    expect(created.id).toMatch(/^msgbatch_/);
    expect(created.request_counts).toEqual({ processing: 3, succeeded: 0, errored: 0, canceled: 0, expired: 0 });
    expect(Date.parse(created.expires_at) - Date.parse(created.created_at)).toBe(24 * 3600_000);

    const done = await waitEnded(created.id);
    expect(done.request_counts).toEqual({ processing: 0, succeeded: 3, errored: 0, canceled: 0, expired: 0 });
    expect(done.results_url).toBe(`${emu.url}/v1/messages/batches/${done.id}/results`);
    expect(Date.parse(done.ended_at!)).toBeGreaterThanOrEqual(Date.parse(done.created_at));

    const got = await results(done.id);
    expect([...got.keys()].sort()).toEqual(['one', 'three', 'two']);
    for (const r of requests) {
      const res = got.get(r.custom_id)!;
      if (res.type !== 'succeeded') throw new Error(`${r.custom_id}: ${res.type}`);
      const sync = await client.messages.create(r.params);
      expect(res.message.content).toEqual(sync.content);
      expect(res.message.usage).toEqual({ ...sync.usage, service_tier: 'batch' });
    }
    const two = got.get('two')!;
    expect(two.type === 'succeeded' && two.message.usage.output_tokens).toBe(9);
  });

  it('an item with invalid params, an unknown model or an injected fault errors; the rest succeed', async () => {
    const b = await client.messages.batches.create({
      requests: [
        { custom_id: 'ok', params: params('fine') },
        // @ts-expect-error -- deliberately without the required max_tokens: the item must error
        { custom_id: 'no-max-tokens', params: { model: MODEL, messages: [{ role: 'user', content: 'x' }] } },
        { custom_id: 'bad-model', params: { ...params('x'), model: 'not-a-model' } },
        { custom_id: 'emulator-fail-529', params: params('x') },
      ],
    });
    const done = await waitEnded(b.id);
    expect(done.request_counts).toEqual({ processing: 0, succeeded: 1, errored: 3, canceled: 0, expired: 0 });
    const got = await results(b.id);
    expect(got.get('ok')!.type).toBe('succeeded');
    expect(got.get('no-max-tokens')).toMatchObject({
      type: 'errored',
      error: { type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } },
    });
    expect(got.get('bad-model')).toMatchObject({ type: 'errored', error: { error: { type: 'not_found_error' } } });
    expect(got.get('emulator-fail-529')).toMatchObject({ type: 'errored', error: { error: { type: 'overloaded_error' } } });
  });

  it('caches prompts inside a batch by the normal rules: one item writes, the other reads', async () => {
    const system = [{ type: 'text' as const, text: longText(1200, 'batch-cache'), cache_control: { type: 'ephemeral' as const } }];
    const b = await client.messages.batches.create({
      requests: [
        { custom_id: 'c1', params: params('first question', { system }) },
        { custom_id: 'c2', params: params('second question', { system }) },
      ],
    });
    await waitEnded(b.id);
    const usages = [...(await results(b.id)).values()].map((r) => (r.type === 'succeeded' ? r.message.usage : null));
    const writes = usages.map((u) => u!.cache_creation_input_tokens);
    const reads = usages.map((u) => u!.cache_read_input_tokens);
    expect(writes.filter((n) => n! > 0)).toHaveLength(1);
    expect(reads.filter((n) => n! > 0)).toHaveLength(1);
    expect(Math.max(...writes.map(Number))).toBe(Math.max(...reads.map(Number)));
  });

  it('cancels: canceling, then ended with the unprocessed items canceled', async () => {
    const requests = Array.from({ length: 400 }, (_, i) => ({ custom_id: `c${i}`, params: params(`item ${i}`) }));
    const b = await client.messages.batches.create({ requests });
    await new Promise((r) => setTimeout(r, 100));
    const canceling = await client.messages.batches.cancel(b.id);
    expect(canceling.processing_status).toBe('canceling');
    expect(canceling.cancel_initiated_at).not.toBeNull();
    const done = await waitEnded(b.id);
    const c = done.request_counts;
    expect(c.canceled).toBeGreaterThan(0);
    expect(c.succeeded).toBeGreaterThan(0);
    expect(c.succeeded + c.canceled).toBe(400);
    const got = await results(b.id);
    expect(got.size).toBe(400);
    expect([...got.values()].filter((r) => r.type === 'canceled')).toHaveLength(c.canceled);
  });

  it('expires the items not done within the completion window', async () => {
    const requests = Array.from({ length: 200 }, (_, i) => ({ custom_id: `x${i}`, params: params(`item ${i}`) }));
    const b = await client.messages.batches.create({ requests }, { headers: { 'x-emulator-batch-expire-after-ms': '130' } });
    expect(Date.parse(b.expires_at) - Date.parse(b.created_at)).toBe(130);
    const done = await waitEnded(b.id);
    expect(done.request_counts.expired).toBeGreaterThan(0);
    expect(done.request_counts.succeeded + done.request_counts.expired).toBe(200);
    expect(done.ended_at).toBe(done.expires_at);
    const got = await results(b.id);
    expect([...got.values()].filter((r) => r.type === 'expired')).toHaveLength(done.request_counts.expired);
  });

  it('deletes only ended batches', async () => {
    const b = await client.messages.batches.create({ requests: Array.from({ length: 100 }, (_, i) => ({ custom_id: `d${i}`, params: params('x') })) });
    await expect(client.messages.batches.delete(b.id)).rejects.toMatchObject({ status: 400, error: { error: { type: 'invalid_request_error' } } });
    await expect(client.messages.batches.results(b.id)).rejects.toThrow(/results_url/);
    await waitEnded(b.id);
    expect(await client.messages.batches.delete(b.id)).toEqual({ id: b.id, type: 'message_batch_deleted' });
    await expect(client.messages.batches.retrieve(b.id)).rejects.toMatchObject({ status: 404, error: { error: { type: 'not_found_error' } } });
  });

  it('lists newest first with after_id / before_id, and the SDK auto-paginates', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await client.messages.batches.create({ requests: [{ custom_id: 'p', params: params('x') }] })).id);
    const page = await client.messages.batches.list({ limit: 2 });
    expect(page.data.map((b) => b.id)).toEqual([ids[4], ids[3]]);
    expect(page).toMatchObject({ has_more: true, first_id: ids[4], last_id: ids[3] });
    const seen: string[] = [];
    for await (const b of client.messages.batches.list({ limit: 2 })) seen.push(b.id);
    expect(seen.slice(0, 5)).toEqual([...ids].reverse());
    const newer = await client.messages.batches.list({ limit: 2, before_id: present(ids[1], 'a second batch id') });
    expect(newer.data.map((b) => b.id)).toEqual([ids[3], ids[2]]);
    expect(newer.has_more).toBe(true);
    const older = await client.messages.batches.list({ limit: 2, after_id: present(ids[2], 'a third batch id') });
    expect(older.data.map((b) => b.id)).toEqual([ids[1], ids[0]]);
  });

  it('validates the create request: 400 naming the field, 401 without a key', async () => {
    expect(await refusal(client.messages.batches.create({ requests: [] }))).toContain('requests');
    expect(await refusal(client.messages.batches.create({ requests: [{ custom_id: 'has space', params: params('x') }] }))).toContain('requests.0.custom_id');
    expect(
      await refusal(
        client.messages.batches.create({
          requests: [
            { custom_id: 'same', params: params('x') },
            { custom_id: 'same', params: params('y') },
          ],
        }),
      ),
    ).toContain('requests.1.custom_id');
    // @ts-expect-error -- deliberately without the required params: the create must be refused
    await expect(client.messages.batches.create({ requests: [{ custom_id: 'np' }] })).rejects.toMatchObject({
      status: 400,
      error: { error: { message: 'requests.0.params: Field required' } },
    });
    const res = await fetch(`${emu.url}/v1/messages/batches`, { headers: { 'anthropic-version': '2023-06-01' } });
    expect(res.status).toBe(401);
    expect((await readJson(res, AnthropicErrorBody)).error.type).toBe('authentication_error');
  });
});
