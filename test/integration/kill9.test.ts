// Nothing lost on kill -9 (issue 15): a gateway killed with SIGKILL while it answers requests has
// spooled the ledger row of every request it answered; the next start ships them, so every
// request id that got a 200 has exactly one ledger row. Over a SQLite ledger and a PostgreSQL one
// (the spool, in the data directory, ships to either).
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { fetchJson } from '../helpers/json.js';
import { exited, startBin } from '../helpers/process.js';
import { BACKENDS, dropSchema, serveStorage } from '../helpers/backend-env.js';

const Rows = z.object({ data: z.array(z.object({ requestId: z.string(), status: z.number() })) });

describe.each(BACKENDS)('a gateway killed with SIGKILL (%s ledger)', (backend) => {
  const children: ChildProcess[] = [];
  let emulator: RunningEmulator;
  let config: string;
  let schema: string | null = null;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, rateLimits: { requestsPerMinute: 1_000_000, tokensPerMinute: 1_000_000_000 } });
    const dir = mkdtempSync(join(tmpdir(), 'costwise-kill9-'));
    const served = serveStorage(backend, dir);
    schema = served.schema;
    config = join(dir, 'costwise.yaml');
    writeFileSync(
      config,
      [
        // KILL9_NO_SPOOL=1 turns the spool off, to see this test fail without it. (JSON is YAML.)
        `storage: ${JSON.stringify({ ...served.storage, ...(process.env['KILL9_NO_SPOOL'] ? { spool: false } : {}) })}`,
        `providers: [ { name: emu, kind: openai, baseUrl: ${JSON.stringify(emulator.url)}, apiKey: emulated } ]`,
        'models: [ { name: gpt-4.1-mini, provider: emu } ]',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await emulator.close();
    if (schema !== null) await dropSchema(schema);
  });

  it('loses no ledger row of a request it answered', async () => {
    const first = await startBin(['serve', '--config', config, '--port', '0'], {}, children);
    const answered: string[] = [];
    let stop = false;
    const worker = async (w: number) => {
      for (let i = 0; !stop; i++) {
        try {
          const res = await request(`${first.url}/v1/chat/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: `kill ${w}-${i}` }], max_tokens: 8, stream: i % 2 === 0 }),
          });
          await res.body.text();
          const id = res.headers['x-costwise-request-id'];
          if (res.statusCode === 200 && typeof id === 'string') answered.push(id);
        } catch {
          return; // the process is gone
        }
      }
    };
    const load = Promise.all(Array.from({ length: 16 }, (_, w) => worker(w)));
    while (answered.length < 600) await new Promise((r) => setTimeout(r, 10));
    first.child.kill('SIGKILL');
    await exited(first.child);
    stop = true;
    await load;

    const second = await startBin(['serve', '--config', config, '--port', '0'], {}, children);
    const rows = (await fetchJson(`${second.url}/api/requests?limit=1000&offset=0`, Rows)).data;
    let more = rows;
    for (let offset = 1000; more.length === 1000; offset += 1000) {
      more = (await fetchJson(`${second.url}/api/requests?limit=1000&offset=${offset}`, Rows)).data;
      rows.push(...more);
    }
    const count = new Map<string, number>();
    for (const r of rows) count.set(r.requestId, (count.get(r.requestId) ?? 0) + 1);
    const missing = answered.filter((id) => !count.has(id));
    const doubled = [...count].filter(([, n]) => n > 1);
    expect({ answered: answered.length, missing: missing.length, doubled: doubled.length }).toEqual({ answered: answered.length, missing: 0, doubled: 0 });
    second.child.kill('SIGTERM');
    await exited(second.child);
  }, 120_000);
});
