// One budget and one rate limit over three gateway processes sharing Redis and one ledger (a SQLite
// file on this host, or PostgreSQL, where the keys live too):
// 300 requests at concurrency 30 against a $0.02 budget never spend more than $0.02 — the exact sum
// of the admitted answers' x-costwise-cost-usd — yet use at least 80% of it, and the key's spend
// in the admin API equals that sum to the pico-dollar; a 30 rpm key admits at most 30 of 100
// requests sent within 5 s across the three.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { dropPrefix, redisAvailable, REDIS_URL, uniquePrefix } from '../governance/helpers.js';
import { usdToPico } from '../helpers/env.js';
import { fetchJson } from '../helpers/json.js';
import { startBin } from '../helpers/process.js';
import { request } from 'undici';
import postgres from 'postgres';
import { PG_URL, postgresUp, schemaName } from '../storage/backends.js';

async function dropSchema(schema: string): Promise<void> {
  const sql = postgres(PG_URL, { max: 1, onnotice: () => undefined });
  try {
    await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

const HAS_REDIS = await redisAvailable('replica budget tests');
const HAS_PG = await postgresUp();
const LEDGERS = ['SQLite', ...(HAS_PG ? ['PostgreSQL'] : [])] as const;
const BUDGET_USD = '0.02';

const KeyCreated = z.object({ id: z.string(), key: z.string() });
const KeyShown = z.object({ budgets: z.array(z.object({ spent_usd: z.string(), reserved_usd: z.string() })) });

describe.runIf(HAS_REDIS).each(LEDGERS)('three replicas, one budget, one %s ledger', (ledgerKind) => {
  const children: ChildProcess[] = [];
  let emulator: RunningEmulator;
  let urls: string[] = [];
  const prefix = uniquePrefix('replicas');
  const schema = schemaName();

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, rateLimits: { requestsPerMinute: 1_000_000, tokensPerMinute: 1_000_000_000 } });
    const dir = mkdtempSync(join(tmpdir(), 'costwise-replicas-'));
    const config = join(dir, 'costwise.yaml');
    const ledger =
      ledgerKind === 'SQLite' ? `{ path: ${JSON.stringify(join(dir, 'ledger.db'))} }` : `{ kind: postgres, url: ${JSON.stringify(PG_URL)}, schema: ${schema} }`;
    writeFileSync(
      config,
      [
        'server: { auth: keys }',
        `storage: { ledger: ${ledger}, dataDir: ${JSON.stringify(join(dir, 'data'))}, state: { kind: redis, url: ${JSON.stringify(REDIS_URL)}, prefix: ${JSON.stringify(prefix)} } }`,
        `providers: [ { name: emu, kind: openai, baseUrl: ${JSON.stringify(emulator.url)}, apiKey: emulated } ]`,
        'models: [ { name: gpt-4.1-mini, provider: emu }, { name: gpt-4.1-nano, provider: emu } ]',
      ].join('\n'),
    );
    const started = [];
    for (let i = 0; i < 3; i++) started.push(await startBin(['serve', '--config', config, '--port', '0'], {}, children));
    urls = started.map((s) => s.url);
  }, 60_000);

  afterAll(async () => {
    for (const c of children) c.kill('SIGTERM');
    await emulator.close();
    await dropPrefix(prefix);
    if (ledgerKind === 'PostgreSQL') await dropSchema(schema);
  });

  async function createKey(body: Record<string, unknown>): Promise<z.output<typeof KeyCreated>> {
    const key = await fetchJson(`${urls[0]}/api/keys`, KeyCreated, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    // Every replica follows the key store within its poll interval (500 ms).
    for (const url of urls) {
      for (let i = 0; ; i++) {
        const res = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${key.key}` } });
        if (res.status === 200) break;
        if (i > 40) throw new Error(`replica ${url} never accepted the new key`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    return key;
  }

  /** One request; its exact cost from `x-costwise-cost-usd` (a stream's from the trailer of that name). */
  async function send(url: string, key: string, i: number): Promise<{ status: number; costPico: bigint }> {
    const stream = i % 3 === 0;
    const res = await request(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({
        model: 'gpt-4.1-mini',
        messages: [{ role: 'user', content: `Write a short note about request number ${i} for the audit log.` }],
        max_tokens: 400,
        ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
      }),
    });
    await res.body.text();
    if (res.statusCode !== 200) return { status: res.statusCode, costPico: 0n };
    const cost = stream ? res.trailers['x-costwise-cost-usd'] : res.headers['x-costwise-cost-usd'];
    if (typeof cost !== 'string') throw new Error(`no cost on a 200 (stream: ${stream})`);
    return { status: 200, costPico: usdToPico(cost) };
  }

  it('300 requests at concurrency 30 over 3 processes never overspend a $0.02 budget and use at least 80% of it', async () => {
    const key = await createKey({ name: 'shared-budget', budget_usd: BUDGET_USD, budget_period: 'total' });
    const results: Array<{ status: number; costPico: bigint }> = [];
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < 300; i = next++) results.push(await send(urls[i % 3]!, key.key, i));
    };
    await Promise.all(Array.from({ length: 30 }, worker));
    const admitted = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 402);
    expect(admitted.length + refused.length).toBe(300);
    const spent = admitted.reduce((sum, r) => sum + r.costPico, 0n);
    const limit = usdToPico(BUDGET_USD);
    expect(spent).toBeLessThanOrEqual(limit);
    expect(spent * 100n).toBeGreaterThanOrEqual(limit * 80n);
    expect(refused.length).toBeGreaterThan(0);
    for (const url of urls) {
      const shown = await fetchJson(`${url}/api/keys/${key.id}`, KeyShown);
      expect(usdToPico(shown.budgets[0]!.spent_usd)).toBe(spent);
      expect(shown.budgets[0]!.reserved_usd).toBe('0');
    }
  }, 120_000);

  it('a 30 rpm key admits at most 30 of 100 requests sent within 5 s across the 3 processes', async () => {
    const key = await createKey({ name: 'thirty-rpm', rpm: 30 });
    const started = Date.now();
    const statuses = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        await new Promise((r) => setTimeout(r, (i * 4_000) / 100));
        const res = await fetch(`${urls[i % 3]}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key.key}` },
          body: JSON.stringify({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: `ping ${i}` }], max_tokens: 4 }),
        });
        await res.arrayBuffer();
        return res.status;
      }),
    );
    expect(Date.now() - started).toBeLessThan(5_000 + 2_000);
    expect(statuses.filter((s) => s === 200)).toHaveLength(30);
    expect(statuses.filter((s) => s === 429)).toHaveLength(70);
  }, 60_000);

  it('a key revoked on one replica is refused by every replica within 1 s', async () => {
    const key = await createKey({ name: 'short-lived' });
    const revoked = await fetch(`${urls[0]}/api/keys/${key.id}`, { method: 'DELETE' });
    expect(revoked.status).toBe(200);
    const at = Date.now();
    for (const url of urls) {
      for (;;) {
        const res = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${key.key}` } });
        if (res.status === 401) break;
        expect(Date.now() - at).toBeLessThan(1_000);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    expect(Date.now() - at).toBeLessThan(1_000);
  }, 30_000);
});
