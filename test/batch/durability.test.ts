// A real `costwise serve` process killed with SIGKILL while its batch runs on the provider, then
// restarted on the same ledger and batch database: the batch finishes, no item is lost, none is
// submitted to the provider or billed twice. Over SQLite files and over a PostgreSQL schema (the
// ledger and the batch tables in it, the spool in the data directory). (Needs dist/: `npm test`
// builds it first.)
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import { expectedPico } from '../helpers/env.js';
import { LedgerPage, WithCostwiseView } from '../helpers/api-json.js';
import { fetchJson, shaped } from '../helpers/json.js';
import { exited, startBin } from '../helpers/process.js';
import { BATCH_BACKENDS, chatLine, dropSchema, readJsonl, uploadJsonl, waitOpenAI } from './helpers.js';
import { serveStorage } from '../helpers/backend-env.js';

const children: ChildProcess[] = [];
const emulators: RunningEmulator[] = [];
const schemas: string[] = [];
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const e of emulators) await e.close();
  for (const s of schemas) await dropSchema(s);
});

describe.each(BATCH_BACKENDS)('durability (%s ledger and batch store)', (backend) => {
  it('survives kill -9 mid-batch: resumes polling, bills each item exactly once', async () => {
    const emulator = await startEmulator({ port: 0, batch: { itemsPerSecond: 4, startDelayMs: 800, finalizeMs: 20 } });
    emulators.push(emulator);
    const dir = mkdtempSync(join(tmpdir(), 'costwise-batch-kill-'));
    const { storage, schema } = serveStorage(backend, dir);
    if (schema !== null) schemas.push(schema);
    const config = {
      ...structuredClone(DEFAULT_CONFIG),
      providers: DEFAULT_CONFIG.providers.map((p) => ({ ...p, baseUrl: emulator.url })),
      storage,
      batch: { pollIntervalMs: 50, leaseMs: 1_500 }, // the killed process's leases (PostgreSQL) expire soon after the restart
    };
    const file = join(dir, 'costwise.yaml');
    writeFileSync(file, JSON.stringify(config)); // JSON is YAML
    const args = ['serve', '--config', file, '--port', '0'];

    const first = await startBin(args, {}, children);
    const client1 = new OpenAI({ apiKey: 'sk-kill', baseURL: `${first.url}/v1`, maxRetries: 0 });
    const fileId = await uploadJsonl(client1, [
      chatLine('n1', 'gpt-4.1-nano', 'One', { max_completion_tokens: 8 }),
      chatLine('n2', 'gpt-4.1-nano', 'Two', { max_completion_tokens: 8 }),
      chatLine('c1', 'claude-haiku-4-5', 'Three', { max_tokens: 8 }),
      chatLine('g1', 'gemini-2.5-flash', 'Four', { max_tokens: 8 }),
    ]);
    const b = await client1.batches.create({ input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const deadline = Date.now() + 5000;
    for (;;) {
      const c = shaped(await client1.batches.retrieve(b.id), WithCostwiseView).costwise.counts;
      if (c.submitted === 3) break;
      if (Date.now() > deadline) throw new Error(`provider batches not submitted: ${JSON.stringify(c)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    first.child.kill('SIGKILL');
    await exited(first.child);

    const second = await startBin(args, {}, children);
    const client2 = new OpenAI({ apiKey: 'sk-kill', baseURL: `${second.url}/v1`, maxRetries: 0 });
    const done = await waitOpenAI(client2, b.id, 15_000);
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 4, completed: 4, failed: 0 });
    const lines = await readJsonl(client2, done.output_file_id!);
    expect(lines.map((l) => l.custom_id).sort()).toEqual(['c1', 'g1', 'n1', 'n2']);

    // One provider batch per provider, ever: nothing was submitted again after the restart.
    const list = z.object({ data: z.array(z.unknown()) });
    const oa = await fetchJson(`${emulator.url}/v1/batches`, list, { headers: { authorization: 'Bearer x' } });
    const an = await fetchJson(`${emulator.url}/v1/messages/batches`, list, { headers: { 'x-api-key': 'x', 'anthropic-version': '2023-06-01' } });
    expect(oa.data).toHaveLength(1);
    expect(an.data).toHaveLength(1);

    const rows = (await fetchJson(`${second.url}/api/requests?limit=1000`, LedgerPage)).data.filter((r) => r.requestId.startsWith(`${b.id}:`));
    expect(rows.map((r) => r.requestId).sort()).toEqual(['c1', 'g1', 'n1', 'n2'].map((c) => `${b.id}:${c}`));
    for (const row of rows.filter((r) => r.servedModel === 'gpt-4.1-nano')) {
      expect(BigInt(row.costPico) * 2n).toBe(
        expectedPico('gpt-4.1-nano', { input: row.inputTokens, cacheRead: row.cacheReadTokens, output: row.outputTokens }),
      );
    }
    second.child.kill('SIGTERM');
    await exited(second.child);
  }, 60_000);
});
