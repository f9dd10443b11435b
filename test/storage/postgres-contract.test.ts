// The DurableStore contract run over SQLite and PostgreSQL alike (describe.each), then the two
// backends compared answer for answer: every dashboard query kind and spend grouping on a fixed
// fixture, and on random ledgers (property). PostgreSQL-only behaviour: postgres.test.ts.
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/storage/sqlite.js';
import { OTHER_SERIES, type DashboardQuery, type SeriesCell } from '../../src/storage/dashboard-types.js';
import type { PostgresStore } from '../../src/storage/postgres/index.js';
import type { DurableStore, LedgerRow, SpendQuery } from '../../src/storage/types.js';
import { PgLedger, canonical, postgresUp, testLedger, type Backend, type TestLedger } from './backends.js';
import { DAY, HOUR, T0, row } from './support.js';

const PG = await postgresUp();
const BACKENDS: readonly Backend[] = ['sqlite', 'postgres'];

describe.skipIf(!PG).each(BACKENDS)('%s store', (backend) => {
  let t: TestLedger;

  beforeEach(() => {
    t = testLedger(backend);
  });

  afterEach(async () => {
    await t.dispose();
  });

  it('round-trips every field exactly through a reopened store', async () => {
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
      promptCachePico: -Number.MAX_SAFE_INTEGER,
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
    // No hash, cap or stop reason (a sub-call): NULL in text and numeric columns alike.
    const b = row({
      requestId: 'req-b',
      ts: T0 + 124,
      tags: [],
      errorKind: null,
      stream: false,
      costPico: 0,
      latencyMs: 0.1 + 0.2,
      promptHash: null,
      maxTokens: null,
      stopReason: null,
    });
    // Text that array literals and JSON must carry as it is.
    const c = row({
      requestId: 'he said "hi", {x}',
      ts: T0 + 125,
      tenant: 'back\\slash \\"',
      keyId: 'NULL',
      tags: ['', ' spaced ', 'a,b', '{}', 'NULL', '"'],
      endpoint: '',
      route: '\t\n😀 \u{10ffff}',
      technique: 'null',
      cache: '',
      latencyMs: 1e-7,
    });
    const s = t.open();
    s.appendLedger(a);
    s.appendLedger(b);
    s.appendLedger(c);
    await s.close();

    const again = t.open();
    expect(await again.ledgerRows({ limit: 10 })).toEqual([c, b, a]);
    expect((await again.spend({ groupBy: 'tag', from: T0 + 125 })).map((x) => x.key)).toEqual(['', ' spaced ', '"', 'NULL', 'a,b', '{}']);
  });

  it('ignores a duplicate request id, in a later batch or the same one, keeping the first row and its tags', async () => {
    const s = t.open({ noTimers: true });
    s.appendLedger(row({ requestId: 'dup', costPico: 10, tags: ['first'] }));
    s.appendLedger(row({ requestId: 'dup', costPico: 55, tags: ['same-batch'] }));
    await s.flush();
    s.appendLedger(row({ requestId: 'dup', costPico: 99, tags: ['second'] }));
    s.appendLedger(row({ requestId: 'dup', costPico: 77, tags: ['third'] }));
    await s.flush();
    const rows = await s.ledgerRows({ limit: 10 });
    expect(rows).toHaveLength(1);
    expect(rows[0]?.costPico).toBe(10);
    expect((await s.spend({ groupBy: 'tag' })).map((b) => [b.key, b.requests, b.costPico])).toEqual([['first', 1, 10]]);
    expect((await s.spend({ groupBy: 'model' })).map((b) => [b.requests, b.costPico])).toEqual([[1, 10]]);
    expect(await t.countOnDisk()).toBe(1);
  });

  it('lists newest first with limit and offset (ties in insertion order, newest first)', async () => {
    const s = t.open();
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
    const s = t.open();
    s.appendLedger(row({ requestId: 'bad', costPico: 1.5 }));
    s.appendLedger(row({ requestId: 'bad-ts', ts: -1 }));
    s.appendLedger(row({ requestId: 'good' }));
    await s.flush();
    expect((await s.ledgerRows({ limit: 10 })).map((r) => r.requestId)).toEqual(['good']);
    expect(t.logged).toHaveLength(1); // the second rejection is counted, not logged (1, 10, 100, …)
    expect(t.logged[0]).toMatch(/bad.*costPico/);
  });

  it('queries see the rows appended just before them (read-your-writes)', async () => {
    const s = t.open({ noTimers: true });
    s.appendLedger(row({ requestId: 'a', costPico: 7 }));
    expect((await s.spend({ groupBy: 'model' }))[0]?.costPico).toBe(7);
    s.appendLedger(row({ requestId: 'b' }));
    expect(await s.ledgerRows({ limit: 10 })).toHaveLength(2);
    s.appendLedger(row({ requestId: 'c', cache: 'hit-exact' }));
    expect(await s.dashboard({ kind: 'cacheCounts' })).toEqual({ hitExact: 1, hitSemantic: 0, miss: 0 });
  });

  it('flush makes rows durable: another connection sees them, and so does a reopened store', async () => {
    const s = t.open({ noTimers: true });
    for (let i = 0; i < 2_345; i++) s.appendLedger(row({ requestId: `r${i}`, ts: T0 + i, tags: i % 2 === 0 ? ['even'] : [] }));
    await s.flush();
    expect(await t.countOnDisk()).toBe(2_345);
    s.appendLedger(row({ requestId: 'last' }));
    await s.close();
    const again = t.open();
    expect((await again.ledgerRows({ limit: 5_000 })).length).toBe(2_346);
    expect((await again.spend({ groupBy: 'tag' })).map((b) => [b.key, b.requests])).toEqual([
      ['(untagged)', 1_173],
      ['even', 1_173],
    ]);
  });

  it('close writes rows appended while it is closing', async () => {
    const s = t.open({ noTimers: true });
    for (let i = 0; i < 5; i++) s.appendLedger(row({ requestId: `r${i}` }));
    const closing = s.close();
    s.appendLedger(row({ requestId: 'late' }));
    await closing;
    expect(await t.countOnDisk()).toBe(6);
  });

  it('after close, appends are logged once and dropped, queries reject, flush and close are no-ops', async () => {
    const s = t.open();
    await s.close();
    await s.close();
    s.appendLedger(row());
    s.appendLedger(row({ requestId: 'again' }));
    expect(t.logged).toHaveLength(1);
    expect(t.logged[0]).toMatch(/after close was dropped/);
    await expect(s.spend({ groupBy: 'model' })).rejects.toThrow(/closed/);
    await expect(s.dashboard({ kind: 'routing' })).rejects.toThrow(/closed/);
    await expect(s.flush()).resolves.toBeUndefined();
  });

  describe('spend (the hand-checked fixture of spend.test.ts)', () => {
    const fixture = (): LedgerRow[] => {
      const r = (o: Partial<LedgerRow> & Pick<LedgerRow, 'requestId'>) =>
        row({ keyId: 'k1', servedModel: 'm-a', inputTokens: 0, outputTokens: 0, reasoningTokens: 0, costPico: 0, baselinePico: 0, latencyMs: 1, ...o });
      return [
        r({ requestId: 'r1', ts: T0 + HOUR, tags: ['x'], costPico: 100, baselinePico: 300, inputTokens: 10, outputTokens: 1 }),
        r({ requestId: 'r2', ts: T0 + 2 * HOUR, servedModel: 'm-b', tags: ['x', 'y'], costPico: 50, baselinePico: 50, inputTokens: 20, outputTokens: 2 }),
        r({ requestId: 'r3', ts: T0 + DAY + HOUR, keyId: 'k2', costPico: 400, baselinePico: 500, inputTokens: 30, outputTokens: 3, technique: 'routing' }),
        r({ requestId: 'r4', ts: T0 + 2 * DAY, servedModel: 'm-b', keyId: 'k2', tags: ['y'], costPico: 7, baselinePico: 9, inputTokens: 40, outputTokens: 4 }),
        r({ requestId: 'r5', ts: T0 - 1, servedModel: 'm-c', keyId: 'k3', costPico: 1, baselinePico: 1, inputTokens: 50, outputTokens: 5 }),
        r({ requestId: 'r6', ts: T0 + 2 * HOUR + 5, parentId: 'r2', servedModel: 'm-b', costPico: 3, baselinePico: 0, technique: 'cascade' }),
      ];
    };
    const summary = async (s: DurableStore, q: SpendQuery) => (await s.spend(q)).map((b) => [b.key, b.requests, b.costPico, b.baselinePico]);

    it('groups by model, day, tag, key and technique, whole and within bounds', async () => {
      const s = t.open();
      for (const r of fixture()) s.appendLedger(r);
      expect((await s.spend({ groupBy: 'model' }))[0]).toEqual({
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
      });
      expect(await summary(s, { groupBy: 'model' })).toEqual([
        ['m-a', 2, 500, 800],
        ['m-b', 2, 60, 59], // r6 is a billed sub-call: cost, not a request
        ['m-c', 1, 1, 1],
      ]);
      expect(await summary(s, { groupBy: 'day' })).toEqual([
        ['2025-01-09', 1, 1, 1],
        ['2025-01-10', 2, 153, 350],
        ['2025-01-11', 1, 400, 500],
        ['2025-01-12', 1, 7, 9],
      ]);
      expect(await summary(s, { groupBy: 'tag' })).toEqual([
        ['(untagged)', 2, 404, 501],
        ['x', 2, 150, 350],
        ['y', 2, 57, 59],
      ]);
      expect(await summary(s, { groupBy: 'technique' })).toEqual([
        ['routing', 1, 400, 500],
        ['(none)', 4, 158, 360],
        ['cascade', 0, 3, 0],
      ]);
      const window = { from: T0, to: T0 + 2 * DAY };
      expect(await summary(s, { groupBy: 'key', ...window })).toEqual([
        ['k2', 1, 400, 500],
        ['k1', 2, 153, 350],
      ]);
      // Edges inside hours: raw rows at both ends, whole hours from the rollup in between.
      expect(await summary(s, { groupBy: 'model', from: T0 + HOUR + 1, to: T0 + 2 * HOUR + 6 })).toEqual([['m-b', 1, 53, 50]]);
      expect(await summary(s, { groupBy: 'model', from: T0 + 2 * DAY })).toEqual([['m-b', 1, 7, 9]]);
      expect(await summary(s, { groupBy: 'tag', to: T0 })).toEqual([['(untagged)', 1, 1, 1]]);
      expect(await summary(s, { groupBy: 'day', from: T0 + 3 * DAY })).toEqual([]);
      await expect(s.spend({ groupBy: 'model', from: Number.NaN })).rejects.toThrow(/from/);
      // @ts-expect-error -- deliberately an unknown grouping: it must be refused
      await expect(s.spend({ groupBy: 'tenant' })).rejects.toThrow(/unknown spend grouping/);
    });

    it('sums exactly: 3 × 1,234,567 pico', async () => {
      const s = t.open();
      for (const id of ['a', 'b', 'c']) s.appendLedger(row({ requestId: id, servedModel: 'exact', costPico: 1_234_567, baselinePico: 1_234_567 }));
      const bucket = (await s.spend({ groupBy: 'model' })).find((b) => b.key === 'exact');
      expect(bucket?.exact).toEqual({ costPico: 3_703_701n, baselinePico: 3_703_701n, promptCachePico: 0n });
    });

    it('sums far past 2^53 (and 2^63) pico exactly, from the rollup and from the raw edges', async () => {
      const s = t.open();
      const n = 2_000;
      for (let i = 0; i < n; i++) {
        s.appendLedger(
          row({ requestId: `big${i}`, ts: T0 + i, servedModel: 'big', costPico: Number.MAX_SAFE_INTEGER, promptCachePico: -Number.MAX_SAFE_INTEGER }),
        );
      }
      const whole = BigInt(n) * BigInt(Number.MAX_SAFE_INTEGER);
      const [bucket] = await s.spend({ groupBy: 'model' });
      expect(bucket?.exact).toEqual({ costPico: whole, baselinePico: BigInt(n) * 2_000n, promptCachePico: -whole });
      expect(bucket?.costPico).toBe(Number(whole));
      // From T0 + 1: every row but the first, read from the raw rows of the partial hour.
      const [edge] = await s.spend({ groupBy: 'model', from: T0 + 1 });
      expect(edge?.exact.costPico).toBe(whole - BigInt(Number.MAX_SAFE_INTEGER));
      expect(edge?.requests).toBe(n - 1);
      const [series] = await s.dashboard({ kind: 'timeseries', bucket: 'day', groupBy: 'model' });
      expect(series?.costPico).toBe(whole);
    });

    it('folds the series groups beyond `top` into (other), summed exactly', async () => {
      const s = t.open();
      for (const r of fixture()) s.appendLedger(r);
      const money = (c: SeriesCell) => [c.requests, c.costPico, c.baselinePico, c.promptCachePico];
      for (const bucket of ['hour', 'day'] as const) {
        const all = await s.dashboard({ kind: 'timeseries', bucket, groupBy: 'key' });
        const top = await s.dashboard({ kind: 'timeseries', bucket, groupBy: 'key', top: 1 });
        expect(new Set(top.map((c) => c.key))).toEqual(new Set(['k2', OTHER_SERIES])); // k2 407, k1 153, k3 1 pico
        for (const tt of new Set(all.map((c) => c.t))) {
          const at = (cells: SeriesCell[], keep: (k: string) => boolean) =>
            cells
              .filter((c) => c.t === tt && keep(c.key))
              .map(money)
              .reduce((a, b) => a.map((x, i) => BigInt(x) + BigInt(b[i]!)), [0n, 0n, 0n, 0n]);
          expect(at(top, (k) => k === OTHER_SERIES)).toEqual(at(all, (k) => k !== 'k2'));
          expect(at(top, (k) => k === 'k2')).toEqual(at(all, (k) => k === 'k2'));
        }
        const two = await s.dashboard({ kind: 'timeseries', bucket, groupBy: 'key', top: 2, from: T0, to: T0 + 3 * DAY });
        expect(new Set(two.map((c) => c.key))).toEqual(new Set(['k1', 'k2'])); // k3's row is before T0: no (other)
      }
    });

    it('ranks the series groups by exact cost past 2^53', async () => {
      const s = t.open();
      const max = Number.MAX_SAFE_INTEGER;
      // 2^54 − 3 and 2^54 − 2 pico: the same double, so only exact sums keep b-key first.
      for (const [id, keyId, costPico] of [
        ['a1', 'a-key', max],
        ['a2', 'a-key', max - 1],
        ['b1', 'b-key', max],
        ['b2', 'b-key', max],
      ] as const)
        s.appendLedger(row({ requestId: id, keyId, costPico, ts: T0 + HOUR }));
      const cells = await s.dashboard({ kind: 'timeseries', bucket: 'day', groupBy: 'key', top: 1 });
      expect(cells.map((c) => [c.key, c.costPico])).toEqual([
        [OTHER_SERIES, BigInt(max) * 2n - 1n],
        ['b-key', BigInt(max) * 2n],
      ]);
      await expect(s.dashboard({ kind: 'timeseries', bucket: 'day', groupBy: 'key', top: 0 })).rejects.toThrow(/top must be/);
    });

    it('has (other) in a bucket exactly when a group beyond `top` has a cell there, one that cost nothing included; sealed days, the open day and partial-day edges alike', async () => {
      const s = t.open();
      const r = (requestId: string, keyId: string, hour: number, costPico: number, parentId: string | null = null) =>
        row({ requestId, keyId, ts: T0 + hour * HOUR + 7, costPico, baselinePico: costPico, promptCachePico: 0, parentId });
      // Days 0-2 are closed by the time the day-3 rows are written (more than two hours into day 3),
      // so PostgreSQL reads them from spend_daily and day 3 from spend_hourly.
      const days = [
        [r('a1', 'k1', 1, 100), r('a2', 'k2', 1, 50), r('a3', 'k3', 2, 0, 'a1')],
        [r('b1', 'k1', 25, 100), r('b2', 'k2', 26, 10)],
        [r('c1', 'k1', 49, 5), r('c2', 'k3', 50, 0, 'c1')],
        [r('d1', 'k2', 75, 1), r('d2', 'k1', 76, 3)],
      ];
      for (const rows of days) {
        for (const x of rows) s.appendLedger(x);
        await s.flush();
      }
      if (t instanceof PgLedger) {
        const [sealed] = await t.admin.unsafe<{ day: string }[]>(`SELECT day::text FROM "${t.schema}".spend_daily_sealed`);
        expect(Number(sealed?.day)).toBe(T0 / DAY + 3);
      }
      const cells = async (q: { bucket: 'hour' | 'day'; from?: number; to?: number }) =>
        (await s.dashboard({ kind: 'timeseries', groupBy: 'key', top: 2, ...q })).map((c) => [(c.t - T0) / HOUR, c.key, c.requests, c.costPico]);
      // k1 208, k2 61, k3 0 pico: k3's sub-calls are the only cells beyond the top two.
      expect(await cells({ bucket: 'day' })).toEqual([
        [0, OTHER_SERIES, 0, 0n],
        [0, 'k1', 1, 100n],
        [0, 'k2', 1, 50n],
        [24, 'k1', 1, 100n],
        [24, 'k2', 1, 10n],
        [48, OTHER_SERIES, 0, 0n],
        [48, 'k1', 1, 5n],
        [72, 'k1', 1, 3n],
        [72, 'k2', 1, 1n],
      ]);
      expect(await cells({ bucket: 'hour' })).toEqual([
        [1, 'k1', 1, 100n],
        [1, 'k2', 1, 50n],
        [2, OTHER_SERIES, 0, 0n],
        [25, 'k1', 1, 100n],
        [26, 'k2', 1, 10n],
        [49, 'k1', 1, 5n],
        [50, OTHER_SERIES, 0, 0n],
        [75, 'k2', 1, 1n],
        [76, 'k1', 1, 3n],
      ]);
      // From hour 2 of day 0 to hour 76 (partial days at both ends): day 0 holds only k3's cell.
      expect(await cells({ bucket: 'day', from: T0 + 2 * HOUR, to: T0 + 76 * HOUR })).toEqual([
        [0, OTHER_SERIES, 0, 0n],
        [24, 'k1', 1, 100n],
        [24, 'k2', 1, 10n],
        [48, OTHER_SERIES, 0, 0n],
        [48, 'k1', 1, 5n],
        [72, 'k2', 1, 1n],
      ]);
      // With top 3 every group is kept: no (other) anywhere.
      const all = await s.dashboard({ kind: 'timeseries', bucket: 'day', groupBy: 'key', top: 3 });
      expect(all.some((c) => c.key === OTHER_SERIES)).toBe(false);
      expect(all.filter((c) => c.key === 'k3').map((c) => (c.t - T0) / HOUR)).toEqual([0, 48]);
    });

    it('keeps token sums exact past 2^53', async () => {
      const s = t.open();
      for (const id of ['t1', 't2']) s.appendLedger(row({ requestId: id, servedModel: 'tokens', inputTokens: Number.MAX_SAFE_INTEGER }));
      const bucket = (await s.spend({ groupBy: 'model' })).find((b) => b.key === 'tokens');
      expect(bucket?.inputTokens).toBe(Number(2n * BigInt(Number.MAX_SAFE_INTEGER)));
      expect(bucket?.requests).toBe(2);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The two backends side by side: the same rows in, the same answers out (compared as JSON text).

/** A deterministic ledger that exercises every filter, grouping and edge the dashboard has. */
function dashboardFixture(): LedgerRow[] {
  let seed = 42;
  const rand = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const pickOne = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const models = ['gpt-4o', 'gpt-4o-mini', 'claude-haiku', 'Zeta', 'émile', '~tilde'];
  const tags = ['team:ml', 'team:web', 'Prod', 'ünï', '(untagged)'];
  const routes = ['requested', 'rule:chat->gpt-4o-mini', 'fallback:529->claude-haiku', 'cascade:gpt-4o-mini:escalated', 'ROUTE:Fallback:500', 'a%b_c\\d'];
  const rows: LedgerRow[] = [];
  for (let i = 0; i < 400; i++) {
    const ts = i % 17 === 0 ? T0 + Math.floor(i / 17) * HOUR : T0 + Math.floor(rand() * 3 * DAY) - HOUR;
    const parent = i > 10 && rand() < 0.15 ? rows[Math.floor(rand() * rows.length)]!.requestId : null;
    rows.push(
      row({
        requestId: i % 50 === 49 ? rows[i - 7]!.requestId : `${pickOne(['cw_', 'cw_a', 'cx-', 'Req'])}${i}`,
        ts,
        keyId: pickOne(['key-a', 'key-b', 'Key-C']),
        tags: Array.from({ length: Math.floor(rand() * 3) }, () => pickOne(tags)),
        requestedModel: pickOne(models),
        servedModel: pickOne(models),
        inputTokens: Math.floor(rand() * 10_000),
        outputTokens: Math.floor(rand() * 2_000),
        costPico: Math.floor(rand() * 2 ** 52) * (i % 5 === 0 ? 2 : 1),
        baselinePico: Math.floor(rand() * 2 ** 53),
        promptCachePico: Math.floor(rand() * 2e12) - 1e12,
        latencyMs: Math.round(rand() * 5_000_000) / 1000,
        stream: rand() < 0.3,
        status: pickOne([200, 200, 200, 429, 500, 529]),
        technique: pickOne([null, null, 'routing', 'cascade', 'batch']),
        parentId: parent,
        route: pickOne(routes),
        cache: pickOne([null, null, 'hit-exact', 'hit-semantic', 'miss']),
      }),
    );
  }
  return rows;
}

const range = { from: T0 + HOUR / 2, to: T0 + DAY + 7 * HOUR + 123 };

const DASHBOARD_QUERIES: DashboardQuery[] = [
  ...(['hour', 'day'] as const).flatMap((bucket) =>
    (['technique', 'model', 'key', 'tag'] as const).flatMap((groupBy) => [
      { kind: 'timeseries' as const, bucket, groupBy },
      { kind: 'timeseries' as const, bucket, groupBy, ...range },
    ]),
  ),
  ...[1, 2, 3].flatMap((top) =>
    (['hour', 'day'] as const).flatMap((bucket) => [
      { kind: 'timeseries' as const, bucket, groupBy: 'key' as const, top },
      { kind: 'timeseries' as const, bucket, groupBy: 'model' as const, top, ...range },
    ]),
  ),
  { kind: 'requests', limit: 500, offset: 0 },
  { kind: 'requests', limit: 7, offset: 3 },
  { kind: 'requests', limit: 50, offset: 0, ...range },
  { kind: 'requests', limit: 50, offset: 0, model: 'émile' },
  { kind: 'requests', limit: 50, offset: 0, status: 'ok' },
  { kind: 'requests', limit: 50, offset: 0, status: 'error' },
  { kind: 'requests', limit: 50, offset: 0, status: 529 },
  { kind: 'requests', limit: 50, offset: 0, technique: 'none' },
  { kind: 'requests', limit: 50, offset: 0, technique: 'cascade' },
  { kind: 'requests', limit: 50, offset: 0, cache: 'none' },
  { kind: 'requests', limit: 50, offset: 0, cache: 'hit-semantic', ...range },
  { kind: 'requests', limit: 50, offset: 0, topLevel: true },
  { kind: 'requests', limit: 50, offset: 0, text: 'cw_a' },
  { kind: 'requests', limit: 50, offset: 0, text: 'cw_' },
  { kind: 'requests', limit: 50, offset: 0, text: 'fallback' }, // route, any ASCII case
  { kind: 'requests', limit: 50, offset: 0, text: 'ESCALATED', topLevel: true },
  { kind: 'requests', limit: 50, offset: 0, text: '%b_c\\' },
  { kind: 'requests', limit: 50, offset: 0, text: 'nothing matches this' },
  { kind: 'requests', limit: 20, offset: 5, model: 'Zeta', status: 'ok', technique: 'routing', topLevel: true, ...range },
  { kind: 'percentiles' },
  { kind: 'percentiles', ...range },
  { kind: 'percentiles', maxSample: 37 },
  { kind: 'percentiles', maxSample: 11, ...range },
  { kind: 'routing' },
  { kind: 'routing', ...range },
  { kind: 'cacheCounts' },
  { kind: 'cacheCounts', ...range },
];

const SPEND_QUERIES: SpendQuery[] = (['model', 'day', 'tag', 'key', 'technique'] as const).flatMap((groupBy) => [
  { groupBy },
  { groupBy, ...range },
  { groupBy, from: T0 + 1.5, to: T0 + 2 * DAY - 0.5 },
  { groupBy, to: T0 },
]);

describe.skipIf(!PG)('SQLite and PostgreSQL give the same answers', () => {
  let pg: PgLedger;
  let pgStore: DurableStore;
  let sqlite: DurableStore;

  beforeAll(async () => {
    pg = new PgLedger();
    pgStore = pg.open({ maxBatch: 64 }); // batch edges fall inside the fixture
    sqlite = openSqliteStore({ path: ':memory:', maxBatch: 64 });
    for (const r of dashboardFixture()) {
      pgStore.appendLedger(r);
      sqlite.appendLedger(r);
    }
    await Promise.all([pgStore.flush(), sqlite.flush()]);
  });

  afterAll(async () => {
    await sqlite.close();
    await pg.dispose();
  });

  it('on every dashboard query kind', async () => {
    const ids = (await sqlite.ledgerRows({ limit: 1_000 })).map((r) => r.requestId);
    const withSubCalls = (await sqlite.ledgerRows({ limit: 1_000 })).find((r) => r.parentId !== null)!.parentId!;
    const queries: DashboardQuery[] = [
      ...DASHBOARD_QUERIES,
      { kind: 'request', requestId: withSubCalls },
      { kind: 'request', requestId: ids[17]! },
      { kind: 'request', requestId: 'no-such-request' },
    ];
    expect(new Set(queries.map((q) => q.kind)).size).toBe(6); // every kind of dashboard-types.ts
    for (const q of queries) {
      const [a, b] = await Promise.all([sqlite.dashboard(q), pgStore.dashboard(q)]);
      expect(canonical(b), JSON.stringify(q)).toBe(canonical(a));
    }
    // The fixture reaches every path: sampled percentiles, sub-calls, route and id text search.
    expect((await pgStore.dashboard({ kind: 'percentiles', maxSample: 37 })).sampled).toBe(true);
    expect((await pgStore.dashboard({ kind: 'request', requestId: withSubCalls }))?.subCalls.length).toBeGreaterThan(0);
    expect((await pgStore.dashboard({ kind: 'requests', limit: 50, offset: 0, text: 'fallback' })).length).toBeGreaterThan(0);
    expect(await pgStore.dashboard({ kind: 'routing' })).toMatchObject({ fallbacks: expect.any(Number) as number });
  });

  it('on every spend grouping and bound', async () => {
    for (const q of SPEND_QUERIES) {
      const [a, b] = await Promise.all([sqlite.spend(q), pgStore.spend(q)]);
      expect(canonical(b), JSON.stringify(q)).toBe(canonical(a));
    }
  });

  it('on ledgerRows, duplicates and order included', async () => {
    const [a, b] = await Promise.all([sqlite.ledgerRows({ limit: 1_000 }), pgStore.ledgerRows({ limit: 1_000 })]);
    expect(b).toEqual(a);
    expect(b.length).toBe(392); // 400 rows, 8 of them repeating an earlier id
  });
});

describe.skipIf(!PG)('SQLite and PostgreSQL on random ledgers (property)', () => {
  let pg: PgLedger;
  let pgStore: PostgresStore;

  beforeAll(async () => {
    pg = new PgLedger();
    pgStore = pg.open({ noTimers: true });
    await pgStore.ready();
  });

  afterAll(async () => {
    await pg.dispose();
  });

  const rowArb = fc.record({
    requestId: fc.constantFrom(...Array.from({ length: 12 }, (_, i) => `id${i}`), 'cw_x', 'cw_y'),
    ts: fc.oneof(fc.integer({ min: T0 - DAY, max: T0 + 3 * DAY }), fc.integer({ min: T0, max: T0 + 3 * HOUR })),
    servedModel: fc.constantFrom('m1', 'm2', 'M3', 'é'),
    keyId: fc.constantFrom('k1', 'k2'),
    tags: fc.array(fc.constantFrom('a', 'b', 'B', '(untagged)'), { maxLength: 3 }),
    costPico: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    baselinePico: fc.integer({ min: 0, max: 10 ** 12 }),
    promptCachePico: fc.integer({ min: -(10 ** 12), max: 10 ** 12 }),
    technique: fc.constantFrom(null, 'routing', 'cascade'),
    parentId: fc.constantFrom(null, null, 'id1'),
    cache: fc.constantFrom(null, 'hit-exact', 'miss'),
    route: fc.constantFrom('requested', 'fallback:x', 'a:escalated', 'Fallback:É'),
    status: fc.constantFrom(200, 429, 500),
    latencyMs: fc.double({ min: 0, max: 1e6, noNaN: true }),
    stream: fc.boolean(),
    inputTokens: fc.nat(1_000_000),
  });
  const bound = fc.oneof(
    fc.integer({ min: T0 - DAY, max: T0 + 3 * DAY }),
    fc.integer({ min: T0, max: T0 + 3 * HOUR }),
    fc.double({ min: T0, max: T0 + DAY, noNaN: true }),
  );
  const range = fc.record({ from: bound, to: bound }, { requiredKeys: [] });
  const queryArb = fc.oneof(
    fc.record({ spend: fc.record({ groupBy: fc.constantFrom<SpendQuery['groupBy']>('model', 'day', 'tag', 'key', 'technique') }), range }),
    fc.record({
      dashboard: fc.oneof(
        fc.record({
          kind: fc.constant('timeseries' as const),
          bucket: fc.constantFrom('hour' as const, 'day' as const),
          groupBy: fc.constantFrom('technique' as const, 'model' as const, 'key' as const, 'tag' as const),
          top: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
        }),
        fc.record(
          {
            kind: fc.constant('requests' as const),
            limit: fc.integer({ min: 0, max: 20 }),
            offset: fc.integer({ min: 0, max: 5 }),
            text: fc.constantFrom('cw_', 'id1', 'FALLBACK', 'é', 'É', '%'),
            status: fc.constantFrom('ok' as const, 'error' as const, 429),
            technique: fc.constantFrom('none', 'routing'),
            cache: fc.constantFrom('none', 'miss'),
            topLevel: fc.boolean(),
            model: fc.constantFrom('m1', 'é'),
          },
          { requiredKeys: ['kind', 'limit', 'offset'] },
        ),
        fc.record({ kind: fc.constant('percentiles' as const), maxSample: fc.integer({ min: 1, max: 50 }) }),
        fc.record({ kind: fc.constant('routing' as const) }),
        fc.record({ kind: fc.constant('cacheCounts' as const) }),
      ),
      range,
    }),
  );

  it('match for random rows (with duplicate ids) and random queries', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(rowArb, { maxLength: 40 }), fc.array(queryArb, { minLength: 1, maxLength: 6 }), async (partials, queries) => {
        await pg.admin.unsafe(
          `TRUNCATE "${pg.schema}".ledger, "${pg.schema}".ledger_tags, "${pg.schema}".spend_hourly, "${pg.schema}".spend_daily, "${pg.schema}".spend_blocks, "${pg.schema}".counts_hourly RESTART IDENTITY`,
        );
        const sqlite = openSqliteStore({ path: ':memory:' });
        try {
          for (const p of partials) {
            sqlite.appendLedger(row(p));
            pgStore.appendLedger(row(p));
          }
          for (const q of queries) {
            const [a, b] =
              'spend' in q
                ? await Promise.all([sqlite.spend({ ...q.spend, ...q.range }), pgStore.spend({ ...q.spend, ...q.range })])
                : await Promise.all([sqlite.dashboard({ ...q.dashboard, ...q.range }), pgStore.dashboard({ ...q.dashboard, ...q.range })]);
            expect(canonical(b), JSON.stringify(q)).toBe(canonical(a));
          }
        } finally {
          await sqlite.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
