// The key/team store and the administration over it, over SQLite and PostgreSQL alike (stores.ts):
// records, change versions, optimistic concurrency, team hierarchy rules, and that a secret is never
// written anywhere. postgres-store.test.ts covers what only PostgreSQL has (migrations, replicas).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGovernanceAdmin, type GovernanceAdmin } from '../../src/governance/admin.js';
import { MAX_PICO } from '../../src/governance/pico.js';
import { hashSecret } from '../../src/governance/secret.js';
import { openSqliteGovernanceStore } from '../../src/governance/sqlite-store.js';
import type { GovernanceStore } from '../../src/governance/store.js';
import { openSqliteStore } from '../../src/storage/sqlite.js';
import { postgresUp, SqliteGovernance, testGovernance, type GovernanceBackend, type TestGovernance } from './stores.js';

const PG = await postgresUp();
const BACKENDS: GovernanceBackend[] = PG ? ['SQLite', 'PostgreSQL'] : ['SQLite'];

let backend: TestGovernance;
let store: GovernanceStore;
let admin: GovernanceAdmin;

afterEach(async () => {
  await backend.dispose();
});

describe.each(BACKENDS)('%s governance store', (kind) => {
  beforeEach(() => {
    backend = testGovernance(kind);
    store = backend.open();
    admin = createGovernanceAdmin({ store, now: () => 1_750_000_000_000 });
  });

  it('creates a key, returns the secret once, stores its hash', async () => {
    const { key, secret } = await admin.createKey({
      name: 'ci',
      budgets: [{ limitPico: 10_000_000_000_000_000n, period: 'month' }],
      tags: ['ci'],
      metadata: { owner: 'ops' },
    });
    expect(key).toMatchObject({
      name: 'ci',
      hash: hashSecret(secret),
      displayPrefix: `${secret.slice(0, 7)}…`,
      createdAt: 1_750_000_000_000,
      revokedAt: null,
      version: 1,
    });
    expect(key.id).toMatch(/^key_[0-9A-Za-z]{16}$/);
    expect(await store.getKey(key.id)).toEqual(key);
    expect(key.budgets[0]!.limitPico).toBe(10_000_000_000_000_000n);
    expect(await store.listKeys()).toEqual([key]);
  });

  it('never writes a secret: not in any field, not in what the backend stored', async () => {
    const secrets: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { secret, key } = await admin.createKey({ name: `k${i}` });
      secrets.push(secret, (await admin.rotateKey(key.id)).secret);
    }
    const records = JSON.stringify(await store.listKeys(), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    for (const s of secrets) {
      expect(records).not.toContain(s);
      expect(records).not.toContain(s.slice(3, 20));
    }
    const bytes = await backend.storedText();
    expect(bytes).toContain((await store.listKeys())[0]!.hash); // what was stored was read
    for (const s of secrets) expect(bytes).not.toContain(s.slice(3, 20));
  });

  it('bumps one change version per write and reports changes since a version', async () => {
    expect(await store.version()).toBe(0);
    const team = await admin.createTeam({ id: 'eng', name: 'Engineering' });
    const { key } = await admin.createKey({ name: 'a', teamId: 'eng' });
    expect(await store.version()).toBe(2);
    await admin.revokeKey(key.id);
    const changes = await store.changesSince(2);
    expect(changes).toMatchObject({ version: 3, teams: [], removedKeys: [], removedTeams: [] });
    expect(changes.keys.map((k) => [k.id, k.revokedAt])).toEqual([[key.id, 1_750_000_000_000]]);
    expect((await store.changesSince(0)).teams).toEqual([team]);
    await store.deleteKey(key.id);
    await admin.deleteTeam('eng');
    expect(await store.changesSince(3)).toMatchObject({ version: 5, keys: [], teams: [], removedKeys: [key.id], removedTeams: ['eng'] });
  });

  it('round-trips every field exactly: the largest budget, nulls, metadata in its order', async () => {
    await admin.createTeam({ id: 'eng', name: 'Eng', budgets: [{ limitPico: 1n, period: 'day' }], rpm: 7, metadata: { z: 1, a: null } });
    const { key } = await admin.createKey({
      name: 'every field',
      teamId: 'eng',
      tenant: 'acme',
      allowTenantHeader: true,
      models: ['cheap', 'gpt-4o'],
      budgets: [
        { limitPico: MAX_PICO, period: 'month' },
        { limitPico: 9_007_199_254_740_993n, period: 'week' },
        { limitPico: 0n, period: 'day' },
      ],
      rpm: 10_000_000,
      tpm: 10_000_000_000,
      tags: ['b', 'a'],
      expiresAt: 4_102_444_800_000,
      enabled: false,
      onBudget: 'downgrade',
      metadata: { zeta: 'z', alpha: 0.1, on: true, none: null, big: 1e300 },
    });
    const stored = await store.getKey(key.id);
    expect(stored).toEqual(key);
    expect(stored!.budgets.map((b) => b.limitPico)).toEqual([MAX_PICO, 9_007_199_254_740_993n, 0n]);
    expect(Object.keys(stored!.metadata)).toEqual(['zeta', 'alpha', 'on', 'none', 'big']);
    expect(await store.getTeam('eng')).toMatchObject({ budgets: [{ limitPico: 1n, period: 'day' }], rpm: 7, tpm: null, parentId: null });
    expect(Object.keys((await store.getTeam('eng'))!.metadata)).toEqual(['z', 'a']);
    expect(await store.listKeys({ teamId: 'eng' })).toEqual([key]);
    expect(await store.listKeys({ teamId: 'other' })).toEqual([]);
    expect(await store.getKey('key_missing')).toBeNull();
  });

  it('deletes: a missing id changes nothing, a re-created id is no longer reported removed', async () => {
    const team = await admin.createTeam({ id: 'eng', name: 'Eng' });
    expect(await store.deleteKey('key_missing')).toBe(false);
    expect(await store.deleteTeam('missing')).toBe(false);
    expect(await store.version()).toBe(1);
    expect(await store.deleteTeam('eng')).toBe(true);
    expect(await store.changesSince(1)).toMatchObject({ version: 2, removedTeams: ['eng'] });
    const again = await store.insertTeam({ ...team, name: 'Eng again' });
    expect(again.version).toBe(3);
    expect(await store.changesSince(1)).toMatchObject({ version: 3, teams: [again], removedTeams: [] });
    await expect(store.replaceTeam({ ...team, name: 'stale' }, team.version)).rejects.toMatchObject({ kind: 'conflict' });
    await expect(store.replaceTeam({ ...team, id: 'ghost' }, 1)).rejects.toMatchObject({ kind: 'not_found' });
    expect(await store.version()).toBe(3);
  });

  it('refuses a second key with the same secret hash', async () => {
    const { key } = await admin.createKey({ name: 'a' });
    const other = await admin.createKey({ name: 'b' });
    await expect(store.insertKey({ ...key, id: 'key_other' })).rejects.toMatchObject({ kind: 'conflict', message: /hash/ });
    const { version, ...rest } = other.key;
    await expect(store.replaceKey({ ...rest, hash: key.hash }, version)).rejects.toMatchObject({ kind: 'conflict', message: /hash/ });
    expect(await store.version()).toBe(2);
  });

  it('refuses a stale write (optimistic concurrency) and duplicate ids', async () => {
    const { key } = await admin.createKey({ name: 'a' });
    await store.replaceKey({ ...key, name: 'b' }, key.version);
    await expect(store.replaceKey({ ...key, name: 'c' }, key.version)).rejects.toMatchObject({ kind: 'conflict' });
    await expect(store.replaceKey({ ...key, id: 'key_missing' }, 1)).rejects.toMatchObject({ kind: 'not_found' });
    await expect(store.insertKey({ ...key, hash: 'other' })).rejects.toMatchObject({ kind: 'conflict' });
    // The failed writes rolled their version bumps back.
    expect(await store.version()).toBe(2);
  });

  it('updates keys through the admin, naming invalid fields', async () => {
    const { key } = await admin.createKey({ name: 'a' });
    const updated = await admin.updateKey(key.id, { rpm: 30, tpm: 10_000, models: ['cheap'], name: undefined });
    expect(updated).toMatchObject({ name: 'a', rpm: 30, tpm: 10_000, models: ['cheap'] });
    await expect(admin.updateKey(key.id, { teamId: 'nope' })).rejects.toMatchObject({ kind: 'invalid', issues: [{ path: 'teamId' }] });
    await expect(admin.updateKey(key.id, { rpm: -1 })).rejects.toMatchObject({ kind: 'invalid', issues: [{ path: 'rpm' }] });
    await expect(admin.updateKey('key_nope', { rpm: 1 })).rejects.toMatchObject({ kind: 'not_found' });
  });

  it('rotates a secret: same id, new hash', async () => {
    const { key, secret } = await admin.createKey({ name: 'a' });
    const rotated = await admin.rotateKey(key.id);
    expect(rotated.key.id).toBe(key.id);
    expect(rotated.secret).not.toBe(secret);
    expect(rotated.key.hash).toBe(hashSecret(rotated.secret));
    await admin.revokeKey(key.id);
    await expect(admin.rotateKey(key.id)).rejects.toMatchObject({ kind: 'conflict' });
  });

  it('keeps team hierarchies acyclic and shallow, and deletes only unreferenced teams', async () => {
    await admin.createTeam({ id: 'org', name: 'Org' });
    await admin.createTeam({ id: 'eng', name: 'Eng', parentId: 'org' });
    await admin.createTeam({ id: 'ml', name: 'ML', parentId: 'eng' });
    await expect(admin.updateTeam('org', { parentId: 'ml' })).rejects.toMatchObject({ kind: 'invalid', issues: [{ path: 'parentId', message: 'cycle' }] });
    await expect(admin.updateTeam('org', { parentId: 'org' })).rejects.toMatchObject({ kind: 'invalid' });
    await expect(admin.createTeam({ name: 'x', parentId: 'ghost' })).rejects.toMatchObject({ kind: 'invalid' });
    let parent = 'ml';
    for (let i = 0; i < 5; i++) parent = (await admin.createTeam({ name: `t${i}`, parentId: parent })).id;
    await expect(admin.createTeam({ name: 'too deep', parentId: parent })).rejects.toMatchObject({ kind: 'invalid', issues: [{ message: 'too deep' }] });
    await expect(admin.deleteTeam('eng')).rejects.toMatchObject({ kind: 'conflict' });
    await expect(admin.createTeam({ id: 'org', name: 'again' })).rejects.toMatchObject({ kind: 'conflict' });
  });
});

describe('SQLite governance store', () => {
  let sqlite: SqliteGovernance;
  beforeEach(() => {
    backend = sqlite = new SqliteGovernance();
    store = backend.open();
    admin = createGovernanceAdmin({ store, now: () => 1_750_000_000_000 });
  });

  it('shares the ledger database file with the ledger store (own tables, own schema version)', async () => {
    const ledger = openSqliteStore({ path: sqlite.path });
    ledger.appendLedger({
      requestId: 'r1',
      ts: 1,
      tenant: 't',
      keyId: 'key_x',
      tags: [],
      ingress: 'openai',
      endpoint: 'chat',
      requestedModel: 'm',
      servedModel: 'm',
      provider: 'p',
      inputTokens: 1,
      cacheReadTokens: 0,
      cacheWrite5mTokens: 0,
      cacheWrite1hTokens: 0,
      outputTokens: 1,
      reasoningTokens: 0,
      costPico: 5,
      baselinePico: 5,
      promptCachePico: 0,
      promptTokensRemoved: 0,
      promptHash: null,
      maxTokens: null,
      stopReason: null,
      latencyMs: 1,
      status: 200,
      stream: false,
      errorKind: null,
      route: '',
      technique: null,
      parentId: null,
      attempts: null,
      cache: null,
    });
    await ledger.flush();
    await admin.createKey({ name: 'alongside' });
    expect((await ledger.ledgerRows({ limit: 10 })).length).toBe(1);
    await ledger.close();
    // Reopening migrates nothing twice.
    const again = openSqliteGovernanceStore({ path: sqlite.path });
    expect((await again.listKeys()).map((k) => k.name)).toEqual(['alongside']);
    await again.close();
  });
});
