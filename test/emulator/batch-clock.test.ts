// The batch lifecycle on an injected emulator clock: exact states and timestamps, no waiting.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBatchOptions } from '../../src/emulator/batch/config.js';
import { BatchJob, SliceBudget, type Outcome } from '../../src/emulator/batch/job.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';

const T0 = 1_800_000_000_000; // a whole second, so Unix-second timestamps are exact
let clock = T0;
let emu: RunningEmulator;
let openai: OpenAI;
let anthropic: Anthropic;
beforeAll(async () => {
  // One item per emulator second: processing follows the clock, not the wall.
  emu = await startEmulator({ now: () => clock, batch: { itemsPerSecond: 1, startDelayMs: 2000, finalizeMs: 3000, expireAfterMs: 3600_000 } });
  openai = new OpenAI({ apiKey: 'x', baseURL: `${emu.url}/v1`, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: 'x', baseURL: emu.url, maxRetries: 0 });
});
afterAll(() => emu.close());

const s = (ms: number): number => Math.floor(ms / 1000);

describe('OpenAI batch on the emulator clock', () => {
  it('walks validating → in_progress → finalizing → completed at the scheduled times', async () => {
    clock = T0;
    const text = ['a', 'b', 'c']
      .map((id) =>
        JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o', messages: [{ role: 'user', content: id }] } }),
      )
      .join('\n');
    const file = await openai.files.create({ file: await toFile(Buffer.from(text), 'in.jsonl'), purpose: 'batch' });
    const b = await openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    expect(b).toMatchObject({ status: 'validating', created_at: s(T0), expires_at: s(T0 + 3600_000), in_progress_at: null });

    clock = T0 + 1999;
    expect((await openai.batches.retrieve(b.id)).status).toBe('validating');
    clock = T0 + 3500; // started at +2000, 1.5 items due
    expect(await openai.batches.retrieve(b.id)).toMatchObject({
      status: 'in_progress',
      in_progress_at: s(T0 + 2000),
      request_counts: { total: 3, completed: 1, failed: 0 },
    });
    clock = T0 + 5000;
    expect(await openai.batches.retrieve(b.id)).toMatchObject({
      status: 'finalizing',
      finalizing_at: s(T0 + 5000),
      request_counts: { completed: 3 },
      output_file_id: null,
    });
    clock = T0 + 60_000;
    const done = await openai.batches.retrieve(b.id);
    expect(done).toMatchObject({ status: 'completed', completed_at: s(T0 + 8000), request_counts: { total: 3, completed: 3, failed: 0 } });
    const out = await (await openai.files.content(done.output_file_id!)).text();
    expect(out.trimEnd().split('\n')).toHaveLength(3);
    // The output file was written when the batch ended, on the emulator clock.
    expect((await openai.files.retrieve(done.output_file_id!)).created_at).toBe(s(T0 + 8000));
  });

  it('cancelling lasts finalizeMs on the clock', async () => {
    clock = T0;
    const text = JSON.stringify({
      custom_id: 'a',
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] },
    });
    const file = await openai.files.create({ file: await toFile(Buffer.from(text), 'in.jsonl'), purpose: 'batch' });
    const b = await openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    clock = T0 + 1000;
    expect(await openai.batches.cancel(b.id)).toMatchObject({ status: 'cancelling', cancelling_at: s(T0 + 1000) });
    clock = T0 + 3999;
    expect((await openai.batches.retrieve(b.id)).status).toBe('cancelling');
    clock = T0 + 4000;
    expect(await openai.batches.retrieve(b.id)).toMatchObject({ status: 'cancelled', cancelled_at: s(T0 + 4000), output_file_id: null, error_file_id: null });
  });
});

describe('Anthropic batch on the emulator clock', () => {
  it('counts processing items down, then ends; results only once ended', async () => {
    clock = T0;
    const requests = ['a', 'b'].map((id) => ({
      custom_id: id,
      params: { model: 'claude-haiku-4-5', max_tokens: 20, messages: [{ role: 'user' as const, content: id }] },
    }));
    const b = await anthropic.messages.batches.create({ requests });
    expect(b.created_at).toBe(new Date(T0).toISOString());
    expect(b.expires_at).toBe(new Date(T0 + 3600_000).toISOString());
    clock = T0 + 3000;
    expect(await anthropic.messages.batches.retrieve(b.id)).toMatchObject({
      processing_status: 'in_progress',
      request_counts: { processing: 1, succeeded: 1 },
    });
    const early = await fetch(`${emu.url}/v1/messages/batches/${b.id}/results`, { headers: { 'x-api-key': 'x' } });
    expect(early.status).toBe(400);
    clock = T0 + 6999; // last item at +4000, then finalizeMs
    expect((await anthropic.messages.batches.retrieve(b.id)).processing_status).toBe('in_progress');
    clock = T0 + 7000;
    const done = await anthropic.messages.batches.retrieve(b.id);
    expect(done).toMatchObject({ processing_status: 'ended', ended_at: new Date(T0 + 7000).toISOString(), request_counts: { processing: 0, succeeded: 2 } });
    const res = await fetch(done.results_url!, { headers: { 'x-api-key': 'x' } });
    expect(res.headers.get('content-type')).toBe('application/x-jsonl');
    expect(res.headers.get('request-id')).toMatch(/^req_/);
    const lines = (await res.text()).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => (JSON.parse(l) as { custom_id: string }).custom_id).sort()).toEqual(['a', 'b']);
  });

  it('a jump past the completion window expires what was not done', async () => {
    clock = T0;
    const requests = Array.from({ length: 5 }, (_, i) => ({
      custom_id: `e${i}`,
      params: { model: 'claude-haiku-4-5', max_tokens: 20, messages: [{ role: 'user' as const, content: 'x' }] },
    }));
    const b = await anthropic.messages.batches.create({ requests }, { headers: { 'x-emulator-batch-expire-after-ms': '4500' } });
    clock = T0 + 10 * 3600_000;
    const done = await anthropic.messages.batches.retrieve(b.id);
    // Started at +2000; items at +3000 and +4000 made it before +4500.
    expect(done).toMatchObject({
      processing_status: 'ended',
      ended_at: new Date(T0 + 4500).toISOString(),
      request_counts: { succeeded: 2, expired: 3, processing: 0 },
    });
  });
});

describe('BatchJob', () => {
  const timing = { createdAt: 0, startDelayMs: 0, itemsPerSecond: 1000, finalizeMs: 0, expiresAt: 1e9 };
  const ok: Outcome = { type: 'succeeded', requestId: 'r', body: {} };

  it('runs only as many items as a slice allows, and reports the backlog', async () => {
    let runs = 0;
    const items = Array.from({ length: 10 }, (_, i) => ({ customId: `i${i}` }));
    const order: string[] = [];
    const job = new BatchJob({
      items,
      timing,
      orderSeed: 1,
      failValidation: false,
      execute: () => {
        runs++;
        return Promise.resolve(ok);
      },
      onResult: (r) => order.push(r.customId),
    });
    expect(await job.advance(1000, new SliceBudget(4, 1000))).toBe(true);
    expect(runs).toBe(4);
    expect(job.phase).toBe('in_progress');
    expect(await job.advance(1000, new SliceBudget(4, 1000))).toBe(true);
    expect(await job.advance(1000, new SliceBudget(4, 1000))).toBe(false);
    expect(runs).toBe(10);
    expect(job.end).toBe('completed');
    // Completion order is a seeded shuffle, the same for the same seed.
    expect(order).toHaveLength(10);
    expect(order).not.toEqual(items.map((i) => i.customId));
    const again: string[] = [];
    const job2 = new BatchJob({
      items,
      timing,
      orderSeed: 1,
      failValidation: false,
      execute: () => Promise.resolve(ok),
      onResult: (r) => again.push(r.customId),
    });
    await job2.advance(1000, new SliceBudget(100, 1000));
    expect(again).toEqual(order);
  });

  it('a cancel during an item stops the job from running more', async () => {
    const items = Array.from({ length: 3 }, (_, i) => ({ customId: `i${i}` }));
    const job: BatchJob<{ customId: string }> = new BatchJob({
      items,
      timing: { ...timing, finalizeMs: 10 },
      orderSeed: 1,
      failValidation: false,
      execute: () => {
        job.cancel(5);
        return Promise.resolve(ok);
      },
      onResult: () => {},
    });
    await job.advance(1000, new SliceBudget(100, 1000));
    expect(job.counts).toEqual({ succeeded: 1, errored: 0, canceled: 2, expired: 0 });
    expect(job.endedAt).toBe(15);
    expect(job.cancel(20)).toBe(false);
  });
});

describe('batch options', () => {
  it('without background, one call runs every due item (a replay sees the same state every run)', async () => {
    let t = T0;
    const quiet = await startEmulator({ now: () => t, batch: { itemsPerSecond: 1000, startDelayMs: 0, finalizeMs: 0, background: false } });
    try {
      const client = new Anthropic({ apiKey: 'x', baseURL: quiet.url, maxRetries: 0 });
      const requests = Array.from({ length: 200 }, (_, i) => ({
        custom_id: `r${i}`,
        params: { model: 'claude-haiku-4-5', max_tokens: 5, messages: [{ role: 'user' as const, content: `q${i}` }] },
      }));
      const b = await client.messages.batches.create({ requests });
      t = T0 + 10_000; // all 200 due; a background slice would run at most 64 per call
      expect((await client.messages.batches.retrieve(b.id)).request_counts).toMatchObject({ processing: 0, succeeded: 200 });
    } finally {
      await quiet.close();
    }
  });

  it('has defaults, rejects unknown keys and bad values', () => {
    expect(parseBatchOptions(undefined)).toEqual({ itemsPerSecond: 50, startDelayMs: 200, finalizeMs: 100, expireAfterMs: 86_400_000, background: true });
    expect(parseBatchOptions({ itemsPerSecond: 5 }).itemsPerSecond).toBe(5);
    // @ts-expect-error -- deliberately a misspelt option: it must be named in the error
    expect(() => parseBatchOptions({ itemsPerSec: 5 })).toThrow(/unknown batch option 'itemsPerSec'/);
    expect(() => parseBatchOptions({ itemsPerSecond: 0 })).toThrow(RangeError);
    expect(() => parseBatchOptions({ startDelayMs: -1 })).toThrow(RangeError);
    // @ts-expect-error -- deliberately a string where a boolean belongs: it must be refused
    expect(() => parseBatchOptions({ background: 'no' })).toThrow(/background must be a boolean/);
  });
});
