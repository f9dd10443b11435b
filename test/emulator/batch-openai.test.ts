// The OpenAI Batch API of the emulator, driven by the official SDK over real HTTP.
import OpenAI, { toFile } from 'openai';
import type { Batch } from 'openai/resources/batches';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { present } from '../helpers/assert.js';
import { parseJson, readJson, shaped } from '../helpers/json.js';
import { ChatCompletionReply, EmbeddingsReply, OpenAIErrorBody, OutputLine } from '../helpers/wire-json.js';

let emu: RunningEmulator;
let client: OpenAI;
beforeAll(async () => {
  emu = await startEmulator({ batch: { itemsPerSecond: 400, startDelayMs: 30, finalizeMs: 20 } });
  client = new OpenAI({ apiKey: 'x', baseURL: `${emu.url}/v1`, maxRetries: 0 });
});
afterAll(() => emu.close());

const MODEL = 'gpt-4o-mini';
const ENDED = new Set(['completed', 'failed', 'expired', 'cancelled']);

interface Line {
  custom_id: string;
  method?: string;
  url?: string;
  body: object;
}

interface ChatLine extends Line {
  body: OpenAI.ChatCompletionCreateParamsNonStreaming;
}

function chat(customId: string, content: string, extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {}): ChatLine {
  return { custom_id: customId, body: { model: MODEL, messages: [{ role: 'user', content }], ...extra } };
}

async function upload(lines: Array<Line | string>, url = '/v1/chat/completions'): Promise<string> {
  const text = lines.map((l) => (typeof l === 'string' ? l : JSON.stringify({ method: 'POST', url, ...l }))).join('\n');
  const file = await client.files.create({ file: await toFile(Buffer.from(text), 'input.jsonl'), purpose: 'batch' });
  return file.id;
}

async function waitEnded(id: string, timeoutMs = 3000): Promise<Batch> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const b = await client.batches.retrieve(id);
    if (ENDED.has(b.status)) return b;
    if (Date.now() > deadline) throw new Error(`batch ${id} still ${b.status}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}

async function readJsonl(fileId: string): Promise<OutputLine[]> {
  const text = await (await client.files.content(fileId)).text();
  expect(text.endsWith('\n')).toBe(true);
  return text
    .trimEnd()
    .split('\n')
    .map((l) => parseJson(l, OutputLine));
}

function byCustomId(lines: OutputLine[]): Map<string | null, OutputLine> {
  return new Map(lines.map((l) => [l.custom_id, l]));
}

describe('files', () => {
  it('uploads multipart as the SDK sends it, then retrieves, downloads, lists and deletes', async () => {
    const text = `${JSON.stringify({ custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: { model: MODEL, messages: [] } })}\n`;
    const f = await client.files.create({ file: await toFile(Buffer.from(text), 'mine.jsonl'), purpose: 'batch' });
    expect(f).toMatchObject({ object: 'file', bytes: Buffer.byteLength(text), filename: 'mine.jsonl', purpose: 'batch', status: 'processed' });
    expect(f.id).toMatch(/^file-/);
    expect(f.expires_at! - f.created_at).toBe(30 * 86_400);
    expect(await client.files.retrieve(f.id)).toEqual(f);
    expect(await (await client.files.content(f.id)).text()).toBe(text);
    const listed = [];
    for await (const x of client.files.list({ purpose: 'batch' })) listed.push(x.id);
    expect(listed).toContain(f.id);
    expect(await client.files.delete(f.id)).toEqual({ id: f.id, object: 'file', deleted: true });
    await expect(client.files.retrieve(f.id)).rejects.toMatchObject({ status: 404, error: { param: 'id' } });
  });

  it('rejects a batch upload that is not .jsonl, and a missing purpose', async () => {
    await expect(client.files.create({ file: await toFile(Buffer.from('{}'), 'input.txt'), purpose: 'batch' })).rejects.toMatchObject({
      status: 400,
      error: { param: 'file' },
    });
    const form = new FormData();
    form.append('file', new Blob(['{}']), 'x.jsonl');
    const res = await fetch(`${emu.url}/v1/files`, { method: 'POST', body: form, headers: { authorization: 'Bearer x' } });
    expect(res.status).toBe(400);
    expect((await readJson(res, OpenAIErrorBody)).error.param).toBe('purpose');
  });
});

describe('batches', () => {
  it('runs a chat batch to completed; every item matches what the sync API answers, usage included', async () => {
    const lines = [chat('r1', 'Hello there'), chat('r2', 'What is a batch?', { max_completion_tokens: 12 }), chat('r3', 'Third one', { n: 2 })];
    const created = await client.batches.create({
      input_file_id: await upload(lines),
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { job: 'nightly' },
    });
    expect(created).toMatchObject({
      object: 'batch',
      status: 'validating',
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { job: 'nightly' },
      output_file_id: null,
    });
    expect(created.id).toMatch(/^batch_/);
    expect(created.request_counts).toEqual({ total: 0, completed: 0, failed: 0 });

    const done = await waitEnded(created.id);
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 3, completed: 3, failed: 0 });
    expect(done.model).toBe(MODEL);
    expect(done.error_file_id).toBeNull();
    for (const k of ['in_progress_at', 'finalizing_at', 'completed_at'] as const) expect(done[k]).toBeGreaterThanOrEqual(done.created_at);
    expect(done.expires_at).toBe(done.created_at + 86_400);

    const out = byCustomId(await readJsonl(done.output_file_id!));
    expect([...out.keys()].sort()).toEqual(['r1', 'r2', 'r3']);
    let input = 0;
    let output = 0;
    for (const line of lines) {
      const item = present(out.get(line.custom_id), `the output line of ${line.custom_id}`);
      expect(item.id).toMatch(/^batch_req_/);
      expect(item.error).toBeNull();
      expect(item.response?.status_code).toBe(200);
      expect(item.response?.request_id).toMatch(/^req_/);
      const sync = await client.chat.completions.create(line.body);
      const body = shaped(item.response?.body, ChatCompletionReply);
      expect(body.object).toBe('chat.completion');
      expect(body.usage).toEqual(sync.usage);
      expect(body.choices.map((c) => c.message.content)).toEqual(sync.choices.map((c) => c.message.content));
      input += body.usage.prompt_tokens;
      output += body.usage.completion_tokens;
    }
    expect(shaped(out.get('r2')?.response?.body, ChatCompletionReply).usage.completion_tokens).toBe(12);
    expect(done.usage).toEqual({
      input_tokens: input,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: output,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: input + output,
    });
  });

  it('runs an embeddings batch', async () => {
    const body = { model: 'text-embedding-3-small', input: ['one', 'two'], dimensions: 8 };
    const b = await client.batches.create({
      input_file_id: await upload([{ custom_id: 'e1', body }], '/v1/embeddings'),
      endpoint: '/v1/embeddings',
      completion_window: '24h',
    });
    const done = await waitEnded(b.id);
    expect(done.status).toBe('completed');
    const [line] = await readJsonl(done.output_file_id!);
    const sync = await client.embeddings.create({ ...body, encoding_format: 'float' });
    const embeddings = shaped(line?.response?.body, EmbeddingsReply);
    expect(embeddings.usage).toEqual(sync.usage);
    expect(embeddings.data[1]?.embedding).toEqual(sync.data[1]?.embedding);
    expect(done.usage!.input_tokens).toBe(sync.usage.prompt_tokens);
  });

  it('applies x-emulator-output-tokens from the create request to every item', async () => {
    const b = await client.batches.create(
      { input_file_id: await upload([chat('a', 'x'), chat('b', 'y')]), endpoint: '/v1/chat/completions', completion_window: '24h' },
      { headers: { 'x-emulator-output-tokens': '7' } },
    );
    const done = await waitEnded(b.id);
    const lines = await readJsonl(done.output_file_id!);
    expect(lines.map((l) => shaped(l.response?.body, ChatCompletionReply).usage.completion_tokens)).toEqual([7, 7]);
  });

  it('sends an invalid request body and an injected fault to the error file; the rest succeed', async () => {
    const lines = [
      chat('good-1', 'fine'),
      { custom_id: 'bad', body: { model: MODEL, messages: [] } },
      chat('emulator-fail-503-x', 'fine'),
      chat('good-2', 'also fine'),
    ];
    const b = await client.batches.create({ input_file_id: await upload(lines), endpoint: '/v1/chat/completions', completion_window: '24h' });
    const done = await waitEnded(b.id);
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 4, completed: 2, failed: 2 });
    expect([...byCustomId(await readJsonl(done.output_file_id!)).keys()].sort()).toEqual(['good-1', 'good-2']);
    const errors = byCustomId(await readJsonl(done.error_file_id!));
    expect(errors.get('bad')!.response).toMatchObject({
      status_code: 400,
      body: { error: { type: 'invalid_request_error', param: 'messages', code: 'empty_array' } },
    });
    expect(errors.get('emulator-fail-503-x')!.response).toMatchObject({ status_code: 503, body: { error: { type: 'server_error' } } });
  });

  it('fails validation when a line is malformed, naming each bad line', async () => {
    const lines: Array<Line | string> = [chat('ok', 'x'), '{not json', { custom_id: 'wrong-url', url: '/v1/embeddings', body: {} }, chat('ok', 'duplicate')];
    const b = await client.batches.create({ input_file_id: await upload(lines), endpoint: '/v1/chat/completions', completion_window: '24h' });
    const done = await waitEnded(b.id);
    expect(done.status).toBe('failed');
    expect(done.failed_at).toBeGreaterThanOrEqual(done.created_at);
    expect(done.in_progress_at).toBeNull();
    expect(done.request_counts).toEqual({ total: 0, completed: 0, failed: 0 });
    expect(done.output_file_id).toBeNull();
    expect(done.errors!.data!.map((e) => [e.line, e.code, e.param])).toEqual([
      [2, 'invalid_json_line', null],
      [3, 'invalid_value', 'url'],
      [4, 'duplicate_custom_id', 'custom_id'],
    ]);
  });

  it('cancels: cancelling, then cancelled with partial output', async () => {
    // 400 items at 400/s: about a second of work, cancelled after ~100 ms.
    const lines = Array.from({ length: 400 }, (_, i) => chat(`c${i}`, `item ${i}`));
    const b = await client.batches.create({ input_file_id: await upload(lines), endpoint: '/v1/chat/completions', completion_window: '24h' });
    await new Promise((r) => setTimeout(r, 100));
    const cancelling = await client.batches.cancel(b.id);
    expect(cancelling.status).toBe('cancelling');
    expect(cancelling.cancelling_at).not.toBeNull();
    const done = await waitEnded(b.id);
    expect(done.status).toBe('cancelled');
    expect(done.cancelled_at).not.toBeNull();
    expect(done.request_counts!.total).toBe(400);
    const produced = done.output_file_id ? (await readJsonl(done.output_file_id)).length : 0;
    expect(produced).toBe(done.request_counts!.completed);
    expect(produced).toBeGreaterThan(0);
    expect(produced).toBeLessThan(400);
    await expect(client.batches.cancel(b.id)).rejects.toMatchObject({ status: 400 });
  });

  it('expires: items not done within the completion window go to the error file as batch_expired', async () => {
    const lines = Array.from({ length: 200 }, (_, i) => chat(`x${i}`, `item ${i}`));
    const b = await client.batches.create(
      { input_file_id: await upload(lines), endpoint: '/v1/chat/completions', completion_window: '24h' },
      { headers: { 'x-emulator-batch-expire-after-ms': '130' } },
    );
    const done = await waitEnded(b.id);
    expect(done.status).toBe('expired');
    expect(done.expired_at).toBe(done.expires_at);
    const completed = done.request_counts!.completed;
    expect(completed).toBeGreaterThan(0);
    expect(completed).toBeLessThan(200);
    const errors = await readJsonl(done.error_file_id!);
    expect(errors).toHaveLength(200 - completed);
    expect(errors[0]).toMatchObject({ response: null, error: { code: 'batch_expired' } });
  });

  it('lists newest first, and the SDK auto-paginates with after/limit', async () => {
    const file = await upload([chat('p', 'x')]);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await client.batches.create({ input_file_id: file, endpoint: '/v1/chat/completions', completion_window: '24h' })).id);
    const first = await client.batches.list({ limit: 2 });
    expect(first.data.map((b) => b.id)).toEqual([ids[4], ids[3]]);
    expect(first.has_more).toBe(true);
    const seen: string[] = [];
    for await (const b of client.batches.list({ limit: 2 })) seen.push(b.id);
    expect(seen.slice(0, 5)).toEqual([...ids].reverse());
    expect(new Set(seen).size).toBe(seen.length);
    const raw: unknown = await fetch(`${emu.url}/v1/batches?limit=2&after=${ids[3]}`, { headers: { authorization: 'Bearer x' } }).then((r) => r.json());
    expect(raw).toMatchObject({ object: 'list', first_id: ids[2], last_id: ids[1], has_more: true });
  });

  it('answers 400 naming the field, 404 for unknown ids, 401 without a key', async () => {
    const file = await upload([chat('p', 'x')]);
    await expect(client.batches.create({ input_file_id: file, endpoint: '/v1/responses', completion_window: '24h' })).rejects.toMatchObject({
      status: 400,
      error: { param: 'endpoint' },
    });
    // @ts-expect-error -- deliberately a completion window other than 24h: it must be refused
    await expect(client.batches.create({ input_file_id: file, endpoint: '/v1/chat/completions', completion_window: '1h' })).rejects.toMatchObject({
      status: 400,
      error: { param: 'completion_window' },
    });
    await expect(client.batches.create({ input_file_id: 'file-nope', endpoint: '/v1/chat/completions', completion_window: '24h' })).rejects.toMatchObject({
      status: 404,
      error: { param: 'input_file_id' },
    });
    // @ts-expect-error -- deliberately without the required input_file_id: it must be refused
    await expect(client.batches.create({ endpoint: '/v1/chat/completions', completion_window: '24h' })).rejects.toMatchObject({
      status: 400,
      error: { param: 'input_file_id', code: 'missing_required_parameter' },
    });
    await expect(client.batches.retrieve('batch_nope')).rejects.toMatchObject({ status: 404, error: { type: 'invalid_request_error' } });
    await expect(client.batches.list({ after: 'batch_nope' })).rejects.toMatchObject({ status: 400, error: { param: 'after' } });
    const res = await fetch(`${emu.url}/v1/batches`);
    expect(res.status).toBe(401);
  });
});
