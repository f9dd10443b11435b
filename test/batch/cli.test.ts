// `costwise batch …` against a real `costwise serve` process, on SQLite files and on a PostgreSQL
// schema. (Needs dist/: `npm test` builds it first.)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import { BIN, startBin } from '../helpers/process.js';
import { fetchJson, parseJson } from '../helpers/json.js';
import { serveStorage } from '../helpers/backend-env.js';
import { BATCH_BACKENDS, dropSchema } from './helpers.js';

/** A line of `costwise batch results`: the OpenAI batch output format. */
const ResultLine = z.object({ custom_id: z.string().nullable(), response: z.object({ body: z.object({ model: z.string() }) }).nullable() });

const children: ChildProcess[] = [];
const schemas: string[] = [];
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const schema of schemas) await dropSchema(schema);
});

function run(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

const jsonl = [
  {
    custom_id: 'q1',
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'gpt-4.1', messages: [{ role: 'user', content: 'What is 2+2?' }], max_tokens: 20 },
  },
  {
    custom_id: 'q2',
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'gpt-4.1', messages: [{ role: 'user', content: 'What is 3+3?' }], max_tokens: 20 },
  },
]
  .map((l) => JSON.stringify(l))
  .join('\n');

describe.each(BATCH_BACKENDS)('costwise batch (%s ledger and batch store)', (backend) => {
  const dir = mkdtempSync(join(tmpdir(), 'costwise-batch-cli-'));
  let url = '';

  beforeAll(async () => {
    const { storage, schema } = serveStorage(backend, dir);
    if (schema !== null) schemas.push(schema);
    const file = join(dir, 'costwise.yaml');
    writeFileSync(file, JSON.stringify({ ...structuredClone(DEFAULT_CONFIG), storage, batch: { pollIntervalMs: 50 } }));
    url = (await startBin(['serve', '--config', file, '--port', '0'], {}, children)).url;
  });
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM'); // this backend's server, before the next one starts
  });

  it('submit --yes prints the estimate, runs the batch to the end; list and results show it', async () => {
    const input = join(dir, 'in.jsonl');
    writeFileSync(input, jsonl);
    const r = await run(['batch', 'submit', input, '--model', 'claude-haiku-4-5', '--yes', '--url', url]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/2 request\(s\)/);
    expect(r.stdout).toContain('claude-haiku-4-5');
    expect(r.stdout).toMatch(/expected \$0\.\d+ +\(worst case \$0\.\d+\) +— synchronously \$0\.\d+, saving \$0\.\d+/);
    const id = /batch (batch_cw[0-9a-f]+) completed: 2 succeeded/.exec(r.stdout)?.[1];
    expect(id, r.stdout).toBeDefined();
    const listed = await run(['batch', 'list', '--url', url]);
    expect(listed.stdout).toContain(id);
    const results = await run(['batch', 'results', id!, '--url', url]);
    const lines = results.stdout
      .trim()
      .split('\n')
      .map((l) => parseJson(l, ResultLine));
    expect(lines.map((l) => l.custom_id).sort()).toEqual(['q1', 'q2']);
    expect(lines[0]?.response?.body.model).toBe('claude-haiku-4-5');
  });

  it('without --yes (not a terminal) the batch waits; approve runs it; status --wait follows it', async () => {
    const input = join(dir, 'in2.jsonl');
    writeFileSync(input, jsonl);
    const r = await run(['batch', 'submit', input, '--url', url]);
    expect(r.status, r.stderr).toBe(0);
    const id = /batch (batch_cw[0-9a-f]+) is waiting for approval/.exec(r.stdout)?.[1];
    expect(id, r.stdout).toBeDefined();
    const before = await fetchJson(`${url}/api/batches/${id}`, z.object({ state: z.string() }));
    expect(before.state).toBe('awaiting_approval');
    expect((await run(['batch', 'approve', id!, '--url', url])).status).toBe(0);
    const s = await run(['batch', 'status', id!, '--wait', '--url', url]);
    expect(s.stdout).toMatch(/completed: 2 succeeded/);
    const cancel = await run(['batch', 'cancel', id!, '--url', url]);
    expect(cancel.status).not.toBe(0);
    expect(cancel.stderr).toMatch(/Cannot cancel a batch with status 'completed'/);
  });
});
