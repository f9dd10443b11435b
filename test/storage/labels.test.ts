// The label store over both backends (storage/labels): feedback written all or none, a later score
// replacing the earlier, captured prompts written in batches (the first capture of a request kept),
// both read back by the commands' read-only reader, and pruned by the ledger's retention step.
import Database from 'better-sqlite3';
import postgres, { type Sql } from 'postgres';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLabelReader, openLabelStore, type LabelStore } from '../../src/storage/labels/index.js';
import type { LedgerDatabase } from '../../src/storage/migrate.js';
import { applySqliteMigrations } from '../../src/storage/sqlite-migrations.js';
import { MIGRATIONS } from '../../src/storage/sqlite-schema.js';
import type { DurableStore } from '../../src/storage/types.js';
import { PG_URL, PgLedger, postgresUp, type Backend } from './backends.js';
import { HOUR, T0, TempLedger } from './support.js';

const BACKENDS: readonly Backend[] = ['sqlite', ...((await postgresUp()) ? (['postgres'] as const) : [])];

describe.each(BACKENDS)('%s label store', (backend) => {
  let ledger: DurableStore;
  let labels: LabelStore;
  let db: LedgerDatabase;
  let dispose: () => Promise<void>;

  beforeEach(async () => {
    if (backend === 'sqlite') {
      const t = new TempLedger();
      ledger = t.open('in-thread');
      db = { kind: 'sqlite', path: t.path };
      labels = openLabelStore(db);
      dispose = async () => {
        await labels.close();
        await t.dispose();
      };
      return;
    }
    const p = new PgLedger();
    const pool: Sql = postgres(PG_URL, { max: 2, onnotice: () => undefined });
    const store = p.open();
    await store.ready();
    ledger = store;
    db = { kind: 'postgres', url: PG_URL, schema: p.schema };
    labels = openLabelStore(db, pool);
    dispose = async () => {
      await labels.close();
      await pool.end({ timeout: 1 });
      await p.dispose();
    };
  });
  afterEach(() => dispose());

  const fb = (requestId: string, score: number, ts = T0, comment: string | null = null) => ({ requestId, score, comment, ts });

  it('stores a batch all or none; a later score of a request replaces the earlier', async () => {
    await labels.putFeedback([fb('a', 1), fb('b', 0, T0, 'wrong unit'), fb('a', 0.5)]);
    expect(await labels.feedback(0)).toEqual([fb('a', 0.5), fb('b', 0, T0, 'wrong unit')]);
    // 1.5 breaks the table's CHECK: the statement (SQLite: the transaction) fails whole.
    await expect(labels.putFeedback([fb('c', 1, T0 + 1), fb('a', 1.5, T0 + 1)])).rejects.toThrow();
    expect(await labels.feedback(0)).toEqual([fb('a', 0.5), fb('b', 0, T0, 'wrong unit')]);
    await labels.putFeedback([fb('b', 1, T0 + 5)]);
    expect(await labels.feedback(T0 + 1)).toEqual([fb('b', 1, T0 + 5)]);
  });

  it('writes captured prompts in batches and keeps the first capture of a request', async () => {
    labels.capturePrompt({ requestId: 'r1', ts: T0, text: 'What is 2 + 2?' });
    labels.capturePrompt({ requestId: 'r2', ts: T0 + 1, text: 'Quote "this", with a \\ and\nnew line' });
    labels.capturePrompt({ requestId: 'r1', ts: T0 + 2, text: 'again' });
    await labels.flush();
    const want = [
      { requestId: 'r1', ts: T0, text: 'What is 2 + 2?' },
      { requestId: 'r2', ts: T0 + 1, text: 'Quote "this", with a \\ and\nnew line' },
    ];
    expect(await labels.prompts(0)).toEqual(want);
    const reader = await openLabelReader(db);
    try {
      expect(await reader.prompts(0)).toEqual(want);
      expect(await reader.prompts(T0 + 1)).toEqual(want.slice(1));
    } finally {
      await reader.close();
    }
  });

  it("the ledger's retention step prunes scores and prompts before its bound", async () => {
    await labels.putFeedback([fb('old', 1, T0), fb('new', 1, T0 + 3 * HOUR)]);
    labels.capturePrompt({ requestId: 'old', ts: T0, text: 'old' });
    labels.capturePrompt({ requestId: 'new', ts: T0 + 3 * HOUR, text: 'new' });
    await labels.flush();
    await ledger.prune({ before: T0 + HOUR, limit: 100 });
    expect((await labels.feedback(0)).map((f) => f.requestId)).toEqual(['new']);
    expect((await labels.prompts(0)).map((p) => p.requestId)).toEqual(['new']);
  });
});

describe('captured prompts on a SQLite ledger another connection is writing', () => {
  it('a batch finding the file locked waits briefly, stays queued, and is written on a later round', async () => {
    const t = new TempLedger();
    const labels = openLabelStore({ kind: 'sqlite', path: t.path });
    // The ledger worker committing a batch: another connection holding the write lock.
    const worker = new Database(t.path, { timeout: 5_000 });
    try {
      worker.exec('BEGIN IMMEDIATE');
      labels.capturePrompt({ requestId: 'r1', ts: T0, text: 'held back' });
      const t0 = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 400)); // the queue's 200 ms round has run
      // Its busy wait was short: the event loop ran this timer nearly on time.
      expect(performance.now() - t0).toBeLessThan(1_000);
      expect(await labels.prompts(0)).toEqual([]);
      worker.exec('COMMIT');
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(await labels.prompts(0)).toEqual([{ requestId: 'r1', ts: T0, text: 'held back' }]);
    } finally {
      if (worker.inTransaction) worker.exec('ROLLBACK');
      worker.close();
      await labels.close();
      await t.dispose();
    }
  });
});

describe('the label reader on a SQLite ledger older than the label tables', () => {
  it('reads no labels, and creates nothing', async () => {
    const t = new TempLedger();
    try {
      const raw = new Database(t.path);
      applySqliteMigrations(raw, { what: 'database', versionTable: 'schema_version', migrations: MIGRATIONS.slice(0, 8) });
      raw.close();
      const reader = await openLabelReader({ kind: 'sqlite', path: t.path });
      expect(await reader.feedback(0)).toEqual([]);
      expect(await reader.prompts(0)).toEqual([]);
      await reader.close();
      const check = new Database(t.path, { readonly: true });
      expect(check.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'feedback'").get()).toEqual({ n: 0 });
      check.close();
    } finally {
      await t.dispose();
    }
  });
});
