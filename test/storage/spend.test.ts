// Spend queries (the rollup plus the raw edges), hand-checked against both SQLite stores, and
// against a reference model (property test, in-thread store: the worker runs the same queries).
// SQLite only by subject: PostgreSQL's answers are compared with these in postgres-contract.test.ts.
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/storage/sqlite.js';
import type { DurableStore, LedgerRow, SpendBucket, SpendQuery } from '../../src/storage/types.js';
import { DAY, HOUR, KINDS, T0, TempLedger, row as fullRow } from './support.js';

function row(overrides: Partial<LedgerRow> & Pick<LedgerRow, 'requestId'>): LedgerRow {
  return fullRow({
    keyId: 'k1',
    servedModel: 'm-a',
    inputTokens: 0,
    outputTokens: 0,
    reasoningTokens: 0,
    costPico: 0,
    baselinePico: 0,
    latencyMs: 1,
    ...overrides,
  });
}

// Hand-checked fixture (see the expectations below).
const FIXTURE: LedgerRow[] = [
  row({ requestId: 'r1', ts: T0 + HOUR, servedModel: 'm-a', keyId: 'k1', tags: ['x'], costPico: 100, baselinePico: 300, inputTokens: 10, outputTokens: 1 }),
  row({
    requestId: 'r2',
    ts: T0 + 2 * HOUR,
    servedModel: 'm-b',
    keyId: 'k1',
    tags: ['x', 'y'],
    costPico: 50,
    baselinePico: 50,
    inputTokens: 20,
    outputTokens: 2,
  }),
  row({ requestId: 'r3', ts: T0 + DAY + HOUR, servedModel: 'm-a', keyId: 'k2', tags: [], costPico: 400, baselinePico: 500, inputTokens: 30, outputTokens: 3 }),
  row({ requestId: 'r4', ts: T0 + 2 * DAY, servedModel: 'm-b', keyId: 'k2', tags: ['y'], costPico: 7, baselinePico: 9, inputTokens: 40, outputTokens: 4 }),
  row({ requestId: 'r5', ts: T0 - 1, servedModel: 'm-c', keyId: 'k3', tags: [], costPico: 1, baselinePico: 1, inputTokens: 50, outputTokens: 5 }),
];

describe.each(KINDS)('%s store', (kind) => {
  // One store holds the fixture for the read-only tests.
  let t: TempLedger;
  let s: DurableStore;

  beforeAll(async () => {
    t = new TempLedger();
    s = t.open(kind);
    for (const r of FIXTURE) s.appendLedger(r);
    await s.flush();
  });

  afterAll(async () => {
    await t.dispose();
  });

  /** key → [requests, costPico, baselinePico], in the returned order. */
  async function summary(query: SpendQuery): Promise<[string, number, number, number][]> {
    return (await s.spend(query)).map((b) => [b.key, b.requests, b.costPico, b.baselinePico]);
  }

  describe('spend over the whole ledger', () => {
    it('groups by served model, costliest first, with every sum', async () => {
      expect(await s.spend({ groupBy: 'model' })).toEqual([
        {
          key: 'm-a',
          requests: 2,
          inputTokens: 40,
          cacheReadTokens: 20,
          cacheWrite5mTokens: 40,
          cacheWrite1hTokens: 60,
          outputTokens: 4,
          costPico: 500,
          baselinePico: 800,
          promptCachePico: 0,
          exact: { costPico: 500n, baselinePico: 800n, promptCachePico: 0n },
        },
        {
          key: 'm-b',
          requests: 2,
          inputTokens: 60,
          cacheReadTokens: 20,
          cacheWrite5mTokens: 40,
          cacheWrite1hTokens: 60,
          outputTokens: 6,
          costPico: 57,
          baselinePico: 59,
          promptCachePico: 0,
          exact: { costPico: 57n, baselinePico: 59n, promptCachePico: 0n },
        },
        {
          key: 'm-c',
          requests: 1,
          inputTokens: 50,
          cacheReadTokens: 10,
          cacheWrite5mTokens: 20,
          cacheWrite1hTokens: 30,
          outputTokens: 5,
          costPico: 1,
          baselinePico: 1,
          promptCachePico: 0,
          exact: { costPico: 1n, baselinePico: 1n, promptCachePico: 0n },
        },
      ]);
    });

    it('groups by UTC day, in day order', async () => {
      expect(await summary({ groupBy: 'day' })).toEqual([
        ['2025-01-09', 1, 1, 1],
        ['2025-01-10', 2, 150, 350],
        ['2025-01-11', 1, 400, 500],
        ['2025-01-12', 1, 7, 9],
      ]);
    });

    it('groups by tag: a row counts under each of its tags, untagged rows under (untagged)', async () => {
      expect(await summary({ groupBy: 'tag' })).toEqual([
        ['(untagged)', 2, 401, 501],
        ['x', 2, 150, 350],
        ['y', 2, 57, 59],
      ]);
    });

    it('groups by key', async () => {
      expect(await summary({ groupBy: 'key' })).toEqual([
        ['k2', 2, 407, 509],
        ['k1', 2, 150, 350],
        ['k3', 1, 1, 1],
      ]);
    });
  });

  describe('spend within bounds (from inclusive, to exclusive)', () => {
    const window = { from: T0, to: T0 + 2 * DAY }; // r1, r2, r3; not r4 (at `to`) nor r5 (before `from`)

    it('by model, day, tag and key', async () => {
      expect(await summary({ groupBy: 'model', ...window })).toEqual([
        ['m-a', 2, 500, 800],
        ['m-b', 1, 50, 50],
      ]);
      expect(await summary({ groupBy: 'day', ...window })).toEqual([
        ['2025-01-10', 2, 150, 350],
        ['2025-01-11', 1, 400, 500],
      ]);
      expect(await summary({ groupBy: 'tag', ...window })).toEqual([
        ['(untagged)', 1, 400, 500],
        ['x', 2, 150, 350],
        ['y', 1, 50, 50],
      ]);
      expect(await summary({ groupBy: 'key', ...window })).toEqual([
        ['k2', 1, 400, 500],
        ['k1', 2, 150, 350],
      ]);
    });

    it('one bound at a time', async () => {
      expect(await summary({ groupBy: 'model', from: T0 + 2 * DAY })).toEqual([['m-b', 1, 7, 9]]);
      expect(await summary({ groupBy: 'tag', to: T0 })).toEqual([['(untagged)', 1, 1, 1]]);
      expect(await summary({ groupBy: 'day', from: T0 + 3 * DAY })).toEqual([]);
      expect(await summary({ groupBy: 'tag', from: T0 + 3 * DAY })).toEqual([]);
    });

    it('rejects a bound that is not a finite number, and an unknown grouping', async () => {
      await expect(s.spend({ groupBy: 'model', from: Number.NaN })).rejects.toThrow(/from/);
      // @ts-expect-error -- deliberately an unknown grouping: it must be refused
      await expect(s.spend({ groupBy: 'tenant' })).rejects.toThrow(/unknown spend grouping/);
    });
  });

  describe('money', () => {
    // A store of its own per test: these add rows that would change the fixture's sums.
    let t: TempLedger;
    let s: DurableStore;

    beforeEach(() => {
      t = new TempLedger();
      s = t.open(kind);
    });

    afterEach(async () => {
      await t.dispose();
    });

    it('sums exactly: 3 × 1,234,567 pico', async () => {
      for (const id of ['a', 'b', 'c']) s.appendLedger(row({ requestId: id, servedModel: 'exact', costPico: 1_234_567, baselinePico: 1_234_567 }));
      const bucket = (await s.spend({ groupBy: 'model' })).find((b) => b.key === 'exact');
      expect(bucket?.costPico).toBe(3_703_701);
      expect(bucket?.baselinePico).toBe(3_703_701);
    });

    it('sums past 2^63 pico without SQLite integer overflow', async () => {
      const n = 2_000;
      for (let i = 0; i < n; i++) s.appendLedger(row({ requestId: `big${i}`, servedModel: 'big', costPico: Number.MAX_SAFE_INTEGER }));
      await s.flush();
      const bucket = (await s.spend({ groupBy: 'model' })).find((b) => b.key === 'big');
      expect(bucket?.costPico).toBe(Number(BigInt(n) * BigInt(Number.MAX_SAFE_INTEGER)));
      expect(bucket?.exact.costPico).toBe(BigInt(n) * BigInt(Number.MAX_SAFE_INTEGER));
      // The naive query would fail, so this test exercises the split sum.
      const db = new Database(t.path, { readonly: true });
      expect(() => db.prepare("SELECT sum(cost_pico) FROM ledger WHERE served_model = 'big'").get()).toThrow(/overflow/);
      db.close();
    });

    it('keeps rollup sums exact when a batch would push one past 2^53', async () => {
      for (const id of ['t1', 't2']) s.appendLedger(row({ requestId: id, servedModel: 'tokens', inputTokens: Number.MAX_SAFE_INTEGER }));
      const bucket = (await s.spend({ groupBy: 'model' })).find((b) => b.key === 'tokens');
      expect(bucket?.inputTokens).toBe(Number(2n * BigInt(Number.MAX_SAFE_INTEGER)));
      expect(bucket?.requests).toBe(2);
    });
  });
});

describe('spend against a reference model (property)', () => {
  const tagArb = fc.constantFrom('a', 'b', 'c', '(untagged)');
  const rowArb = fc.record({
    requestId: fc.constantFrom(...Array.from({ length: 12 }, (_, i) => `id${i}`)),
    // Wide spread, or a few hours so rollup cells collect several rows and windows cut hours.
    ts: fc.oneof(fc.integer({ min: T0 - DAY, max: T0 + 3 * DAY }), fc.integer({ min: T0, max: T0 + 3 * HOUR })),
    servedModel: fc.constantFrom('m1', 'm2', 'm3'),
    keyId: fc.constantFrom('k1', 'k2'),
    tags: fc.array(tagArb, { maxLength: 3 }),
    costPico: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    baselinePico: fc.integer({ min: 0, max: 10 ** 12 }),
    promptCachePico: fc.integer({ min: -(10 ** 12), max: 10 ** 12 }),
    technique: fc.constantFrom(null, 'routing', 'cascade'),
    inputTokens: fc.nat(1_000_000),
  });
  const queryArb = fc.record(
    {
      groupBy: fc.constantFrom<SpendQuery['groupBy']>('model', 'day', 'tag', 'key', 'technique'),
      from: fc.oneof(fc.integer({ min: T0 - DAY, max: T0 + 3 * DAY }), fc.integer({ min: T0, max: T0 + 3 * HOUR })),
      to: fc.oneof(fc.integer({ min: T0 - DAY, max: T0 + 3 * DAY }), fc.integer({ min: T0, max: T0 + 3 * HOUR })),
    },
    { requiredKeys: ['groupBy'] },
  );

  function reference(rows: LedgerRow[], q: SpendQuery): Omit<SpendBucket, 'cacheReadTokens' | 'cacheWrite5mTokens' | 'cacheWrite1hTokens' | 'outputTokens'>[] {
    const firstById = new Map<string, LedgerRow>();
    for (const r of rows) if (!firstById.has(r.requestId)) firstById.set(r.requestId, r);
    const acc = new Map<string, { requests: number; input: number; cost: bigint; base: bigint; pc: bigint }>();
    for (const r of firstById.values()) {
      if ((q.from !== undefined && r.ts < q.from) || (q.to !== undefined && r.ts >= q.to)) continue;
      const keys =
        q.groupBy === 'model'
          ? [r.servedModel]
          : q.groupBy === 'key'
            ? [r.keyId]
            : q.groupBy === 'day'
              ? [new Date(r.ts).toISOString().slice(0, 10)]
              : q.groupBy === 'technique'
                ? [r.technique ?? '(none)']
                : r.tags.length === 0
                  ? ['(untagged)']
                  : [...new Set(r.tags)];
      for (const k of keys) {
        const a = acc.get(k) ?? { requests: 0, input: 0, cost: 0n, base: 0n, pc: 0n };
        a.requests += 1;
        a.input += r.inputTokens;
        a.cost += BigInt(r.costPico);
        a.base += BigInt(r.baselinePico);
        a.pc += BigInt(r.promptCachePico);
        acc.set(k, a);
      }
    }
    const buckets = [...acc].map(([key, a]) => ({
      key,
      requests: a.requests,
      inputTokens: a.input,
      costPico: Number(a.cost),
      baselinePico: Number(a.base),
      promptCachePico: Number(a.pc),
      exact: { costPico: a.cost, baselinePico: a.base, promptCachePico: a.pc },
    }));
    buckets.sort((x, y) =>
      q.groupBy !== 'day' && x.exact.costPico !== y.exact.costPico
        ? x.exact.costPico > y.exact.costPico
          ? -1
          : 1
        : x.key < y.key
          ? -1
          : x.key > y.key
            ? 1
            : 0,
    );
    return buckets;
  }

  it('matches for random rows (with duplicate ids) and random queries', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(rowArb, { maxLength: 40 }), queryArb, async (partials, query) => {
        const rows = partials.map((p) => row(p));
        const mem = openSqliteStore({ path: ':memory:' });
        try {
          for (const r of rows) mem.appendLedger(r);
          const got = (await mem.spend(query)).map(({ cacheReadTokens: _a, cacheWrite5mTokens: _b, cacheWrite1hTokens: _c, outputTokens: _d, ...b }) => b);
          expect(got).toEqual(reference(rows, query));
        } finally {
          await mem.close();
        }
      }),
      { numRuns: 150 },
    );
  });
});
