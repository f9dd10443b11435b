// The key resolver: answers from memory, follows the store, and sees a revocation made on another
// replica (another connection) within 1 s.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGovernanceAdmin, type GovernanceAdmin } from '../../src/governance/admin.js';
import { createKeyResolver, type KeyResolver } from '../../src/governance/resolver.js';
import { generateSecret } from '../../src/governance/secret.js';
import { openSqliteGovernanceStore } from '../../src/governance/sqlite-store.js';
import type { GovernanceStore } from '../../src/governance/store.js';

let dir: string;
let path: string;
const opened: Array<{ close(): unknown }> = [];
let adminStore: GovernanceStore;
let admin: GovernanceAdmin;
let clock: number;

function replicaStore(): GovernanceStore {
  const store = openSqliteGovernanceStore({ path });
  opened.push(store);
  return store;
}

async function replica(pollIntervalMs?: number): Promise<KeyResolver> {
  const resolver = await createKeyResolver({ store: replicaStore(), now: () => clock, ...(pollIntervalMs ? { pollIntervalMs } : {}) });
  opened.unshift(resolver);
  return resolver;
}

beforeEach(() => {
  clock = 1_750_000_000_000;
  dir = mkdtempSync(join(tmpdir(), 'costwise-gov-resolver-'));
  path = join(dir, 'ledger.db');
  adminStore = replicaStore();
  admin = createGovernanceAdmin({ store: adminStore, now: () => clock });
});

afterEach(async () => {
  for (const o of opened.splice(0)) await o.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('key resolver', () => {
  it('authenticates a key with its team chain, nearest first', async () => {
    await admin.createTeam({ id: 'org', name: 'Org', budgets: [{ limitPico: 100n, period: 'month' }] });
    await admin.createTeam({ id: 'eng', name: 'Eng', parentId: 'org' });
    const { key, secret } = await admin.createKey({ name: 'a', teamId: 'eng' });
    const resolver = await replica();
    const auth = resolver.authenticate(secret);
    expect(auth.ok).toBe(true);
    if (!auth.ok) return;
    expect(auth.key.id).toBe(key.id);
    expect(auth.teams.map((t) => t.id)).toEqual(['eng', 'org']);
    expect(resolver.health()).toMatchObject({ keys: 1, teams: 2, lastError: null });
  });

  it('names why a secret is refused', async () => {
    const resolver = await replica();
    const make = async (fields: Parameters<GovernanceAdmin['createKey']>[0]) => (await admin.createKey(fields)).secret;
    const revoked = await make({ name: 'r' });
    await admin.revokeKey((await adminStore.listKeys())[0]!.id);
    const disabled = await make({ name: 'd', enabled: false });
    const expired = await make({ name: 'e', expiresAt: clock + 1000 });
    await resolver.refresh();
    expect(resolver.authenticate(revoked)).toMatchObject({ ok: false, reason: 'revoked' });
    expect(resolver.authenticate(disabled)).toMatchObject({ ok: false, reason: 'disabled' });
    expect(resolver.authenticate(expired)).toMatchObject({ ok: true });
    clock += 1000;
    expect(resolver.authenticate(expired)).toMatchObject({ ok: false, reason: 'expired' });
    expect(resolver.authenticate(generateSecret())).toEqual({ ok: false, reason: 'unknown' });
    expect(resolver.authenticate('sk-not-ours')).toEqual({ ok: false, reason: 'unknown' });
    expect(resolver.authenticate('')).toEqual({ ok: false, reason: 'unknown' });
  });

  it('follows rotation, deletion and team changes', async () => {
    await admin.createTeam({ id: 'a', name: 'A' });
    await admin.createTeam({ id: 'b', name: 'B' });
    const { key, secret } = await admin.createKey({ name: 'k', teamId: 'a' });
    const resolver = await replica();
    const rotated = await admin.rotateKey(key.id);
    await admin.updateTeam('a', { parentId: 'b' });
    await resolver.refresh();
    expect(resolver.authenticate(secret)).toMatchObject({ ok: false, reason: 'unknown' });
    const auth = resolver.authenticate(rotated.secret);
    expect(auth.ok && auth.teams.map((t) => t.id)).toEqual(['a', 'b']);
    await adminStore.deleteKey(key.id);
    await resolver.refresh();
    expect(resolver.authenticate(rotated.secret)).toMatchObject({ ok: false, reason: 'unknown' });
    expect(resolver.health().keys).toBe(0);
  });

  it('a revocation on one replica reaches two others within 1 s (default 500 ms poll)', async () => {
    const { key, secret } = await admin.createKey({ name: 'shared' });
    const replicas = [await replica(), await replica()];
    for (const r of replicas) expect(r.authenticate(secret).ok).toBe(true);
    const revokedAt = performance.now();
    await admin.revokeKey(key.id);
    const seen = await Promise.all(
      replicas.map(async (r) => {
        while (r.authenticate(secret).ok) await new Promise((resolve) => setTimeout(resolve, 5));
        return performance.now() - revokedAt;
      }),
    );
    for (const ms of seen) expect(ms).toBeLessThan(1000);
  });

  it('keeps serving its copy when the store fails, and says so', async () => {
    const { secret } = await admin.createKey({ name: 'k' });
    const store = replicaStore();
    const errors: unknown[] = [];
    const resolver = await createKeyResolver({ store, pollIntervalMs: 20, onError: (err) => errors.push(err) });
    opened.unshift(resolver);
    await store.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(errors.length).toBeGreaterThan(0);
    expect(resolver.health().lastError).toMatch(/closed/);
    expect(resolver.authenticate(secret).ok).toBe(true);
  });

  it('answers in well under 0.1 ms', async () => {
    const secrets: string[] = [];
    for (let i = 0; i < 200; i++) secrets.push((await admin.createKey({ name: `k${i}` })).secret);
    const resolver = await replica();
    const times: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const t0 = performance.now();
      resolver.authenticate(secrets[i % secrets.length]!);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    expect(times[times.length >> 1]).toBeLessThan(0.05);
  });
});
