// No secret leaks (issue 14): a virtual key's secret, the provider's API key and the admin key never
// appear in the ledger (its rows or its database files), in anything the gateway logs, or in any
// error body — whatever the request did. SQLite only: it reads the ledger's database file and WAL
// byte by byte, and a PostgreSQL ledger keeps its rows in the server, not in files here.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import { startTestEnv, type TestEnv } from '../helpers/env.js';
import { fetchJson } from '../helpers/json.js';

const ADMIN_KEY = 'adm-very-secret-admin-key-0001';
const PROVIDER_KEY = 'sk-provider-very-secret-0002';

let env: TestEnv;
const logged: string[] = [];
const writes = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };

beforeAll(async () => {
  const capture =
    (to: (chunk: string | Uint8Array) => boolean) =>
    (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      logged.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return to(chunk, ...(rest as []));
    };
  process.stdout.write = capture(writes.out);
  process.stderr.write = capture(writes.err);
  env = await startTestEnv({
    config: {
      server: { adminKey: ADMIN_KEY },
      providers: structuredClone(DEFAULT_CONFIG.providers).map((p) => ({ ...p, apiKey: PROVIDER_KEY })),
    },
  });
});
afterAll(async () => {
  await env.close();
  process.stdout.write = writes.out;
  process.stderr.write = writes.err;
});

const admin = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };

describe('secrets stay secret', () => {
  it('a key, the provider key and the admin key appear in no ledger row, database file, log line or error body', async () => {
    const created = await fetchJson(`${env.gateway.url}/api/keys`, z.object({ id: z.string(), key: z.string() }), {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ name: 'leaky?', budget_usd: 1, rpm: 1000 }),
    });
    const secret = created.key;
    const bodies: string[] = [];
    const call = async (key: string, body: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(`${env.gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
        body: JSON.stringify(body),
      });
      bodies.push(await res.text(), JSON.stringify([...res.headers]));
      return res.status;
    };
    const ask = { model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hello' }], max_tokens: 8 };
    expect(await call(secret, ask)).toBe(200);
    expect(await call(secret, { ...ask, stream: true })).toBe(200);
    expect(await call(secret, { ...ask, model: 'nope' })).toBe(404);
    expect(await call(secret, { model: 'gpt-4.1-mini', messages: [] })).toBe(400);
    expect(await call(secret, ask, { 'x-emulator-fault': '500' })).toBeGreaterThanOrEqual(500);
    expect(await call(`${secret.slice(0, -4)}XXXX`, ask)).toBe(401);
    expect(await call(ADMIN_KEY, ask)).toBe(401);
    expect(await call(PROVIDER_KEY, ask)).toBe(401);
    const openai = new OpenAI({ apiKey: secret, baseURL: `${env.gateway.url}/v1`, maxRetries: 0 });
    await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'x' });
    await fetch(`${env.gateway.url}/api/keys/${created.id}`, { method: 'DELETE', headers: admin });
    expect(await call(secret, ask)).toBe(401);
    await env.gateway.deps.store.flush();

    const rows = await (await fetch(`${env.gateway.url}/api/requests?limit=1000`, { headers: admin })).text();
    const keys = await (await fetch(`${env.gateway.url}/api/keys`, { headers: admin })).text();
    const dir = dirname(env.dbPath);
    // The ledger, its WAL and the spool directory beside it.
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .map((f) => join(dir, f))
      .filter((f) => statSync(f).isFile())
      .map((f) => readFileSync(f).toString('latin1'));
    const everything = [rows, keys, ...bodies, ...logged, ...files];
    expect(rows.length).toBeGreaterThan(100);
    for (const s of [secret, secret.slice(3, 20), ADMIN_KEY, PROVIDER_KEY]) {
      const found = everything.findIndex((text) => text.includes(s));
      expect(found, `"${s.slice(0, 8)}…" leaked`).toBe(-1);
    }
  });
});
