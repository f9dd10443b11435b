// The in-thread SQLite store: what the DurableStore contract (contract.test.ts) does not cover.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/storage/sqlite.js';
import { MIGRATIONS } from '../../src/storage/sqlite-schema.js';
import type { DurableStore } from '../../src/storage/types.js';
import { HOUR, T0, TempLedger, row } from './support.js';

let t: TempLedger;
const open: DurableStore[] = [];

function store(opts: { flushIntervalMs?: number; maxBatch?: number; path?: string } = {}): DurableStore {
  const s = openSqliteStore({ path: t.path, log: (m) => t.logged.push(m), ...opts });
  open.push(s);
  return s;
}

beforeEach(() => {
  t = new TempLedger();
});

afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => undefined);
  await t.dispose();
});

describe('queue', () => {
  it('snapshots the row on append (later mutation by the caller does not leak in)', async () => {
    const s = store();
    const r = row({ tags: ['x'] });
    s.appendLedger(r);
    r.tags.push('y');
    r.costPico = 999;
    await s.flush();
    const [stored] = await s.ledgerRows({ limit: 1 });
    expect(stored?.tags).toEqual(['x']);
    expect(stored?.costPico).toBe(1_000);
  });

  it('does no write on the caller path, then writes on the timer', async () => {
    const s = store({ flushIntervalMs: 20 });
    s.appendLedger(row());
    expect(t.countOnDisk()).toBe(0);
    await new Promise((r) => setTimeout(r, 120));
    expect(t.countOnDisk()).toBe(1);
  });

  it('writes a full batch on the next turn without waiting for the timer', async () => {
    const s = store({ flushIntervalMs: 60_000, maxBatch: 10 });
    for (let i = 0; i < 9; i++) s.appendLedger(row({ requestId: `r${i}` }));
    await new Promise((r) => setImmediate(r));
    expect(t.countOnDisk()).toBe(0);
    s.appendLedger(row({ requestId: 'r9' }));
    await new Promise((r) => setTimeout(r, 20));
    expect(t.countOnDisk()).toBe(10);
  });
});

describe('schema', () => {
  it('migrates once; reopening does not re-run migrations', async () => {
    await store().close();
    await store().close();
    const db = new Database(t.path, { readonly: true });
    expect(db.prepare('SELECT version FROM schema_version').all()).toEqual(MIGRATIONS.map((_, i) => ({ version: i + 1 })));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map(
      (r) => r.name,
    );
    expect(indexes.sort()).toEqual([
      'captured_prompts_ts',
      'feedback_ts',
      'ledger_cache',
      'ledger_escalated',
      'ledger_fallback',
      'ledger_parent',
      'ledger_tags_tag',
      'ledger_ts',
    ]);
    db.close();
  });
});

describe('migration 2 (route, technique, billed sub-calls)', () => {
  it('upgrades a version-1 ledger in place: old rows kept, technique rollup backfilled', async () => {
    const db = new Database(t.path);
    db.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT');
    db.exec(MIGRATIONS[0]!);
    db.prepare('INSERT INTO schema_version VALUES (1, 0)').run();
    const insert = db.prepare(`INSERT INTO ledger (request_id, ts, tenant, key_id, tags, ingress, endpoint, requested_model,
      served_model, provider, input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens,
      reasoning_tokens, cost_pico, baseline_pico, latency_ms, status, stream, error_kind)
      VALUES (?, ?, 't', 'k', '[]', 'openai', '/v1/chat/completions', 'm', 'm', 'p', 10, 0, 0, 0, 5, 0, ?, ?, 1, 200, 0, NULL)`);
    insert.run('old-routed', T0 + 1, 1_000, 3_000);
    insert.run('old-asked', T0 + 2, 500, 500);
    db.close();

    const s = store();
    s.appendLedger(row({ requestId: 'new-cascade', ts: T0 + 3, technique: 'cascade', costPico: 700, baselinePico: 2_000 }));
    s.appendLedger(row({ requestId: 'new-sub', ts: T0 + 4, technique: 'cascade', parentId: 'new-cascade', costPico: 100, baselinePico: 0 }));
    const byTechnique = await s.spend({ groupBy: 'technique', from: T0, to: T0 + HOUR });
    expect(byTechnique.map((b) => [b.key, b.requests, b.costPico, b.baselinePico])).toEqual([
      ['routing', 1, 1_000, 3_000],
      ['cascade', 1, 800, 2_000],
      ['(none)', 1, 500, 500],
    ]);
    const rows = await s.ledgerRows({ limit: 10 });
    expect(rows.find((r) => r.requestId === 'old-routed')).toMatchObject({ route: '', technique: null, parentId: null, attempts: null });
    expect(rows.find((r) => r.requestId === 'new-sub')).toMatchObject({ parentId: 'new-cascade', technique: 'cascade' });
  });
});

describe('bulk', () => {
  // Speed is measured by `npm run bench` (bench/ledger.ts), not asserted here.
  it('writes 20,000 queued rows in batches, all of them', async () => {
    const s = store({ path: join(t.dir, 'bulk.db') });
    for (let i = 0; i < 20_000; i++) {
      s.appendLedger(row({ requestId: `cw_${(T0 + i).toString(36)}${((i * 7919) % 65536).toString(16)}`, ts: T0 + i, tags: i % 3 === 0 ? ['a'] : [] }));
    }
    await s.flush();
    expect((await s.spend({ groupBy: 'model' }))[0]?.requests).toBe(20_000);
    expect((await s.spend({ groupBy: 'tag' })).find((b) => b.key === 'a')?.requests).toBe(6_667);
  });
});
