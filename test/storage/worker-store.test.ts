// The worker-thread store: what the DurableStore contract (contract.test.ts) does not cover —
// nothing synchronous on the calling thread, batching of posts, worker failure, process lifetime.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DurableStore, LedgerRow } from '../../src/storage/types.js';
import { openWorkerSqliteStore, workerEntry, type WorkerSqliteStoreOptions } from '../../src/storage/worker-store.js';
import { T0, TempLedger, row } from './support.js';

const CRASHING_WORKER = new URL('./fixtures/crashing-ledger-worker.mjs', import.meta.url);
const CRASH_ONCE_WORKER = new URL('./fixtures/crash-once-ledger-worker.mjs', import.meta.url);
const SILENT_WORKER = new URL('./fixtures/silent-ledger-worker.mjs', import.meta.url);
const LIFETIME_SCRIPT = new URL('./fixtures/lifetime.mjs', import.meta.url);
const BUILD = new URL('../../dist/src/storage/', import.meta.url);

let t: TempLedger;
const open: DurableStore[] = [];

function store(opts: Partial<WorkerSqliteStoreOptions> = {}): DurableStore {
  const s = openWorkerSqliteStore({ path: t.path, log: (m) => t.logged.push(m), ...opts });
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

describe('the calling thread', () => {
  it('appendLedger does no database work: 10,000 appends return before any row is in the file', async () => {
    const s = store();
    for (let i = 0; i < 10_000; i++) s.appendLedger(row({ requestId: `r${i}`, ts: T0 + i }));
    expect(t.countOnDisk()).toBe(0);
    // …and the rows get there on the timers alone, with no flush.
    await vi.waitFor(() => expect(t.countOnDisk()).toBe(10_000), { timeout: 10_000, interval: 20 });
  });

  it('a spend() right after appends sees every one of them', async () => {
    const s = store({ postIntervalMs: 60_000, flushIntervalMs: 60_000 });
    for (let i = 0; i < 3_000; i++) s.appendLedger(row({ requestId: `r${i}`, costPico: 2 }));
    const [bucket] = await s.spend({ groupBy: 'model' });
    expect(bucket?.requests).toBe(3_000);
    expect(bucket?.costPico).toBe(6_000);
  });

  it('posts as soon as postBatch rows are waiting, without waiting for the timer', async () => {
    const s = store({ postIntervalMs: 60_000, postBatch: 100, flushIntervalMs: 0 });
    for (let i = 0; i < 99; i++) s.appendLedger(row({ requestId: `r${i}` }));
    await new Promise((r) => setTimeout(r, 50));
    expect(t.countOnDisk()).toBe(0);
    s.appendLedger(row({ requestId: 'r99' }));
    await vi.waitFor(() => expect(t.countOnDisk()).toBe(100), { timeout: 10_000, interval: 10 });
  });

  it('posts only LedgerRow fields, captured when appended: a row changed afterwards is stored as it was', async () => {
    const s = store();
    s.appendLedger({ ...row({ requestId: 'extra' }), callback: () => 'not cloneable' } as LedgerRow);
    const changed = row({ requestId: 'changed', tags: ['x'] });
    s.appendLedger(changed);
    (changed.tags as unknown[]).push(() => 'not cloneable'); // the caller breaks the contract
    s.appendLedger(row({ requestId: 'plain' }));
    await s.flush();
    const rows = await s.ledgerRows({ limit: 10 });
    expect(rows.map((r) => r.requestId).sort()).toEqual(['changed', 'extra', 'plain']);
    expect(rows.find((r) => r.requestId === 'extra')).not.toHaveProperty('callback');
    expect(rows.find((r) => r.requestId === 'changed')?.tags).toEqual(['x']);
    expect(t.logged).toEqual([]);
  });
});

describe('a worker that dies', () => {
  const RESTARTED = /stopped unexpectedly .*; restarting it in \d+ ms and re-sending \d+ ledger rows not confirmed written/;

  it('is restarted, gets every unconfirmed row again, and answers the requests it had pending: all rows, once each', async () => {
    const s = store({ workerUrl: CRASH_ONCE_WORKER, restartDelayMs: 1, postBatch: 100, flushIntervalMs: 60_000 });
    for (let i = 0; i < 1_000; i++) s.appendLedger(row({ requestId: `r${i}`, ts: T0 + i, costPico: 1 }));
    // The first batch crashes the worker; the spend, pending then, is re-issued to the new one.
    const [bucket] = await s.spend({ groupBy: 'model' });
    expect(bucket?.requests).toBe(1_000);
    for (let i = 1_000; i < 1_500; i++) s.appendLedger(row({ requestId: `r${i}`, ts: T0 + i, costPico: 1 }));
    await s.flush();
    await s.close();

    expect(t.logged).toEqual([expect.stringMatching(RESTARTED)]);
    expect(t.logged[0]).toMatch(/exit code 1: crash once/);
    expect(t.countOnDisk()).toBe(1_500);
    const reopened = store();
    const rows = await reopened.ledgerRows({ limit: 10_000 });
    expect(new Set(rows.map((r) => r.requestId)).size).toBe(1_500);
    expect((await reopened.spend({ groupBy: 'model' }))[0]?.costPico).toBe(1_500);
  });

  it.each([
    ['throws', 'crash', /exit code 1: boom/],
    ['exits', 'exit', /exit code 3/],
  ])(
    '%s on every restart: beyond the restart budget, logs the rows lost, rejects pending and later requests, close says how many rows',
    async (_how, id, reason) => {
      const s = store({ workerUrl: CRASHING_WORKER, postIntervalMs: 60_000, flushIntervalMs: 60_000, restartDelayMs: 1, maxRestartsPerMinute: 3 });
      s.appendLedger(row({ requestId: 'a' }));
      s.appendLedger(row({ requestId: 'b' }));
      await s.flush();
      s.appendLedger(row({ requestId: 'c' }));
      s.appendLedger(row({ requestId: id })); // kills every worker it is sent to
      await expect(s.flush()).rejects.toThrow(/ledger worker stopped unexpectedly/);
      expect(t.logged).toEqual([
        // a and b were confirmed written: only c and the fatal row are sent again
        ...Array.from({ length: 3 }, (): unknown => expect.stringMatching(/restarting it in \d+ ms and re-sending 2 ledger rows not confirmed written/)),
        expect.stringMatching(/stopped unexpectedly .*restarted 3 times within a minute.*; 2 ledger rows not confirmed written are lost/),
      ]);
      for (const message of t.logged) expect(message).toMatch(reason);

      s.appendLedger(row({ requestId: 'd' })); // dropped, logged, counted
      expect(t.logged[4]).toMatch(/ledger row d dropped: .*1 dropped so far/);
      await expect(s.spend({ groupBy: 'model' })).rejects.toThrow(/stopped unexpectedly/);
      await expect(s.close()).rejects.toThrow(/closed with 3 rows unwritten: the ledger worker stopped unexpectedly/);
      expect(t.countOnDisk()).toBe(2);
    },
  );
});

describe('a worker that hangs', () => {
  it('a request rejects after requestTimeoutMs, and close says how many rows are not confirmed', async () => {
    const s = store({ workerUrl: SILENT_WORKER, requestTimeoutMs: 50 });
    s.appendLedger(row({ requestId: 'a' }));
    await expect(s.flush()).rejects.toThrow(/ledger worker did not answer flush within 50 ms \(1 ledger rows not confirmed written yet\)/);
    await expect(s.ledgerRows({ limit: 1 })).rejects.toThrow(/did not answer ledgerRows within 50 ms/);
    await expect(s.close()).rejects.toThrow(/closed with 1 rows not confirmed written: .*did not answer close within 50 ms/);
  });
});

describe('the worker entry', () => {
  it('fails to open with a clear message when the entry is missing', () => {
    expect(() => store({ workerUrl: new URL('./no-such-worker.js', BUILD) })).toThrow(/ledger worker entry .*no-such-worker\.js not found/);
  });

  it('from TypeScript sources, uses the build, and says how to make it when it is missing', () => {
    expect(workerEntry(new URL('../../src/storage/worker-store.ts', import.meta.url).href).href).toBe(new URL('ledger-worker.js', BUILD).href);
    expect(() => workerEntry('file:///nowhere/src/storage/worker-store.ts')).toThrow(/npx tsc -p tsconfig.json/);
    expect(workerEntry('file:///nowhere/dist/src/storage/worker-store.js').href).toBe('file:///nowhere/dist/src/storage/ledger-worker.js');
  });
});

describe('process lifetime (a child process)', () => {
  const run = async (module: string, exportName: string) => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [LIFETIME_SCRIPT.pathname, new URL(module, BUILD).href, exportName, join(t.dir, `${exportName}.db`)],
      { timeout: 10_000 },
    );
    return JSON.parse(stdout) as { requests: number; sqliteOnThisThread: boolean };
  };

  it('keeps the process alive while a request is pending, not while idle; SQLite never loads on the main thread', async () => {
    // The script ends without close(): it exits only if the idle worker does not hold it open, and
    // prints only if the worker held it open while flush() was pending.
    expect(await run('worker-store.js', 'openWorkerSqliteStore')).toEqual({ requests: 100, sqliteOnThisThread: false });
    // Control: the in-thread store does load better-sqlite3 here, so the check above can see it.
    expect(await run('sqlite.js', 'openSqliteStore')).toEqual({ requests: 100, sqliteOnThisThread: true });
  });
});
