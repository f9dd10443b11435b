// The response store on both backends: owner scoping, expiry, delete, migrations applied once,
// and (PostgreSQL) a second replica reading what the first stored. Then a gateway on a PostgreSQL
// ledger chaining previous_response_id across two gateway processes' stores.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresResponseStore } from '../../src/storage/responses/postgres.js';
import { SqliteResponseStore } from '../../src/storage/responses/sqlite.js';
import { RESPONSE_TTL_MS, type ResponseStore, type StoredResponse } from '../../src/storage/responses/types.js';
import { startTestEnv } from '../helpers/env.js';
import { PG_URL, postgresUp, schemaName } from './backends.js';

const pgUp = await postgresUp();
const schemas: string[] = [];

afterAll(async () => {
  if (!pgUp || schemas.length === 0) return;
  const admin = postgres(PG_URL, { max: 1, onnotice: () => undefined });
  for (const s of schemas) await admin.unsafe(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await admin.end({ timeout: 5 });
});

const T0 = 1_800_000_000_000;
const alice = { tenant: 'default', keyId: 'key_alice' };
const bob = { tenant: 'default', keyId: 'key_bob' };
const aliceElsewhere = { tenant: 'acme', keyId: 'key_alice' };

function stored(id: string, createdAt = T0): StoredResponse {
  return {
    id,
    ...alice,
    createdAt,
    response: { id, object: 'response', output: [{ type: 'message', id: `msg_${id.slice(5)}_0` }] },
    input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }], id: `in_${id.slice(5)}_0` }],
  };
}

type Open = (now: () => number) => Promise<ResponseStore>;

function sqliteOpener(): Open {
  const path = join(mkdtempSync(join(tmpdir(), 'costwise-responses-')), 'ledger.responses.db');
  return (now) => Promise.resolve(new SqliteResponseStore(path, now));
}

function postgresOpener(): Open {
  const schema = schemaName();
  schemas.push(schema);
  return (now) => PostgresResponseStore.open({ url: PG_URL, schema, now });
}

describe.each([
  ['sqlite', sqliteOpener, true],
  ['postgres', postgresOpener, pgUp],
] as const)('response store: %s', (_name, opener, enabled) => {
  it.runIf(enabled)('stores, scopes to the owner, expires after 30 days and deletes', async () => {
    let now = T0;
    const open = opener();
    const store = await open(() => now);
    try {
      await store.put(stored('resp_a'));
      const got = await store.get('resp_a', alice);
      expect(got).toEqual(stored('resp_a'));
      expect(await store.get('resp_a', bob)).toBeNull();
      expect(await store.get('resp_a', aliceElsewhere)).toBeNull();
      expect(await store.delete('resp_a', bob)).toBe(false);
      expect(await store.get('resp_a', alice)).not.toBeNull();

      // A second store on the same database (a restart, or another replica) sees it; migrations ran once.
      const again = await open(() => now);
      expect((await again.get('resp_a', alice))?.response).toEqual(stored('resp_a').response);
      await again.close();

      now = T0 + RESPONSE_TTL_MS - 1;
      expect(await store.get('resp_a', alice)).not.toBeNull();
      now = T0 + RESPONSE_TTL_MS;
      expect(await store.get('resp_a', alice)).toBeNull();

      await store.put(stored('resp_b', now));
      expect(await store.delete('resp_b', alice)).toBe(true);
      expect(await store.get('resp_b', alice)).toBeNull();
      expect(await store.delete('resp_b', alice)).toBe(false);
    } finally {
      await store.close();
    }
  });
});

describe('a gateway on a PostgreSQL ledger keeps responses in its schema', () => {
  const schema = schemaName();
  let env: Awaited<ReturnType<typeof startTestEnv>> | undefined;
  beforeAll(async () => {
    if (!pgUp) return;
    schemas.push(schema);
    env = await startTestEnv({ postgres: { url: PG_URL, schema } });
  });
  afterAll(() => env?.close());

  it.runIf(pgUp)('a response stored by one gateway is chained from another on the same schema', async () => {
    const first = await env!.openai.responses.create({ model: 'gpt-4.1-nano', input: 'Remember: the code word is heron.' });
    const admin = postgres(PG_URL, { max: 1, onnotice: () => undefined });
    try {
      const [row] = await admin.unsafe<Array<{ n: string }>>(`SELECT count(*) AS n FROM "${schema}".responses WHERE id = $1`, [first.id]);
      expect(Number(row!.n)).toBe(1);
    } finally {
      await admin.end({ timeout: 5 });
    }
    const second = await startTestEnv({ postgres: { url: PG_URL, schema } });
    try {
      const chained = await second.openai.responses.create({ model: 'gpt-4.1-nano', previous_response_id: first.id, input: 'What is the code word?' });
      expect(chained.previous_response_id).toBe(first.id);
      expect(chained.usage!.input_tokens).toBeGreaterThan(first.usage!.input_tokens);
      const items = await second.openai.responses.inputItems.list(chained.id, { order: 'asc' });
      expect(items.data.map((i) => i.type)).toEqual(['message', 'message', 'message']);
    } finally {
      await second.close();
    }
  });
});
