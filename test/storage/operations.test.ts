// Ledger operations over both backends: the bounded prune step (rows and their tags go, hourly
// rollups stay, so spend is unchanged), the retention loop and its hour-aligned cutoff, the scanner
// that exports rows in time order with filters, and the plans: pruning and scanning read the ts
// index, never the whole table.
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLedgerScanner, pruneLedger, retentionCutoff, startRetention, type LedgerScanQuery } from '../../src/storage/index.js';
import { pruneSql } from '../../src/storage/postgres/prune.js';
import { tables } from '../../src/storage/postgres/schema.js';
import { PRUNE_SELECT } from '../../src/storage/sqlite-prune.js';
import type { DurableStore, LedgerRow, SpendQuery } from '../../src/storage/types.js';
import { PG_URL, PgLedger, canonical, postgresUp, seedPostgres, type Backend } from './backends.js';
import { DAY, HOUR, T0, TempLedger, row } from './support.js';

const PG = await postgresUp();
const BACKENDS: readonly Backend[] = ['sqlite', ...(PG ? (['postgres'] as const) : [])];

/** One backend's ledger: stores on it, a scanner, and its tables counted from outside. */
interface Ledger {
  open(): DurableStore;
  scanner(): ReturnType<typeof openLedgerScanner>;
  count(table: 'ledger' | 'ledger_tags' | 'spend_hourly'): Promise<number>;
  dispose(): Promise<void>;
}

function ledgerOf(backend: Backend): Ledger {
  if (backend === 'sqlite') {
    const t = new TempLedger();
    return {
      open: () => t.open('in-thread'),
      scanner: () => openLedgerScanner({ kind: 'sqlite', path: t.path }),
      count(table) {
        const db = new Database(t.path, { readonly: true });
        try {
          return Promise.resolve((db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n);
        } finally {
          db.close();
        }
      },
      dispose: () => t.dispose(),
    };
  }
  const p = new PgLedger();
  return {
    open: () => p.open(),
    scanner: () => openLedgerScanner({ kind: 'postgres', url: PG_URL, schema: p.schema }),
    async count(table) {
      const [r] = await p.admin.unsafe<{ n: string }[]>(`SELECT count(*) AS n FROM "${p.schema}".${table}`);
      return Number(r?.n);
    },
    dispose: () => p.dispose(),
  };
}

async function collect(rows: AsyncIterable<LedgerRow>): Promise<LedgerRow[]> {
  const out: LedgerRow[] = [];
  for await (const r of rows) out.push(r);
  return out;
}

const GROUPS: SpendQuery['groupBy'][] = ['model', 'day', 'tag', 'key', 'technique'];

async function spendEverywhere(store: DurableStore, range: { from?: number; to?: number } = {}): Promise<string> {
  return canonical(await Promise.all(GROUPS.map((groupBy) => store.spend({ groupBy, ...range }))));
}

describe.each(BACKENDS)('%s ledger operations', (backend) => {
  let l: Ledger;
  let store: DurableStore;

  beforeEach(() => {
    l = ledgerOf(backend);
    store = l.open();
  });
  afterEach(async () => {
    await l.dispose();
  });

  it('prunes only rows before the bound, in bounded steps, with their tags; rollups and spend stay exact', async () => {
    // 30 rows, one every 20 minutes from T0, tagged; costs that do not round.
    for (let i = 0; i < 30; i++) {
      store.appendLedger(row({ requestId: `r${i}`, ts: T0 + i * 20 * 60_000, tags: ['a', `t${i % 3}`], costPico: 1_000_003 * (i + 1), keyId: `k${i % 2}` }));
    }
    await store.flush();
    const spendBefore = await spendEverywhere(store);
    const hourlyBefore = await l.count('spend_hourly');
    const cutoff = T0 + 4 * HOUR; // rows 0..11 are before it
    const steps: number[] = [];
    const deleted = await pruneLedger(store, { before: cutoff, batchRows: 5, onStep: (n) => steps.push(n) });
    expect(deleted).toBe(12);
    expect(steps).toEqual([5, 10, 12]); // 5 + 5 + 2: the short step ends the loop
    expect(await l.count('ledger')).toBe(18);
    expect(await l.count('ledger_tags')).toBe(36); // no orphaned tags
    expect(await l.count('spend_hourly')).toBe(hourlyBefore);
    expect(await spendEverywhere(store)).toBe(spendBefore);
    // From the cutoff on, spend is the remaining rows' sum to the pico-dollar.
    const remaining = await collect(l.scanner().rows({ from: 0, to: Number.MAX_SAFE_INTEGER }));
    expect(remaining.map((r) => r.requestId)).toEqual(Array.from({ length: 18 }, (_, i) => `r${i + 12}`));
    const [total] = await store.spend({ groupBy: 'technique', from: cutoff });
    expect(total?.exact.costPico).toBe(remaining.reduce((s, r) => s + BigInt(r.costPico), 0n));
    expect(await store.prune({ before: cutoff, limit: 5 })).toBe(0);
  });

  it('refuses a step with a bad bound or limit', async () => {
    await expect(store.prune({ before: Number.NaN, limit: 5 })).rejects.toThrow(/epoch milliseconds/);
    await expect(store.prune({ before: T0, limit: 0 })).rejects.toThrow(/positive integer/);
  });

  it('retention: at start and on its timer, before the whole hour retentionDays ago', async () => {
    const now = T0 + 40 * DAY + 30 * 60_000; // half past an hour
    const cutoff = retentionCutoff(now, 30);
    expect(cutoff).toBe(T0 + 10 * DAY); // the whole hour: half an hour more is kept
    const ts = [T0, T0 + 10 * DAY - 1, T0 + 10 * DAY, T0 + 10 * DAY + 70 * 60_000, now];
    ts.forEach((t, i) => store.appendLedger(row({ requestId: `x${i}`, ts: t })));
    await store.flush();
    let clock = now;
    const logged: string[] = [];
    const retention = startRetention({ store, days: 30, now: () => clock, everyMs: 20, log: (m) => logged.push(m) });
    expect(await retention.idle()).toBe(2);
    expect(logged.join('\n')).toMatch(/retention deleted 2 ledger rows before .*rollups kept/);
    clock = now + HOUR; // the next hour's run takes the row of the next hour
    await expect.poll(() => l.count('ledger'), { timeout: 5_000 }).toBe(2);
    await retention.stop();
    const left = await collect(l.scanner().rows({ from: 0, to: Number.MAX_SAFE_INTEGER }));
    expect(left.map((r) => r.ts)).toEqual([T0 + 10 * DAY + 70 * 60_000, now]);
  });

  it('scans rows oldest first (ties in insertion order) within [from, to), with filters, and counts them', async () => {
    const rows = [
      row({ requestId: 'c', ts: T0 + 3, servedModel: 'm1', keyId: 'k1', tags: ['x'] }),
      row({ requestId: 'a', ts: T0 + 1, servedModel: 'm2', keyId: 'k2', tags: ['x', 'y'] }),
      row({ requestId: 'b1', ts: T0 + 2, servedModel: 'm1', keyId: 'k2' }),
      row({ requestId: 'b2', ts: T0 + 2, servedModel: 'm1', keyId: 'k1', tags: ['y'] }),
      row({ requestId: 'd', ts: T0 + 4, servedModel: 'm2', keyId: 'k1' }),
    ];
    for (const r of rows) store.appendLedger(r);
    await store.flush();
    const scanner = l.scanner();
    try {
      const ids = async (q: LedgerScanQuery) => {
        const got = (await collect(scanner.rows(q))).map((r) => r.requestId);
        expect(await scanner.count(q)).toBe(got.length);
        return got;
      };
      const all = { from: 0, to: Number.MAX_SAFE_INTEGER };
      expect(await ids(all)).toEqual(['a', 'b1', 'b2', 'c', 'd']);
      expect(await ids({ from: T0 + 2, to: T0 + 4 })).toEqual(['b1', 'b2', 'c']);
      expect(await ids({ ...all, servedModel: 'm1' })).toEqual(['b1', 'b2', 'c']);
      expect(await ids({ ...all, keyIds: ['k1'] })).toEqual(['b2', 'c', 'd']);
      expect(await ids({ ...all, keyIds: [] })).toEqual([]);
      expect(await ids({ ...all, tag: 'y' })).toEqual(['a', 'b2']);
      expect(await ids({ ...all, tag: 'x', servedModel: 'm2', keyIds: ['k2', 'k9'] })).toEqual(['a']);
      // Every field comes back as it went in.
      expect(canonical(await collect(scanner.rows({ from: T0 + 1, to: T0 + 2 })))).toBe(canonical([rows[1]]));
    } finally {
      await scanner.close();
    }
  });
});

describe('pruning elsewhere', () => {
  it("through the worker-thread store (the gateway's SQLite store)", async () => {
    const t = new TempLedger();
    try {
      const store = t.open('worker');
      for (let i = 0; i < 10; i++) store.appendLedger(row({ requestId: `w${i}`, ts: T0 + i, tags: ['a'] }));
      expect(await pruneLedger(store, { before: T0 + 7, batchRows: 3 })).toBe(7);
      expect(t.countOnDisk()).toBe(3);
    } finally {
      await t.dispose();
    }
  });

  it.runIf(PG)('PostgreSQL: two replicas pruning at once take different rows (SKIP LOCKED) and delete each once', async () => {
    const p = new PgLedger();
    try {
      await seedPostgres(p, 20_000);
      const [a, b] = [p.open(), p.open()];
      const before = T0 + 15_000 * 1000 + 1; // rows 1..15,000
      const [da, db] = await Promise.all([pruneLedger(a, { before, batchRows: 500 }), pruneLedger(b, { before, batchRows: 500 })]);
      const left = await a.prune({ before, limit: 500 }); // a replica that stopped early leaves the rest to the next run
      expect(da + db + left).toBe(15_000);
      const [r] = await p.admin.unsafe<{ n: string }[]>(`SELECT count(*) AS n FROM "${p.schema}".ledger`);
      expect(Number(r?.n)).toBe(5_000);
    } finally {
      await p.dispose();
    }
  });
});

describe('the plans read the ts index', () => {
  it('SQLite: a prune step searches ledger_ts, with no table scan and no sort', () => {
    const t = new TempLedger();
    const store = t.open('in-thread');
    const db = new Database(t.path, { readonly: true });
    try {
      const plan = (sql: string) =>
        (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ before: T0, limit: 5000 }) as { detail: string }[]).map((r) => r.detail).join('\n');
      const prune = plan(PRUNE_SELECT);
      expect(prune).toMatch(/SEARCH ledger USING COVERING INDEX ledger_ts \(ts<\?\)/);
      expect(prune).not.toMatch(/SCAN ledger|TEMP B-TREE/);
      const tags = plan(`DELETE FROM ledger_tags WHERE ledger_id IN (${PRUNE_SELECT})`);
      expect(tags).toMatch(/SEARCH ledger_tags USING PRIMARY KEY \(ledger_id=\?\)/);
    } finally {
      db.close();
      void store.close().then(() => t.dispose());
    }
  });

  it.runIf(PG)('PostgreSQL: a prune step reads ledger_ts and the two primary keys on a 50,000-row ledger, never a sequential scan', async () => {
    const p = new PgLedger();
    try {
      await seedPostgres(p, 50_000);
      const t = tables(p.schema);
      await p.admin.unsafe(`INSERT INTO ${t.tags} (ledger_id, tag) SELECT id, tag FROM ${t.ledger}, (VALUES ('a'), ('b')) AS v (tag)`);
      await p.admin.unsafe(`ANALYZE ${t.ledger}; ANALYZE ${t.tags}`);
      const plan = async (before: number) =>
        (await p.admin.unsafe<{ 'QUERY PLAN': string }[]>(`EXPLAIN ${pruneSql(t)}`, [before, 5000])).map((r) => r['QUERY PLAN']).join('\n');
      for (const before of [T0 + 10_000_000, T0 + 60_000_000]) {
        const text = await plan(before); // a bound that matches a few rows, and one that matches them all
        expect(text).toMatch(/Index (Only )?Scan using ledger_ts on ledger/);
        expect(text).toMatch(/Index (Only )?Scan using ledger_tags_pkey on ledger_tags/);
        expect(text).toMatch(/Index (Only )?Scan using ledger_pkey on ledger/);
        expect(text, text).not.toMatch(/Seq Scan|Sort/);
      }
    } finally {
      await p.dispose();
    }
  });
});
