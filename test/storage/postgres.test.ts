// The PostgreSQL store beyond the shared contract (postgres-contract.test.ts): migrations (and
// replicas racing to apply them), writes that PostgreSQL refuses for a while and that land later,
// the bounded queue when it is down, a row it refuses for good, and replicas sharing one ledger.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectPostgresStore, openPostgresStore, POSTGRES_MIGRATIONS } from '../../src/storage/postgres/index.js';
import { migrate } from '../../src/storage/postgres/schema.js';
import { PG_URL, PgLedger, postgresUp } from './backends.js';
import { DAY, HOUR, T0, row } from './support.js';

const PG = await postgresUp();

let t: PgLedger;

beforeEach(() => {
  t = new PgLedger();
});

afterEach(async () => {
  await t.dispose();
});

/** Daily cells that differ from the hourly rollup summed per day, both ways (0 when spend_daily is exact). */
async function dailyDrift(schema: string): Promise<number> {
  const sums =
    'requests, input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, cost_pico, baseline_pico, prompt_cache_pico';
  const daily = `SELECT dim, day, key, ${sums} FROM "${schema}".spend_daily`;
  const fromHourly = `SELECT dim, hour / 24, key, ${sums
    .split(', ')
    .map((c) => `sum(${c})`)
    .join(', ')} FROM "${schema}".spend_hourly WHERE hour / 24 < (SELECT day FROM "${schema}".spend_daily_sealed) GROUP BY 1, 2, 3`;
  const [diff] = await t.admin.unsafe<{ n: string }[]>(
    `SELECT (SELECT count(*) FROM ((${daily}) EXCEPT (${fromHourly})) a) + (SELECT count(*) FROM ((${fromHourly}) EXCEPT (${daily})) b) AS n`,
  );
  return Number(diff?.n);
}

/**
 * spend_blocks cells that differ from spend_daily summed over each block, both ways, and blocks not
 * wholly sealed (0 when spend_blocks holds exactly the sealed blocks of levels 1 … 9).
 */
async function blocksDrift(schema: string): Promise<number> {
  const sums =
    'requests, input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, cost_pico, baseline_pico, prompt_cache_pico';
  const kept = `SELECT dim, level::int, day, key, ${sums} FROM "${schema}".spend_blocks`;
  const fromDaily = `SELECT dim, l, (day >> l) << l, key, ${sums
    .split(', ')
    .map((c) => `sum(${c})`)
    .join(', ')} FROM "${schema}".spend_daily CROSS JOIN generate_series(1, 9) l
    WHERE ((day >> l) << l) + (1::bigint << l) <= (SELECT day FROM "${schema}".spend_daily_sealed) GROUP BY 1, 2, 3, 4`;
  const [diff] = await t.admin.unsafe<{ n: string }[]>(
    `SELECT (SELECT count(*) FROM ((${kept}) EXCEPT (${fromDaily})) a) + (SELECT count(*) FROM ((${fromDaily}) EXCEPT (${kept})) b) AS n`,
  );
  return Number(diff?.n);
}

/** counts_hourly cells that differ from the counts over the ledger's rows, both ways (0 when exact). */
async function countsDrift(schema: string): Promise<number> {
  const fromRows = `SELECT ts / 3600000 AS hour, 'cache:' || cache AS what, count(*) AS rows FROM "${schema}".ledger WHERE cache IS NOT NULL GROUP BY 1, 2
    UNION ALL SELECT ts / 3600000, 'fallback', count(*) FROM "${schema}".ledger WHERE route LIKE '%fallback:%' AND parent_id IS NULL GROUP BY 1
    UNION ALL SELECT ts / 3600000, 'escalated', count(*) FROM "${schema}".ledger WHERE route LIKE '%:escalated%' AND parent_id IS NULL GROUP BY 1`;
  const kept = `SELECT hour, what::text, rows FROM "${schema}".counts_hourly`;
  const [diff] = await t.admin.unsafe<{ n: string }[]>(
    `SELECT (SELECT count(*) FROM ((${kept}) EXCEPT (${fromRows})) a) + (SELECT count(*) FROM ((${fromRows}) EXCEPT (${kept})) b) AS n`,
  );
  return Number(diff?.n);
}

async function until(test: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.skipIf(!PG)('schema', () => {
  it('migrates once into its own schema; reopening does not re-run migrations', async () => {
    const first = t.open();
    await first.ready();
    await first.close();
    const before = await t.admin.unsafe(`SELECT version, applied_at FROM "${t.schema}".schema_version ORDER BY version`);
    await t.open().ready();
    expect(await t.admin.unsafe(`SELECT version, applied_at FROM "${t.schema}".schema_version ORDER BY version`)).toEqual(before);
    expect(before.map((r) => r['version'] as number)).toEqual(POSTGRES_MIGRATIONS.map((_, i) => i + 1));
    const indexes = await t.admin`SELECT indexname FROM pg_indexes WHERE schemaname = ${t.schema} ORDER BY indexname`;
    expect(indexes.map((r) => r['indexname'] as string)).toEqual([
      'captured_prompts_pkey',
      'captured_prompts_ts',
      'counts_hourly_pkey',
      'feedback_pkey',
      'feedback_ts',
      'ledger_cache',
      'ledger_escalated',
      'ledger_fallback',
      'ledger_parent',
      'ledger_pkey',
      'ledger_request_id_key',
      'ledger_tags_pkey',
      'ledger_tags_tag',
      'ledger_ts',
      'schema_version_pkey',
      'spend_blocks_pkey',
      'spend_daily_cost',
      'spend_daily_pkey',
      'spend_daily_sealed_pkey',
      'spend_hourly_pkey',
    ]);
    // Migration 5: closed days are written once; a tenth of each page left for late rows' updates.
    const [daily] = await t.admin`SELECT reloptions FROM pg_class WHERE oid = ${`"${t.schema}".spend_daily`}::regclass`;
    expect(daily?.['reloptions']).toEqual(['fillfactor=90']);
    const money = await t.admin`SELECT table_name, column_name, data_type, numeric_precision FROM information_schema.columns
      WHERE table_schema = ${t.schema} AND column_name LIKE '%pico' ORDER BY 1, 2`;
    expect(money.map((r) => `${String(r['table_name'])}.${String(r['column_name'])}: ${String(r['data_type'])}`)).toEqual([
      'ledger.baseline_pico: bigint',
      'ledger.cost_pico: bigint',
      'ledger.prompt_cache_pico: bigint',
      'spend_blocks.baseline_pico: numeric',
      'spend_blocks.cost_pico: numeric',
      'spend_blocks.prompt_cache_pico: numeric',
      'spend_daily.baseline_pico: numeric',
      'spend_daily.cost_pico: numeric',
      'spend_daily.prompt_cache_pico: numeric',
      'spend_hourly.baseline_pico: numeric',
      'spend_hourly.cost_pico: numeric',
      'spend_hourly.prompt_cache_pico: numeric',
    ]);
  });

  it('migrations 2 and 3 fill the daily rollup and the hourly counts from an existing ledger; triggers keep them exact, duplicates and a writer without grants on them included', async () => {
    const first = t.open({ maxBatch: 50 });
    const cost = (i: number) => Number.MAX_SAFE_INTEGER - i;
    const kinds = (i: number) => ({
      cache: [null, 'miss', 'hit-exact', 'hit-semantic'][i % 4]!,
      route: ['requested', 'requested; fallback:529->m', 'cascade:score:escalated->m'][i % 3]!,
      parentId: i % 5 === 0 ? 'a1' : null,
    });
    for (let i = 0; i < 300; i++) {
      first.appendLedger(row({ requestId: `a${i}`, ts: T0 + i * 17 * 60_000, keyId: `k${i % 4}`, tags: i % 3 ? ['x'] : [], costPico: cost(i), ...kinds(i) }));
    }
    await first.close();
    // Back to a version-1 ledger that already holds rows: what a released build left.
    await t.admin.unsafe(`SET search_path TO "${t.schema}";
      DROP TABLE spend_blocks, spend_daily, spend_daily_sealed, counts_hourly, feedback, captured_prompts;
      DROP FUNCTION spend_daily_inserted() CASCADE; DROP FUNCTION spend_daily_updated() CASCADE; DROP FUNCTION counts_hourly_inserted() CASCADE;
      DROP FUNCTION spend_blocks_inserted(), spend_blocks_updated(), spend_blocks_build(bigint, bigint), spend_cover(bigint, bigint);
      ALTER TABLE ledger DROP COLUMN prompt_tokens_removed, DROP COLUMN prompt_hash, DROP COLUMN max_tokens, DROP COLUMN stop_reason;
      DELETE FROM schema_version WHERE version >= 2; RESET search_path`);
    const second = t.open({ maxBatch: 37 });
    await second.ready();
    expect(await dailyDrift(t.schema)).toBe(0);
    expect(await blocksDrift(t.schema)).toBe(0);
    expect(await countsDrift(t.schema)).toBe(0);
    const [filled] = await t.admin.unsafe<{ n: string }[]>(`SELECT count(*) AS n FROM "${t.schema}".spend_daily WHERE dim = 'key'`);
    expect(Number(filled?.n)).toBe(4 * 4); // 300 rows 17 minutes apart: 3.5 days, 4 keys
    // New cells and existing ones, a repeated request id (billed once), a batch across midnight.
    for (let i = 250; i < 400; i++)
      second.appendLedger(row({ requestId: `a${i}`, ts: T0 + i * 17 * 60_000, keyId: `k${i % 5}`, costPico: cost(i), ...kinds(i) }));
    await second.flush();
    expect(await dailyDrift(t.schema)).toBe(0);
    expect(await blocksDrift(t.schema)).toBe(0);
    expect(await countsDrift(t.schema)).toBe(0);
    expect(await second.dashboard({ kind: 'cacheCounts', from: T0, to: T0 + 10 * DAY })).toEqual({ hitExact: 100, hitSemantic: 100, miss: 100 });
    const total = Array.from({ length: 400 }, (_, i) => BigInt(cost(i))).reduce((a, b) => a + b, 0n);
    for (const groupBy of ['key', 'day', 'tag'] as const) {
      const buckets = await second.spend({ groupBy, from: T0 - DAY, to: T0 + 10 * DAY });
      expect(
        buckets.reduce((sum, b) => sum + b.exact.costPico, 0n),
        groupBy,
      ).toBe(total);
    }
    // A role that may write spend_hourly but not spend_daily still writes: the triggers run as their owner.
    const role = `cw_test_role_${randomBytes(4).toString('hex')}`;
    await t.admin.unsafe(`CREATE ROLE ${role} LOGIN;
      GRANT USAGE ON SCHEMA "${t.schema}" TO ${role};
      GRANT SELECT ON ALL TABLES IN SCHEMA "${t.schema}" TO ${role};
      REVOKE ALL ON "${t.schema}".spend_daily FROM ${role};
      GRANT INSERT ON "${t.schema}".ledger, "${t.schema}".ledger_tags TO ${role};
      GRANT INSERT, UPDATE ON "${t.schema}".spend_hourly TO ${role};
      GRANT USAGE ON ALL SEQUENCES IN SCHEMA "${t.schema}" TO ${role};`);
    try {
      const url = new URL(PG_URL);
      url.username = role;
      const restricted = await connectPostgresStore({ url: url.toString(), schema: t.schema, log: () => undefined });
      try {
        restricted.appendLedger(row({ requestId: 'restricted', ts: T0 + 2 * DAY + HOUR, keyId: 'k9', costPico: 7 }));
        await restricted.flush();
      } finally {
        await restricted.close();
      }
    } finally {
      await t.admin.unsafe(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
    }
    expect(await dailyDrift(t.schema)).toBe(0);
    expect(await blocksDrift(t.schema)).toBe(0);
    expect(await countsDrift(t.schema)).toBe(0);
    const [k9] = await second.spend({ groupBy: 'key', from: T0, to: T0 + 5 * DAY }).then((b) => b.filter((x) => x.key === 'k9'));
    expect(k9?.exact.costPico).toBe(7n);
  });

  it('applies each migration once when replicas start at the same moment', async () => {
    // Four stores (each its own pool) and four bare migrate() calls on separate connections, all at once.
    const stores = Array.from({ length: 4 }, () => t.open());
    const clients = Array.from({ length: 4 }, () => postgres(PG_URL, { max: 1, onnotice: () => undefined }));
    try {
      await Promise.all([...stores.map((s) => s.ready()), ...clients.map((sql) => migrate(sql, t.schema))]);
    } finally {
      await Promise.all(clients.map((sql) => sql.end()));
    }
    const versions = await t.admin.unsafe(`SELECT version FROM "${t.schema}".schema_version ORDER BY version`);
    expect(versions.map((r) => r['version'] as number)).toEqual(POSTGRES_MIGRATIONS.map((_, i) => i + 1));
    stores.forEach((s, i) => s.appendLedger(row({ requestId: `replica-${i}` })));
    await Promise.all(stores.map((s) => s.flush()));
    expect(await t.countOnDisk()).toBe(4);
  });

  it('keeps closed days in spend_daily, each cell inserted once by its seal; the open day is read from spend_hourly', async () => {
    const s = t.open({ maxBatch: 20 });
    await s.ready();
    const day0 = Math.floor(T0 / DAY);
    const n = 3 * 24 * 4; // three days, a row every 15 minutes, written in time order as a gateway writes them
    let total = 0n;
    for (let i = 0; i < n; i++) {
      s.appendLedger(row({ requestId: `s${i}`, ts: day0 * DAY + i * 15 * 60_000, keyId: `k${i % 3}`, tags: i % 2 ? ['x'] : [], costPico: 1000 + i }));
      total += BigInt(1000 + i);
      if (i % 20 === 19) await s.flush();
    }
    await s.flush();
    const sealed = async (): Promise<number> => Number((await t.admin.unsafe<{ day: string }[]>(`SELECT day FROM "${t.schema}".spend_daily_sealed`))[0]?.day);
    expect(await sealed()).toBe(day0 + 2); // the third day is still being written
    expect(await dailyDrift(t.schema)).toBe(0);
    // Every cell of the two closed days came from one INSERT of its seal and was never updated
    // since (an update is a new row version, with its own xmin): nothing for vacuum, nothing to bloat.
    const [cells] = await t.admin.unsafe<{ n: string; open: string; writers: string }[]>(
      `SELECT count(*) AS n, count(*) FILTER (WHERE day >= ${day0 + 2}) AS open, count(DISTINCT xmin::text) AS writers FROM "${t.schema}".spend_daily`,
    );
    expect(cells).toEqual({ n: String(2 * (1 + 3 + 2 + 1)), open: '0', writers: '2' }); // per day: 1 model, 3 keys, 2 tags, 1 technique
    const spent = async (): Promise<bigint> =>
      (await s.spend({ groupBy: 'key', from: day0 * DAY, to: (day0 + 3) * DAY })).reduce((sum, b) => sum + b.exact.costPico, 0n);
    expect(await spent()).toBe(total);
    // A late row for a sealed day updates its cell in place; answers stay exact.
    s.appendLedger(row({ requestId: 'late', ts: day0 * DAY + HOUR, keyId: 'k0', costPico: 5 }));
    await s.flush();
    expect(await dailyDrift(t.schema)).toBe(0);
    expect(await spent()).toBe(total + 5n);
    expect((await s.spend({ groupBy: 'day', from: day0 * DAY, to: (day0 + 3) * DAY })).map((b) => b.exact.costPico)).toHaveLength(3);
  });

  it('sums sealed days into blocks of 2 … 512 days as they close; a late row reaches every block of its day; spend over any range stays exact', async () => {
    const s = t.open({ maxBatch: 40 });
    await s.ready();
    const day0 = Math.floor(T0 / DAY);
    const rows: { ts: number; key: string; cost: bigint }[] = [];
    for (let i = 0; i < 70 * 8; i++) {
      const r = { ts: day0 * DAY + i * 3 * HOUR + 60_000, key: `k${i % 3}`, cost: BigInt(1_000_003 * (i + 1)) };
      rows.push(r);
      s.appendLedger(row({ requestId: `b${i}`, ts: r.ts, keyId: r.key, costPico: Number(r.cost) }));
      if (i % 40 === 39) await s.flush();
    }
    await s.flush();
    const late = { ts: (day0 + 33) * DAY + 5 * HOUR, key: 'k1', cost: 77n };
    s.appendLedger(row({ requestId: 'late-block', ts: late.ts, keyId: late.key, costPico: Number(late.cost) }));
    rows.push(late);
    await s.flush();
    expect(await blocksDrift(t.schema)).toBe(0);
    const levels = await t.admin.unsafe<{ level: number }[]>(`SELECT DISTINCT level FROM "${t.schema}".spend_blocks ORDER BY 1`);
    expect(levels.map((r) => r.level)).toEqual([1, 2, 3, 4, 5, 6]); // 70 days from day0 (2 days past a multiple of 64): up to 64
    const expected = (from: number, to: number): Record<string, bigint> => {
      const byKey: Record<string, bigint> = {};
      for (const r of rows) if (r.ts >= from && r.ts < to) byKey[r.key] = (byKey[r.key] ?? 0n) + r.cost;
      return byKey;
    };
    for (const [from, to] of [
      [day0 * DAY, (day0 + 70) * DAY],
      [(day0 + 3) * DAY, (day0 + 67) * DAY],
      [(day0 + 30) * DAY + 7 * HOUR + 123, (day0 + 64) * DAY + 90_000],
      [T0 - 100 * DAY, T0 + 100 * DAY],
      [(day0 + 33) * DAY, (day0 + 34) * DAY],
    ] as const) {
      const got = Object.fromEntries((await s.spend({ groupBy: 'key', from, to })).map((b) => [b.key, b.exact.costPico]));
      expect(got, `${from}..${to}`).toEqual(expected(from, to));
    }
  });

  it('spend_cover tiles a range of days with aligned blocks, at most two a level below the top', async () => {
    await t.open().ready();
    const pairs: [number, number][] = [];
    for (let a = 0; a < 1100; a += 37) for (let b = a; b < a + 1400; b += 41) pairs.push([a, b]);
    pairs.push([20098, 20168], [0, 20794], [1023, 1025], [5, 5]);
    const cover = await t.admin.unsafe<{ a: string; b: string; level: number; day: string }[]>(
      `SELECT p.a, p.b, c.level, c.day FROM unnest($1::int8[], $2::int8[]) p (a, b), "${t.schema}".spend_cover(p.a, p.b) c`,
      [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
    );
    for (const [a, b] of pairs) {
      const blocks = cover.filter((c) => Number(c.a) === a && Number(c.b) === b).map((c) => ({ level: c.level, start: Number(c.day) }));
      blocks.sort((x, y) => x.start - y.start);
      let at = a;
      for (const { level, start } of blocks) {
        expect(start, `[${a}, ${b})`).toBe(at);
        expect(start % 2 ** level, `[${a}, ${b}) level ${level}`).toBe(0);
        at = start + 2 ** level;
      }
      expect(at, `[${a}, ${b})`).toBe(b);
      for (let level = 0; level < 9; level++) expect(blocks.filter((x) => x.level === level).length).toBeLessThanOrEqual(2);
    }
  });

  it('refuses a schema written by a newer build: ready and queries reject, rows are counted lost', async () => {
    await t.open().ready();
    await t.admin.unsafe(`INSERT INTO "${t.schema}".schema_version (version, applied_at) VALUES (99, 0)`);
    await expect(connectPostgresStore({ url: PG_URL, schema: t.schema, log: () => undefined })).rejects.toThrow(/newer/);
    const s = t.open();
    s.appendLedger(row({ requestId: 'early' }));
    await expect(s.ready()).rejects.toThrow(/version 99, newer than this build/);
    await expect(s.spend({ groupBy: 'model' })).rejects.toThrow(/newer/);
    s.appendLedger(row({ requestId: 'late' }));
    expect(s.stats()).toMatchObject({ queued: 0, lost: 2 });
    await expect(s.close()).rejects.toThrow(/closed with 2 rows unwritten.*newer/);
    expect(await t.countOnDisk()).toBe(0);
  });
});

describe.skipIf(!PG)('writes PostgreSQL refuses for a while are retried and land', () => {
  it('keeps rows through lock timeouts, logs once, and writes them when the lock is gone', async () => {
    const s = t.open({ lockTimeoutMs: 50, flushIntervalMs: 10 });
    await s.ready();
    const holder = await t.admin.reserve();
    await holder`BEGIN`;
    await holder.unsafe(`LOCK TABLE "${t.schema}".ledger IN EXCLUSIVE MODE`);
    s.appendLedger(row({ requestId: 'a' }));
    s.appendLedger(row({ requestId: 'b' }));
    await expect(s.flush()).rejects.toThrow(/2 rows still queued.*lock timeout/);
    await expect(s.flush()).rejects.toThrow(/still queued/);
    expect(t.logged.filter((m) => m.includes('write to PostgreSQL failed'))).toHaveLength(1);
    expect(s.stats().failures).toBeGreaterThanOrEqual(2);
    s.appendLedger(row({ requestId: 'c' }));
    await holder`COMMIT`;
    holder.release();
    // No flush: the background retry (with backoff) writes them.
    await until(async () => (await t.countOnDisk()) === 3, 'the retried rows');
    await until(() => Promise.resolve(t.logged.some((m) => m.includes('recovered'))), 'the recovery line');
    expect((await s.spend({ groupBy: 'model' }))[0]?.requests).toBe(3);
    expect(s.stats()).toMatchObject({ queued: 0, written: 3, lost: 0, failures: 0 });
  });

  it('retries a batch whose connection was terminated mid-statement, billing each row once', async () => {
    const s = t.open({ lockTimeoutMs: 60_000, flushIntervalMs: 10 });
    s.appendLedger(row({ requestId: 'before', tags: ['x'] }));
    await s.flush();
    const holder = await t.admin.reserve();
    await holder`BEGIN`;
    await holder.unsafe(`LOCK TABLE "${t.schema}".ledger IN EXCLUSIVE MODE`);
    for (let i = 0; i < 50; i++) s.appendLedger(row({ requestId: `r${i}`, tags: ['x'], costPico: 1_000 + i }));
    // The store's write now waits for the lock: terminate that connection under it.
    let pid = 0;
    await until(async () => {
      const [waiting] = await t.admin`SELECT pid FROM pg_stat_activity WHERE application_name = ${t.applicationName} AND wait_event_type = 'Lock'`;
      pid = (waiting?.['pid'] as number | undefined) ?? 0;
      return pid !== 0;
    }, 'the blocked write');
    await t.admin`SELECT pg_terminate_backend(${pid})`;
    await until(() => Promise.resolve(t.logged.some((m) => m.includes('write to PostgreSQL failed'))), 'the failed write');
    await holder`COMMIT`;
    holder.release();
    await s.flush();
    expect(await t.countOnDisk()).toBe(51);
    const [tag] = await s.spend({ groupBy: 'tag' });
    expect(tag).toMatchObject({ key: 'x', requests: 51 });
    expect(tag?.exact.costPico).toBe(1_000n + BigInt(50 * 1_000 + (49 * 50) / 2));
    expect(t.logged.some((m) => m.includes('recovered'))).toBe(true);
  });

  it('retries while the role lacks a privilege; a role that may only read and write the tables opens a migrated ledger', async () => {
    await t.open().ready();
    const role = `cw_test_role_${randomBytes(4).toString('hex')}`;
    const s = t.schema;
    await t.admin.unsafe(`CREATE ROLE ${role} LOGIN`);
    try {
      await t.admin.unsafe(`GRANT USAGE ON SCHEMA "${s}" TO ${role};
        GRANT SELECT ON ALL TABLES IN SCHEMA "${s}" TO ${role};
        GRANT INSERT ON "${s}".ledger_tags TO ${role};
        GRANT INSERT, UPDATE ON "${s}".spend_hourly TO ${role};
        GRANT USAGE ON ALL SEQUENCES IN SCHEMA "${s}" TO ${role};`);
      const url = new URL(PG_URL);
      url.username = role;
      const logged: string[] = [];
      const restricted = await connectPostgresStore({ url: url.toString(), schema: s, log: (m) => logged.push(m), flushIntervalMs: 10 });
      try {
        restricted.appendLedger(row({ requestId: 'needs-insert' }));
        await expect(restricted.flush()).rejects.toThrow(/permission denied/);
        await t.admin.unsafe(`GRANT INSERT ON "${s}".ledger TO ${role}`);
        await restricted.flush();
        expect(await t.countOnDisk()).toBe(1);
        expect(logged.filter((m) => m.includes('write to PostgreSQL failed'))).toHaveLength(1);
      } finally {
        await restricted.close();
      }
    } finally {
      await t.admin.unsafe(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
    }
  });
});

describe.skipIf(!PG)('when PostgreSQL is down', () => {
  it('keeps up to maxQueuedRows rows, then counts the rest as lost, and close says how many', async () => {
    const logged: string[] = [];
    const s = openPostgresStore({
      url: 'postgres://postgres@127.0.0.1:1/test', // nothing listens there
      maxBatch: 2,
      maxQueuedRows: 5,
      closeTimeoutMs: 100,
      log: (m) => logged.push(m),
    });
    await expect(s.ready()).rejects.toThrow(/ECONNREFUSED|connect/);
    for (let i = 0; i < 20; i++) s.appendLedger(row({ requestId: `r${i}` }));
    expect(s.stats()).toMatchObject({ queued: 5, lost: 15 });
    expect(logged.filter((m) => m.includes('dropped'))).toEqual([
      expect.stringMatching(/r5 dropped: the queue is full \(5 rows waiting for PostgreSQL\) \(1 lost so far\)/),
      expect.stringMatching(/r14 dropped.*\(10 lost so far\)/),
    ]);
    await expect(s.flush()).rejects.toThrow(/5 rows still queued/);
    await expect(s.close()).rejects.toThrow(/closed with 20 rows unwritten/);
  });

  it('opens without waiting: connectPostgresStore is the one that fails fast', async () => {
    const opts = { url: 'postgres://postgres@127.0.0.1:1/test', closeTimeoutMs: 100, log: () => undefined };
    const s = openPostgresStore(opts);
    s.appendLedger(row());
    expect(s.stats().queued).toBe(1);
    await expect(s.close()).rejects.toThrow(/1 rows unwritten/);
    await expect(connectPostgresStore(opts)).rejects.toThrow(/ECONNREFUSED|connect/);
  });
});

describe.skipIf(!PG)('rows PostgreSQL cannot store', () => {
  it('splits a batch it refuses, rejects the one bad row with a log line and writes the others', async () => {
    const s = t.open({ noTimers: true });
    const huge = randomBytes(6_000).toString('base64'); // too long for the request_id index
    s.appendLedger(row({ requestId: 'good-1', costPico: 1 }));
    s.appendLedger(row({ requestId: huge, costPico: 1_000 }));
    s.appendLedger(row({ requestId: 'good-2', costPico: 2 }));
    await s.flush();
    expect((await s.ledgerRows({ limit: 10 })).map((r) => r.requestId).sort()).toEqual(['good-1', 'good-2']);
    expect((await s.spend({ groupBy: 'model' }))[0]?.exact.costPico).toBe(3n);
    expect(s.stats()).toMatchObject({ refused: 1, written: 3 });
    expect(t.logged).toEqual([expect.stringMatching(/refused by PostgreSQL, not stored: index row .* \(1 refused so far\)/)]);
  });

  it('rejects on append a text holding a NUL character', async () => {
    const s = t.open();
    s.appendLedger(row({ requestId: 'nul', tags: ['a\u0000b'] }));
    s.appendLedger(row({ requestId: 'fine' }));
    await s.flush();
    expect(t.logged).toEqual([expect.stringMatching(/nul rejected, not stored: a tag holds a NUL character/)]);
    expect(await t.countOnDisk()).toBe(1);
  });
});

describe.skipIf(!PG)('replicas sharing one ledger', () => {
  it('bill each request once when they write the same request ids at the same time', async () => {
    const a = t.open({ maxBatch: 173, noTimers: true });
    const b = t.open({ maxBatch: 311, noTimers: true });
    const n = 3_000;
    for (let i = 0; i < n; i++) {
      const r = row({ requestId: `r${i}`, ts: T0 + i * 997, tags: i % 2 ? ['odd'] : [], costPico: Number.MAX_SAFE_INTEGER - i });
      a.appendLedger(r); // the retry of a request that another replica also logged, say
      if (i % 3 !== 0) b.appendLedger(r);
    }
    await Promise.all([a.flush(), b.flush()]);
    expect(await t.countOnDisk()).toBe(n);
    const expected = BigInt(n) * BigInt(Number.MAX_SAFE_INTEGER) - BigInt((n * (n - 1)) / 2);
    for (const groupBy of ['model', 'key', 'technique', 'day'] as const) {
      const buckets = await b.spend({ groupBy });
      expect(
        buckets.reduce((sum, x) => sum + x.exact.costPico, 0n),
        groupBy,
      ).toBe(expected);
      expect(
        buckets.reduce((sum, x) => sum + x.requests, 0),
        groupBy,
      ).toBe(n);
    }
    // The rollup agrees with the rows it was built from.
    const [raw] = await t.admin.unsafe(`SELECT sum(cost_pico)::text AS cost FROM "${t.schema}".ledger`);
    const [rolled] = await t.admin.unsafe(`SELECT sum(cost_pico)::text AS cost, sum(requests)::text AS n FROM "${t.schema}".spend_hourly WHERE dim = 'tag'`);
    expect(raw?.['cost']).toBe(expected.toString());
    expect(rolled).toEqual({ cost: expected.toString(), n: String(n) });
    expect(await dailyDrift(t.schema)).toBe(0);
    expect(await blocksDrift(t.schema)).toBe(0);
    expect(await countsDrift(t.schema)).toBe(0);
  });
});
