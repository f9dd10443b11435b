// Prefix-churn reports shared by replicas through the PostgreSQL ledger's schema: each replica's
// detector rows upserted under its id, read back summed exactly (pico-dollars as bigint), the
// example from the replica that saw churn last, aged rows ignored and deleted. Every test has a
// schema of its own; with CI=true PostgreSQL must answer.
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { mergeChurnReports, PrefixChurnDetector, type ChurnReport } from '../../src/promptcache/churn.js';
import { migrateChurnTables, openPostgresChurnStore, type ChurnReportStore } from '../../src/promptcache/churn-postgres.js';
import { SharedChurnReports } from '../../src/promptcache/churn-reports.js';
import { PG_URL, postgresUp, schemaName } from '../storage/backends.js';

const HAS_PG = await postgresUp();
const TAIL = 'Answer politely, cite the bylaw section and never guess opening hours. '.repeat(4);
const DAY = 86_400_000;

/** `n` prompts on `route` that differ only in an early stamp: all but the first churn. */
function churn(d: PrefixChurnDetector, route: string, n: number, savingPerTokenPico: number, from = 0): void {
  for (let i = from; i < from + n; i++) d.observe({ route, stableText: `Time ${i}.\n${TAIL}`, savingPerTokenPico });
}

function report(route: string, over: Partial<ChurnReport>): ChurnReport {
  return { route, requests: 0, churned: 0, tokensLost: 0, picoLost: 0n, firstDifferenceAt: 0, example: '', lastChurnAt: 0, ...over };
}

describe('mergeChurnReports', () => {
  it('sums counts and money per route exactly; the example and position come from the latest churn', () => {
    const big = 2n ** 53n + 1n;
    const merged = mergeChurnReports([
      report('t:a', { requests: 3, churned: 2, tokensLost: 100, picoLost: big, firstDifferenceAt: 5, example: 'old', lastChurnAt: 10 }),
      report('t:b', { requests: 1 }),
      report('t:a', { requests: 4, churned: 1, tokensLost: 50, picoLost: big, firstDifferenceAt: 7, example: 'new', lastChurnAt: 20 }),
      report('t:a', { requests: 2 }),
    ]);
    expect(merged).toEqual([
      report('t:a', { requests: 9, churned: 3, tokensLost: 150, picoLost: 2n * big, firstDifferenceAt: 7, example: 'new', lastChurnAt: 20 }),
      report('t:b', { requests: 1 }),
    ]);
  });
});

describe.runIf(HAS_PG)('churn reports in a PostgreSQL schema', () => {
  const schema = schemaName();
  const admin = postgres(PG_URL, { max: 2, onnotice: () => undefined });
  const opened: ChurnReportStore[] = [];
  const open = (): ChurnReportStore => {
    const store = openPostgresChurnStore({ url: PG_URL, schema });
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    await admin.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });

  it('replicas migrating together apply the migration once', async () => {
    const runs = await Promise.all([0, 1, 2].map(() => migrateChurnTables(admin, schema)));
    expect(runs.map((r) => r.after)).toEqual([1, 1, 1]);
    expect(runs.filter((r) => r.before === 0)).toHaveLength(1);
    const [row] = await admin.unsafe<{ n: string }[]>(`SELECT count(*) AS n FROM "${schema}".churn_schema_version`);
    expect(row?.n).toBe('1');
  });

  it("two replicas' reports are read back as one sum, to the pico-dollar beyond 2^53", async () => {
    let now = 1_000_000;
    const clock = () => now;
    // 2^46 pico per token: a few hundred lost tokens are above 2^53 pico-dollars.
    const saving = 2 ** 46;
    const d1 = new PrefixChurnDetector({ minChars: 100, now: clock });
    const d2 = new PrefixChurnDetector({ minChars: 100, now: clock });
    const r1 = new SharedChurnReports({ detector: d1, store: open(), replica: 'r1', now: clock });
    const r2 = new SharedChurnReports({ detector: d2, store: open(), replica: 'r2', now: clock });
    churn(d1, 't:m', 4, saving);
    churn(d1, 't:quiet', 1, saving);
    now += 1_000;
    churn(d2, 't:m', 2, saving, 100);
    await r1.publish();

    const reading = await r2.read(); // writes r2's own rows first
    expect(reading.scope).toBe('all_replicas');
    const [one] = d1.report();
    const [two] = d2.report();
    const sum = reading.reports.find((r) => r.route === 't:m')!;
    expect(sum.requests).toBe(6);
    expect(sum.churned).toBe(3 + 1);
    expect(sum.tokensLost).toBe(one!.tokensLost + two!.tokensLost);
    expect(sum.picoLost).toBe(BigInt(sum.tokensLost) * BigInt(saving));
    expect(sum.picoLost > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    // The latest churn was replica 2's.
    expect(sum.example).toBe(two!.example);
    expect(sum.firstDifferenceAt).toBe('Time 10'.length);
    expect(one!.firstDifferenceAt).toBe('Time '.length);
    expect(sum.lastChurnAt).toBe(now);
    expect(reading.reports.map((r) => r.route)).toEqual(['t:m', 't:quiet']);
    expect((await r1.read()).reports).toEqual(reading.reports);
  });

  it('writes only the routes that changed; close writes what is left', async () => {
    let now = 5_000;
    const clock = () => now;
    const d = new PrefixChurnDetector({ minChars: 100, now: clock });
    const r = new SharedChurnReports({ detector: d, store: open(), replica: 'r', now: clock });
    churn(d, 't:a', 2, 1);
    churn(d, 't:b', 2, 1);
    await r.publish();
    now = 6_000;
    churn(d, 't:b', 1, 1, 10);
    await r.publish();
    const stamps = await admin.unsafe<{ route: string; updated_at: string; requests: string }[]>(
      `SELECT route, updated_at::text, requests::text FROM "${schema}".churn_reports ORDER BY route`,
    );
    expect(stamps).toEqual([
      { route: 't:a', updated_at: '5000', requests: '2' },
      { route: 't:b', updated_at: '6000', requests: '3' },
    ]);
    churn(d, 't:a', 1, 1, 20);
    await r.close();
    opened.splice(0); // closed by r
    const [a] = await admin.unsafe<{ requests: string }[]>(`SELECT requests::text FROM "${schema}".churn_reports WHERE route = 't:a'`);
    expect(a?.requests).toBe('3');
  });

  it('rows not updated for 7 days are ignored, then deleted', async () => {
    let now = 10 * DAY;
    const clock = () => now;
    const gone = new PrefixChurnDetector({ minChars: 100, now: clock });
    const live = new PrefixChurnDetector({ minChars: 100, now: clock });
    const old = new SharedChurnReports({ detector: gone, store: open(), replica: 'gone', now: clock });
    churn(gone, 't:m', 3, 7);
    await old.publish();
    now += 7 * DAY + 1;
    const current = new SharedChurnReports({ detector: live, store: open(), replica: 'live', now: clock });
    churn(live, 't:m', 2, 7);
    const reading = await current.read(); // its first write also prunes
    expect(reading.reports.map((r) => [r.route, r.requests])).toEqual([['t:m', 2]]);
    const rows = await admin.unsafe<{ replica: string }[]>(`SELECT replica FROM "${schema}".churn_reports`);
    expect(rows.map((r) => r.replica)).toEqual(['live']);
  });

  it("answers this replica's own report when PostgreSQL cannot be read", async () => {
    const d = new PrefixChurnDetector({ minChars: 100 });
    const logged: string[] = [];
    const store = openPostgresChurnStore({ url: 'postgres://postgres@127.0.0.1:1/none', schema });
    opened.push(store);
    const r = new SharedChurnReports({ detector: d, store, replica: 'r', log: (m) => logged.push(m) });
    churn(d, 't:m', 3, 1);
    const reading = await r.read();
    expect(reading.scope).toBe('replica');
    expect(reading.reports).toEqual(d.report());
    expect(logged.join('\n')).toMatch(/prefix-churn/);
  });
});
