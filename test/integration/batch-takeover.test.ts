// Batches over several replicas on one PostgreSQL schema: real `costwise serve` processes and one
// emulator whose batch clock is slow. A batch submitted and approved on replica 1 through the
// official openai SDK, replica 1 killed with SIGKILL while the batch runs: replica 2 takes its
// lease over once it expires, finishes the batch and serves its output file; the provider saw one
// batch per provider, the ledger holds one row per item, and their sum is the batch's reported
// cost to the pico-dollar. A batch made on one replica is listed and cancelled on the other.
// (Needs dist/: `npm test` builds it first.)
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import { usdToPico } from '../helpers/env.js';
import { LedgerPage, WithCostwiseView } from '../helpers/api-json.js';
import { fetchJson, shaped } from '../helpers/json.js';
import { exited, startBin, type Started } from '../helpers/process.js';
import { PG_URL, postgresUp, schemaName } from '../storage/backends.js';
import { chatLine, dropSchema, readJsonl, uploadJsonl, waitOpenAI } from '../batch/helpers.js';

const HAS_PG = await postgresUp();
const LEASE_MS = 1_500;

const AdminBatch = z.object({ id: z.string(), state: z.string(), cost_usd: z.string() });
const UpstreamList = z.object({ data: z.array(z.unknown()) });

describe.runIf(HAS_PG)('batches across replicas on one PostgreSQL schema', () => {
  const children: ChildProcess[] = [];
  const schema = schemaName();
  const dir = mkdtempSync(join(tmpdir(), 'costwise-batch-takeover-'));
  let emulator: RunningEmulator;
  let admin: postgres.Sql;

  /** A replica's config: the shared schema, a data directory (spool) of its own. */
  function configFor(name: string): string {
    const config = {
      ...structuredClone(DEFAULT_CONFIG),
      providers: DEFAULT_CONFIG.providers.map((p) => ({ ...p, baseUrl: emulator.url })),
      storage: { ledger: { kind: 'postgres', url: PG_URL, schema }, dataDir: join(dir, name) },
      batch: { pollIntervalMs: 100, leaseMs: LEASE_MS },
    };
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, JSON.stringify(config)); // JSON is YAML
    return file;
  }

  const start = (name: string): Promise<Started> => startBin(['serve', '--config', configFor(name), '--port', '0'], {}, children);
  const client = (r: Started) => new OpenAI({ apiKey: 'sk-replicas', baseURL: `${r.url}/v1`, maxRetries: 0 });

  /** The pid in the replica id holding the batch's lease (`host:pid:random`). */
  async function leaseHolder(batchId: string): Promise<number | null> {
    const [row] = await admin.unsafe<Array<{ lease_owner: string | null }>>(`SELECT lease_owner FROM "${schema}".batches WHERE id = $1`, [batchId]);
    const owner = row?.lease_owner ?? null;
    return owner === null ? null : Number(owner.split(':').at(-2));
  }

  beforeAll(async () => {
    // Provider batches start after 6 s and run 4 items a second; a synchronous answer (the Gemini
    // item, through the pipeline) takes 6 s: both are in flight when replica 1 dies, replica 2
    // having started in the meantime.
    emulator = await startEmulator({ port: 0, latency: { ttftMs: 6_000, perTokenMs: 0 }, batch: { itemsPerSecond: 4, startDelayMs: 6_000, finalizeMs: 20 } });
    admin = postgres(PG_URL, { max: 1, onnotice: () => undefined });
  });

  afterAll(async () => {
    const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
    for (const c of running) c.kill('SIGKILL');
    await Promise.all(running.map((c) => exited(c)));
    await emulator.close();
    await admin.end({ timeout: 1 });
    await dropSchema(schema);
  });

  it('a replica killed mid-batch: another takes the batch over, finishes it once, and serves its output', async () => {
    const first = await start('replica-1');
    const c1 = client(first);
    const fileId = await uploadJsonl(c1, [
      chatLine('n1', 'gpt-4.1-nano', 'One', { max_completion_tokens: 8 }),
      chatLine('n2', 'gpt-4.1-nano', 'Two', { max_completion_tokens: 8 }),
      chatLine('n3', 'gpt-4.1-nano', 'Three', { max_completion_tokens: 8 }),
      chatLine('c1', 'claude-haiku-4-5', 'Four', { max_tokens: 8 }),
      chatLine('g1', 'gemini-2.5-flash', 'Five', { max_tokens: 8 }),
    ]);
    const b = await c1.batches.create(
      { input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h' },
      { headers: { 'x-costwise-approval': 'required' } },
    );
    expect(b.status).toBe('validating');
    const approved = await fetch(`${first.url}/api/batches/${b.id}/approve`, { method: 'POST' });
    expect(approved.status).toBe(200);
    // Replica 1 has taken the batch: its native items are in provider batches, the Gemini item runs.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const c = shaped(await c1.batches.retrieve(b.id), WithCostwiseView).costwise.counts;
      if (c.submitted === 4 && c.running === 1) break;
      if (Date.now() > deadline) throw new Error(`batch not under way on replica 1: ${JSON.stringify(c)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await leaseHolder(b.id)).toBe(first.child.pid);

    const second = await start('replica-2');
    const c2 = client(second);
    first.child.kill('SIGKILL');
    await exited(first.child);
    const killedAt = Date.now();

    // Replica 2 takes the batch once the dead replica's lease has run out (it was renewed every
    // LEASE_MS / 3 until the kill), on its next poll (100 ms).
    while ((await leaseHolder(b.id)) !== second.child.pid) {
      if (Date.now() - killedAt > 10_000) throw new Error('replica 2 never took the batch over');
      await new Promise((r) => setTimeout(r, 20));
    }
    const takeoverMs = Date.now() - killedAt;
    expect(takeoverMs).toBeGreaterThanOrEqual((LEASE_MS * 2) / 3 - 100);
    expect(takeoverMs).toBeLessThan(LEASE_MS + 1_000);
    const done = await waitOpenAI(c2, b.id, 30_000);
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 5, completed: 5, failed: 0 });
    expect(await leaseHolder(b.id)).toBe(second.child.pid);
    const lines = await readJsonl(c2, done.output_file_id!);
    expect(lines.map((l) => l.custom_id).sort()).toEqual(['c1', 'g1', 'n1', 'n2', 'n3']);
    expect(lines.every((l) => l.response?.status_code === 200)).toBe(true);

    // One provider batch per provider, ever: replica 2 polled what replica 1 had created.
    const oa = await fetchJson(`${emulator.url}/v1/batches`, UpstreamList, { headers: { authorization: 'Bearer x' } });
    const an = await fetchJson(`${emulator.url}/v1/messages/batches`, UpstreamList, { headers: { 'x-api-key': 'x', 'anthropic-version': '2023-06-01' } });
    expect(oa.data).toHaveLength(1);
    expect(an.data).toHaveLength(1);

    // One ledger row per item, and together they are the batch's cost to the pico-dollar.
    const rows = (await fetchJson(`${second.url}/api/requests?limit=1000`, LedgerPage)).data.filter((r) => r.requestId.startsWith(`${b.id}:`));
    expect(rows.map((r) => r.requestId).sort()).toEqual(['c1', 'g1', 'n1', 'n2', 'n3'].map((c) => `${b.id}:${c}`));
    const reported = await fetchJson(`${second.url}/api/batches/${b.id}`, AdminBatch);
    const total = rows.reduce((sum, r) => sum + BigInt(r.costPico), 0n);
    expect(total).toBeGreaterThan(0n);
    expect(usdToPico(reported.cost_usd)).toBe(total);
  }, 60_000);

  it('a batch made on one replica is listed, read and cancelled on another', async () => {
    const upstream = async () => (await fetchJson(`${emulator.url}/v1/batches`, UpstreamList, { headers: { authorization: 'Bearer x' } })).data.length;
    const before = await upstream();
    const [one, two] = await Promise.all([start('replica-a'), start('replica-b')]);
    const c1 = client(one);
    const c2 = client(two);
    const fileId = await uploadJsonl(c1, [chatLine('x1', 'gpt-4.1-nano', 'Hello', { max_completion_tokens: 5 })]);
    expect((await c2.files.retrieve(fileId)).filename).toBe('input.jsonl');
    const b = await c1.batches.create(
      { input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h' },
      { headers: { 'x-costwise-approval': 'required' } },
    );
    const seen = await c2.batches.retrieve(b.id);
    expect(seen.status).toBe('validating');
    expect((await c2.batches.list()).data.map((x) => x.id)).toContain(b.id);
    const cancelling = await c2.batches.cancel(b.id);
    expect(cancelling.status).toBe('cancelling');
    const ended = await waitOpenAI(c1, b.id, 10_000);
    expect(ended.status).toBe('cancelled');
    expect((await c2.batches.retrieve(b.id)).status).toBe('cancelled');
    // Nothing reached the provider.
    expect(await upstream()).toBe(before);
  }, 30_000);
});
