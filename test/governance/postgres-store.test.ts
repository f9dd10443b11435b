// The PostgreSQL key/team store beyond the shared contract (store.test.ts runs that over both
// stores): migrations beside the ledger's tables (and replicas racing to apply them), exact money,
// a caller's pool, PostgreSQL refusing or going away, and replicas (each its own pool) writing at
// once while others follow: one winner per optimistic write, consistent change sets, and a key
// revoked on one replica refused by a resolver on another within 1 s.
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGovernanceAdmin } from '../../src/governance/admin.js';
import { MAX_PICO } from '../../src/governance/pico.js';
import { GOVERNANCE_MIGRATIONS, migrate } from '../../src/governance/postgres-schema.js';
import { openPostgresGovernanceStore } from '../../src/governance/postgres-store.js';
import { createKeyResolver, type KeyResolver } from '../../src/governance/resolver.js';
import type { KeyRecord } from '../../src/governance/schema.js';
import type { GovernanceStore } from '../../src/governance/store.js';
import { openPostgresStore } from '../../src/storage/postgres/index.js';
import { PG_URL, PgGovernance, postgresUp } from './stores.js';

const PG = await postgresUp();
const NOW = 1_750_000_000_000;

let t: PgGovernance;
const resolvers: KeyResolver[] = [];

beforeEach(() => {
  t = new PgGovernance();
});

afterEach(async () => {
  for (const r of resolvers.splice(0)) r.close();
  await t.dispose();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!PG)('schema', () => {
  it('migrates once into the ledger schema, beside the ledger, when replicas and the ledger start at the same moment', async () => {
    // The schema does not exist yet: the ledger store and four governance replicas race to create it.
    const ledger = openPostgresStore({ url: PG_URL, schema: t.schema, log: () => undefined });
    const stores = Array.from({ length: 4 }, () => t.open());
    const bare = postgres(PG_URL, { max: 1, onnotice: () => undefined });
    try {
      await Promise.all([ledger.ready(), ...stores.map((s) => s.ready()), migrate(bare, t.schema)]);
    } finally {
      await bare.end();
      await ledger.close();
    }
    const versions = await t.admin.unsafe(`SELECT version FROM "${t.schema}".gov_schema_version ORDER BY version`);
    expect(versions.map((r) => r['version'] as number)).toEqual(Array.from({ length: GOVERNANCE_MIGRATIONS }, (_, i) => i + 1));
    const tables = await t.admin`SELECT tablename FROM pg_tables WHERE schemaname = ${t.schema} ORDER BY tablename`;
    expect(tables.map((r) => r['tablename'] as string)).toEqual([
      'captured_prompts',
      'counts_hourly',
      'feedback',
      'gov_keys',
      'gov_removed',
      'gov_schema_version',
      'gov_state',
      'gov_teams',
      'ledger',
      'ledger_tags',
      'schema_version',
      'spend_blocks',
      'spend_daily',
      'spend_daily_sealed',
      'spend_hourly',
    ]);
    // Reopening re-runs nothing.
    const before = await t.admin.unsafe(`SELECT version, applied_at FROM "${t.schema}".gov_schema_version`);
    await t.open().ready();
    expect(await t.admin.unsafe(`SELECT version, applied_at FROM "${t.schema}".gov_schema_version`)).toEqual(before);
    await Promise.all(
      stores.map((s, i) => s.insertTeam({ id: `t${i}`, name: 'T', parentId: null, budgets: [], rpm: null, tpm: null, createdAt: NOW, metadata: {} })),
    );
    expect(await stores[0]!.version()).toBe(4);
  });

  it('stores money exactly: no float column, budget limits as decimal strings', async () => {
    const store = t.open();
    const admin = createGovernanceAdmin({ store, now: () => NOW });
    await admin.createKey({ name: 'max', budgets: [{ limitPico: MAX_PICO, period: 'month' }] });
    const floats = await t.admin`SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = ${t.schema} AND data_type IN ('real', 'double precision', 'numeric')`;
    expect(floats).toHaveLength(0);
    const [row] = await t.admin.unsafe(`SELECT budgets::text AS budgets FROM "${t.schema}".gov_keys`);
    expect(row?.['budgets']).toBe('[{"limitPico":"4000000000000000000","period":"month"}]');
  });

  it('refuses a schema written by a newer build', async () => {
    await t.open().ready();
    await t.admin.unsafe(`INSERT INTO "${t.schema}".gov_schema_version (version, applied_at) VALUES (99, 0)`);
    const store = t.open();
    await expect(store.ready()).rejects.toThrow(/version 99, newer than this build/);
    await expect(store.version()).rejects.toThrow(/newer/);
  });

  it('rejects a schema name PostgreSQL would truncate', () => {
    expect(() => openPostgresGovernanceStore({ url: PG_URL, schema: 'x'.repeat(64) })).toThrow(/1 to 63 bytes/);
  });
});

describe.skipIf(!PG)('connections', () => {
  it("runs on a caller's pool (whatever its bigint parsing) and leaves it open", async () => {
    const sql = postgres(PG_URL, { max: 1, onnotice: () => undefined, types: { bigint: postgres.BigInt } });
    try {
      const store = t.open({ sql });
      const { key } = await createGovernanceAdmin({ store, now: () => NOW }).createKey({ name: 'k', tpm: 10_000_000_000, expiresAt: NOW + 1 });
      expect(await store.getKey(key.id)).toMatchObject({ tpm: 10_000_000_000, expiresAt: NOW + 1, version: 1 });
      expect(await store.changesSince(0)).toMatchObject({ version: 1, keys: [key] });
      await store.close();
      await expect(store.version()).rejects.toThrow(/closed/);
      expect((await sql`SELECT 1 AS one`)[0]).toEqual({ one: 1 });
    } finally {
      await sql.end();
    }
  });

  it('fails to start when PostgreSQL cannot be reached, and a follower survives its connection being cut', async () => {
    const down = openPostgresGovernanceStore({ url: 'postgres://postgres@127.0.0.1:1/test', connectTimeoutMs: 1_000 });
    await expect(createKeyResolver({ store: down })).rejects.toThrow();
    await down.close();

    const applicationName = `cw-gov-test-${process.pid}-${Date.now()}`;
    const store = openPostgresGovernanceStore({ url: PG_URL, schema: t.schema, applicationName });
    const admin = createGovernanceAdmin({ store: t.open(), now: () => NOW });
    const { key, secret } = await admin.createKey({ name: 'k' });
    const errors: unknown[] = [];
    const resolver = await createKeyResolver({ store, pollIntervalMs: 20, onError: (err) => errors.push(err) });
    resolvers.push(resolver);
    await t.admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ${applicationName}`;
    await admin.revokeKey(key.id);
    const deadline = Date.now() + 5_000;
    while (resolver.authenticate(secret).ok && Date.now() < deadline) await sleep(10);
    expect(resolver.authenticate(secret)).toMatchObject({ ok: false, reason: 'revoked' });
    expect(resolver.health().lastError).toBeNull();
    await store.close();
  });

  it('answers version() and changesSince while another replica holds the version row; its write then waits its turn', async () => {
    const a = t.open();
    const b = t.open();
    const admin = createGovernanceAdmin({ store: a, now: () => NOW });
    const { key } = await admin.createKey({ name: 'k' });
    const holder = await t.admin.reserve();
    try {
      await holder`BEGIN`;
      await holder.unsafe(`SELECT version FROM "${t.schema}".gov_state FOR UPDATE`);
      const { version, ...rest } = key;
      const pending = b.replaceKey({ ...rest, name: 'renamed' }, version);
      await sleep(200);
      expect(await a.version()).toBe(1);
      expect((await a.changesSince(0)).keys).toEqual([key]);
      await holder`COMMIT`;
      expect(await pending).toMatchObject({ name: 'renamed', version: 2 });
    } finally {
      holder.release();
    }
  });

  it('version() is a cheap read (median well under 5 ms)', async () => {
    const store = t.open();
    await store.ready();
    const times: number[] = [];
    for (let i = 0; i < 100; i++) {
      const t0 = performance.now();
      await store.version();
      times.push(performance.now() - t0);
    }
    times.sort((x, y) => x - y);
    expect(times[times.length >> 1]).toBeLessThan(5);
  });
});

describe.skipIf(!PG)('replicas writing at once', () => {
  it('lets exactly one of two replicas win each optimistic write', async () => {
    const [a, b] = [t.open(), t.open()];
    let { key } = await createGovernanceAdmin({ store: a, now: () => NOW }).createKey({ name: 'k' });
    for (let round = 0; round < 20; round++) {
      const { version, ...rest } = key;
      const results = await Promise.allSettled([a.replaceKey({ ...rest, name: `a${round}` }, version), b.replaceKey({ ...rest, name: `b${round}` }, version)]);
      const won = results.filter((r): r is PromiseFulfilledResult<KeyRecord> => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { kind: 'conflict' } });
      key = won[0]!.value;
      expect(key.version).toBe(round + 2);
    }
    expect(await b.version()).toBe(21);
  });

  it('gives every write its own version and a follower consistent change sets', async () => {
    const writers = [t.open(), t.open()];
    const follower = t.open();
    await follower.ready();
    const copy = new Map<string, KeyRecord>();
    let seen = 0;
    const phase = { done: false }; // an object: the loop below reads it after each await
    const follow = (async () => {
      let polls = 0;
      while (!phase.done || seen < (await follower.version())) {
        const changes = await follower.changesSince(seen);
        for (const k of changes.keys) {
          expect(k.version).toBeGreaterThan(seen);
          expect(k.version).toBeLessThanOrEqual(changes.version);
        }
        for (const id of changes.removedKeys) copy.delete(id);
        for (const k of changes.keys) copy.set(k.id, k);
        expect(changes.version).toBeGreaterThanOrEqual(seen);
        seen = changes.version;
        polls += 1;
      }
      return polls;
    })();
    const versions: number[] = [];
    await Promise.all(
      writers.map(async (store, w) => {
        const admin = createGovernanceAdmin({ store, now: () => NOW });
        for (let i = 0; i < 25; i++) {
          const { key } = await admin.createKey({ name: `w${w}-${i}` });
          const revoked = await admin.revokeKey(key.id);
          versions.push(key.version, revoked.version);
          if (i % 5 === 0 && (await store.deleteKey(key.id))) versions.push(-1);
        }
      }),
    );
    phase.done = true;
    expect(await follow).toBeGreaterThan(1);
    const deletes = versions.filter((v) => v === -1).length;
    const written = versions.filter((v) => v > 0).sort((x, y) => x - y);
    expect(written).toEqual([...new Set(written)]);
    expect(await follower.version()).toBe(written.length + deletes);
    expect(seen).toBe(written.length + deletes);
    const keys = await follower.listKeys();
    expect(keys).toHaveLength(50 - deletes);
    expect(new Map(keys.map((k) => [k.id, k]))).toEqual(copy);
  });

  it('a key revoked through replica A is refused by a resolver on replica B within 1 s, while B writes too', async () => {
    const a: GovernanceStore = t.open();
    const b: GovernanceStore = t.open();
    const adminA = createGovernanceAdmin({ store: a, now: () => NOW });
    const adminB = createGovernanceAdmin({ store: b, now: () => NOW });
    const { key, secret } = await adminA.createKey({ name: 'shared' });
    const resolver = await createKeyResolver({ store: b, now: () => NOW }); // default 500 ms poll
    resolvers.push(resolver);
    expect(resolver.authenticate(secret).ok).toBe(true);
    const flag = { writing: true }; // an object: the loop below reads it after each await
    const background = (async () => {
      let n = 0;
      while (flag.writing) await adminB.createKey({ name: `b${n++}` });
      return n;
    })();
    const revokedAt = performance.now();
    await adminA.revokeKey(key.id);
    while (resolver.authenticate(secret).ok && performance.now() - revokedAt < 2_000) await sleep(5);
    const ms = performance.now() - revokedAt;
    flag.writing = false;
    const created = await background;
    expect(resolver.authenticate(secret)).toEqual({ ok: false, reason: 'revoked', keyId: key.id });
    expect(ms).toBeLessThan(1_000);
    expect(created).toBeGreaterThan(0);
    await resolver.refresh();
    expect(resolver.health()).toMatchObject({ keys: created + 1, lastError: null, version: await a.version() });
  });
});
