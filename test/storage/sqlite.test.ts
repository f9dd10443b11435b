import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStoreOptions } from '../../src/storage/sqlite.js';
import type { DurableStore, LedgerRow } from '../../src/storage/types.js';

const T0 = Date.UTC(2025, 0, 10); // 2025-01-10T00:00:00Z

function row(overrides: Partial<LedgerRow> = {}): LedgerRow {
  return {
    requestId: 'req-1',
    ts: T0,
    tenant: 'acme',
    keyId: 'key-a',
    tags: [],
    ingress: 'openai',
    endpoint: '/v1/chat/completions',
    requestedModel: 'gpt-4o',
    servedModel: 'gpt-4o-mini',
    provider: 'openai',
    inputTokens: 100,
    cacheReadTokens: 10,
    cacheWrite5mTokens: 20,
    cacheWrite1hTokens: 30,
    outputTokens: 40,
    reasoningTokens: 5,
    costPico: 1_000,
    baselinePico: 2_000,
    latencyMs: 12,
    status: 200,
    stream: false,
    errorKind: null,
    ...overrides,
  };
}

let dir: string;
let path: string;
const open: DurableStore[] = [];
let logged: string[];

function store(opts: Partial<SqliteStoreOptions> = {}): DurableStore {
  const s = openSqliteStore({ path, log: (m) => logged.push(m), ...opts });
  open.push(s);
  return s;
}

/** Rows on disk, seen through a separate connection (what another process would see). */
function countOnDisk(): number {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM ledger').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'costwise-sqlite-'));
  path = join(dir, 'ledger.db');
  logged = [];
});

afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('ledger rows', () => {
  it('round-trips every field exactly through a reopened file', async () => {
    const a = row({
      requestId: 'req-α', ts: T0 + 123, tenant: 't1', keyId: 'k1', tags: ['team:ml', 'ünï', 'team:ml'],
      ingress: 'anthropic', endpoint: '/v1/messages', requestedModel: 'claude-opus', servedModel: 'claude-haiku',
      provider: 'anthropic', inputTokens: 1, cacheReadTokens: 2, cacheWrite5mTokens: 3, cacheWrite1hTokens: 4,
      outputTokens: 5, reasoningTokens: 6, costPico: Number.MAX_SAFE_INTEGER, baselinePico: 0,
      latencyMs: 12.375, status: 529, stream: true, errorKind: 'overloaded',
    });
    const b = row({ requestId: 'req-b', ts: T0 + 124, tags: [], errorKind: null, stream: false, costPico: 0 });
    const s = store();
    s.appendLedger(a);
    s.appendLedger(b);
    await s.close();

    const again = store();
    expect(await again.ledgerRows({ limit: 10 })).toEqual([b, a]);
  });

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

  it('ignores a duplicate request id, keeping the first row and its tags', async () => {
    const s = store();
    s.appendLedger(row({ requestId: 'dup', costPico: 10, tags: ['first'] }));
    await s.flush();
    s.appendLedger(row({ requestId: 'dup', costPico: 99, tags: ['second'] }));
    s.appendLedger(row({ requestId: 'dup', costPico: 77, tags: ['third'] }));
    await s.flush();
    const rows = await s.ledgerRows({ limit: 10 });
    expect(rows).toHaveLength(1);
    expect(rows[0]?.costPico).toBe(10);
    expect((await s.spend({ groupBy: 'tag' })).map((b) => b.key)).toEqual(['first']);
  });

  it('lists newest first with limit and offset (ties in insertion order, newest first)', async () => {
    const s = store();
    s.appendLedger(row({ requestId: 'old', ts: T0 }));
    s.appendLedger(row({ requestId: 'new', ts: T0 + 2 }));
    s.appendLedger(row({ requestId: 'mid1', ts: T0 + 1 }));
    s.appendLedger(row({ requestId: 'mid2', ts: T0 + 1 }));
    await s.flush();
    const ids = async (limit: number, offset?: number) =>
      (await s.ledgerRows(offset === undefined ? { limit } : { limit, offset })).map((r) => r.requestId);
    expect(await ids(10)).toEqual(['new', 'mid2', 'mid1', 'old']);
    expect(await ids(2, 1)).toEqual(['mid2', 'mid1']);
    expect(await ids(0)).toEqual([]);
    await expect(s.ledgerRows({ limit: -1 })).rejects.toThrow(/limit/);
  });

  it('rejects an invalid row with a log line and keeps writing the others', async () => {
    const s = store();
    s.appendLedger(row({ requestId: 'bad', costPico: 1.5 }));
    s.appendLedger(row({ requestId: 'bad-ts', ts: -1 }));
    s.appendLedger(row({ requestId: 'good' }));
    await s.flush();
    expect((await s.ledgerRows({ limit: 10 })).map((r) => r.requestId)).toEqual(['good']);
    expect(logged).toHaveLength(1); // the second rejection is counted, not logged (see below)
    expect(logged[0]).toMatch(/bad.*costPico/);
  });

  it('logs rejected rows at 1, 10, 100, … so a systematic bug cannot flood stderr', async () => {
    const s = store();
    for (let i = 0; i < 150; i++) s.appendLedger(row({ requestId: `bad${i}`, inputTokens: -0.5 }));
    expect(logged.map((m) => m.match(/\((\d+) rejected/)?.[1])).toEqual(['1', '10', '100']);
  });
});

describe('queue and flush', () => {
  it('does no write on the caller path, then writes on the timer', async () => {
    const s = store({ flushIntervalMs: 20 });
    s.appendLedger(row());
    expect(countOnDisk()).toBe(0);
    await new Promise((r) => setTimeout(r, 120));
    expect(countOnDisk()).toBe(1);
  });

  it('writes a full batch on the next turn without waiting for the timer', async () => {
    const s = store({ flushIntervalMs: 60_000, maxBatch: 10 });
    for (let i = 0; i < 9; i++) s.appendLedger(row({ requestId: `r${i}` }));
    await new Promise((r) => setImmediate(r));
    expect(countOnDisk()).toBe(0);
    s.appendLedger(row({ requestId: 'r9' }));
    await new Promise((r) => setTimeout(r, 20));
    expect(countOnDisk()).toBe(10);
  });

  it('flush makes rows durable: close and reopen finds them', async () => {
    const s = store({ flushIntervalMs: 60_000 });
    for (let i = 0; i < 1_234; i++) s.appendLedger(row({ requestId: `r${i}`, ts: T0 + i }));
    await s.flush();
    expect(countOnDisk()).toBe(1_234);
    s.appendLedger(row({ requestId: 'last' }));
    await s.close();
    const again = store();
    expect((await again.ledgerRows({ limit: 5_000 })).length).toBe(1_235);
  });

  it('queries see queued rows (read-your-writes)', async () => {
    const s = store({ flushIntervalMs: 60_000 });
    s.appendLedger(row({ costPico: 7 }));
    expect((await s.spend({ groupBy: 'model' }))[0]?.costPico).toBe(7);
  });

  it('keeps rows queued through a transient write failure, logs once, and writes them later', async () => {
    const s = store({ flushIntervalMs: 10, busyTimeoutMs: 5 });
    const other = new Database(path);
    other.prepare('BEGIN IMMEDIATE').run(); // holds the write lock: our writes get SQLITE_BUSY
    s.appendLedger(row({ requestId: 'a' }));
    s.appendLedger(row({ requestId: 'b' }));
    await expect(s.flush()).rejects.toThrow(/2 rows still queued/);
    await new Promise((r) => setTimeout(r, 100)); // a few timer retries, all failing
    expect(logged.filter((m) => m.includes('write failed'))).toHaveLength(1);
    s.appendLedger(row({ requestId: 'c' }));
    other.prepare('COMMIT').run();
    other.close();
    await s.flush();
    expect(countOnDisk()).toBe(3);
    expect(logged.some((m) => m.includes('recovered'))).toBe(true);
  });

  it('close writes rows appended while it is closing', async () => {
    const s = store({ flushIntervalMs: 60_000, maxBatch: 2 });
    for (let i = 0; i < 5; i++) s.appendLedger(row({ requestId: `r${i}` }));
    const closing = s.close();
    s.appendLedger(row({ requestId: 'late' }));
    await closing;
    expect(countOnDisk()).toBe(6);
  });

  it('after close, appends are logged and dropped, queries reject', async () => {
    const s = store();
    await s.close();
    await s.close(); // idempotent
    s.appendLedger(row());
    s.appendLedger(row({ requestId: 'again' }));
    expect(logged).toHaveLength(1);
    await expect(s.spend({ groupBy: 'model' })).rejects.toThrow(/closed/);
  });
});

describe('schema', () => {
  it('migrates once; reopening does not re-run migrations', async () => {
    await store().close();
    await store().close();
    const db = new Database(path, { readonly: true });
    expect(db.prepare('SELECT version FROM schema_version').all()).toEqual([{ version: 1 }]);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map((r) => r.name);
    expect(indexes.sort()).toEqual(['ledger_tags_tag', 'ledger_ts']);
    db.close();
  });

  it('refuses a database written by a newer schema', async () => {
    await store().close();
    const db = new Database(path);
    db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (99, 0)').run();
    db.close();
    expect(() => openSqliteStore({ path })).toThrow(/newer/);
  });
});

describe('bulk', () => {
  // Speed is measured by `npm run bench` (bench/ledger.ts), not asserted here.
  it('writes 20,000 queued rows in batches, all of them', async () => {
    const s = store({ path: join(dir, 'bulk.db') });
    for (let i = 0; i < 20_000; i++) {
      s.appendLedger(row({ requestId: `cw_${(T0 + i).toString(36)}${((i * 7919) % 65536).toString(16)}`, ts: T0 + i, tags: i % 3 === 0 ? ['a'] : [] }));
    }
    await s.flush();
    expect((await s.spend({ groupBy: 'model' }))[0]?.requests).toBe(20_000);
    expect((await s.spend({ groupBy: 'tag' })).find((b) => b.key === 'a')?.requests).toBe(6_667);
  });
});
