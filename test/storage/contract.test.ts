// The DurableStore contract, run against the in-thread SQLite store and the worker-thread one.
// SQLite only by subject: the same contract over PostgreSQL is postgres-contract.test.ts.
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/storage/sqlite.js';
import { KINDS, T0, TempLedger, row } from './support.js';

let t: TempLedger;

beforeEach(() => {
  t = new TempLedger();
});

afterEach(async () => {
  await t.dispose();
});

describe.each(KINDS)('%s store', (kind) => {
  it('round-trips every field exactly through a reopened file', async () => {
    const a = row({
      requestId: 'req-α',
      ts: T0 + 123,
      tenant: 't1',
      keyId: 'k1',
      tags: ['team:ml', 'ünï', 'team:ml'],
      ingress: 'anthropic',
      endpoint: '/v1/messages',
      requestedModel: 'claude-opus',
      servedModel: 'claude-haiku',
      provider: 'anthropic',
      inputTokens: 1,
      cacheReadTokens: 2,
      cacheWrite5mTokens: 3,
      cacheWrite1hTokens: 4,
      outputTokens: 5,
      reasoningTokens: 6,
      costPico: Number.MAX_SAFE_INTEGER,
      baselinePico: 0,
      latencyMs: 12.375,
      status: 529,
      stream: true,
      errorKind: 'overloaded',
      route: 'rule:x->claude-haiku; fallback:529->claude-haiku',
      technique: 'routing',
      parentId: 'req-parent',
      attempts: [
        { deployment: 'claude-haiku@a/eu', status: 529, error: 'overloaded', ms: 1.5 },
        { deployment: 'claude-haiku@a/us', status: 200, ms: 3 },
      ],
      cache: 'miss',
    });
    const b = row({ requestId: 'req-b', ts: T0 + 124, tags: [], errorKind: null, stream: false, costPico: 0 });
    const s = t.open(kind);
    s.appendLedger(a);
    s.appendLedger(b);
    await s.close();

    const again = t.open(kind);
    expect(await again.ledgerRows({ limit: 10 })).toEqual([b, a]);
  });

  it('ignores a duplicate request id, keeping the first row and its tags', async () => {
    const s = t.open(kind);
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
    const s = t.open(kind);
    s.appendLedger(row({ requestId: 'old', ts: T0 }));
    s.appendLedger(row({ requestId: 'new', ts: T0 + 2 }));
    s.appendLedger(row({ requestId: 'mid1', ts: T0 + 1 }));
    s.appendLedger(row({ requestId: 'mid2', ts: T0 + 1 }));
    await s.flush();
    const ids = async (limit: number, offset?: number) => (await s.ledgerRows(offset === undefined ? { limit } : { limit, offset })).map((r) => r.requestId);
    expect(await ids(10)).toEqual(['new', 'mid2', 'mid1', 'old']);
    expect(await ids(2, 1)).toEqual(['mid2', 'mid1']);
    expect(await ids(0)).toEqual([]);
    await expect(s.ledgerRows({ limit: -1 })).rejects.toThrow(/limit/);
  });

  it('rejects an invalid row with a log line and keeps writing the others', async () => {
    const s = t.open(kind);
    s.appendLedger(row({ requestId: 'bad', costPico: 1.5 }));
    s.appendLedger(row({ requestId: 'bad-ts', ts: -1 }));
    s.appendLedger(row({ requestId: 'good' }));
    await s.flush();
    expect((await s.ledgerRows({ limit: 10 })).map((r) => r.requestId)).toEqual(['good']);
    expect(t.logged).toHaveLength(1); // the second rejection is counted, not logged (1, 10, 100, …)
    expect(t.logged[0]).toMatch(/bad.*costPico/);
  });

  it('logs rejected rows at 1, 10, 100, … so a systematic bug cannot flood stderr', () => {
    const s = t.open(kind);
    for (let i = 0; i < 150; i++) s.appendLedger(row({ requestId: `bad${i}`, inputTokens: -0.5 }));
    expect(t.logged.map((m) => m.match(/\((\d+) rejected/)?.[1])).toEqual(['1', '10', '100']);
  });

  it('queries see the rows appended just before them (read-your-writes)', async () => {
    const s = t.open(kind, { noTimers: true });
    s.appendLedger(row({ requestId: 'a', costPico: 7 }));
    expect((await s.spend({ groupBy: 'model' }))[0]?.costPico).toBe(7);
    s.appendLedger(row({ requestId: 'b' }));
    expect(await s.ledgerRows({ limit: 10 })).toHaveLength(2);
  });

  it('flush makes rows durable: another connection sees them, and so does a reopened store', async () => {
    const s = t.open(kind, { noTimers: true });
    for (let i = 0; i < 1_234; i++) s.appendLedger(row({ requestId: `r${i}`, ts: T0 + i }));
    await s.flush();
    expect(t.countOnDisk()).toBe(1_234);
    s.appendLedger(row({ requestId: 'last' }));
    await s.close();
    const again = t.open(kind);
    expect((await again.ledgerRows({ limit: 5_000 })).length).toBe(1_235);
  });

  it('keeps rows through a transient write failure, logs once, and writes them later', async () => {
    const s = t.open(kind, { busyTimeoutMs: 5 });
    await s.flush(); // the worker has the database open before the lock is taken
    const other = new Database(t.path);
    other.prepare('BEGIN IMMEDIATE').run(); // holds the write lock: the store's writes get SQLITE_BUSY
    s.appendLedger(row({ requestId: 'a' }));
    s.appendLedger(row({ requestId: 'b' }));
    await expect(s.flush()).rejects.toThrow(/2 rows still queued/);
    await expect(s.flush()).rejects.toThrow(/still queued/);
    expect(t.logged.filter((m) => m.includes('write failed'))).toHaveLength(1);
    s.appendLedger(row({ requestId: 'c' }));
    other.prepare('COMMIT').run();
    other.close();
    await s.flush();
    expect(t.countOnDisk()).toBe(3);
    expect(t.logged.some((m) => m.includes('recovered'))).toBe(true);
  });

  it('close rejects, saying how many rows, when they cannot be written', async () => {
    const s = t.open(kind, { busyTimeoutMs: 5, noTimers: true });
    await s.flush();
    const other = new Database(t.path);
    other.prepare('BEGIN IMMEDIATE').run();
    for (const id of ['a', 'b', 'c']) s.appendLedger(row({ requestId: id }));
    await expect(s.close()).rejects.toThrow(/closed with 3 rows unwritten/);
    other.prepare('COMMIT').run();
    other.close();
    expect(t.countOnDisk()).toBe(0);
    await expect(s.spend({ groupBy: 'model' })).rejects.toThrow(/closed/);
  });

  it('close writes rows appended while it is closing', async () => {
    const s = t.open(kind, { noTimers: true });
    for (let i = 0; i < 5; i++) s.appendLedger(row({ requestId: `r${i}` }));
    const closing = s.close();
    s.appendLedger(row({ requestId: 'late' }));
    await closing;
    expect(t.countOnDisk()).toBe(6);
  });

  it('after close, appends are logged once and dropped, queries reject, flush and close are no-ops', async () => {
    const s = t.open(kind);
    await s.close();
    await s.close();
    s.appendLedger(row());
    s.appendLedger(row({ requestId: 'again' }));
    expect(t.logged).toHaveLength(1);
    expect(t.logged[0]).toMatch(/after close was dropped/);
    await expect(s.spend({ groupBy: 'model' })).rejects.toThrow(/closed/);
    await expect(s.flush()).resolves.toBeUndefined(); // nothing is waiting
  });

  it('refuses, when opened, a database written by a newer schema', async () => {
    await t.open(kind).close();
    const db = new Database(t.path);
    db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (99, 0)').run();
    db.close();
    expect(() => t.open(kind)).toThrow(/newer/);
  });
});

it('both stores write the same file format', async () => {
  const s = t.open('worker');
  s.appendLedger(row({ requestId: 'w', tags: ['x'] }));
  await s.close();
  const again = openSqliteStore({ path: t.path });
  expect((await again.spend({ groupBy: 'tag' })).map((b) => [b.key, b.requests])).toEqual([['x', 1]]);
  await again.close();
});
