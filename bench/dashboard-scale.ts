// /api/spend and the dashboard's endpoints over a large ledger (default 10,000,000 requests over 90
// days: 1,000 keys in 40 teams, twelve models, every row tagged), p50 / p95 over HTTP through a
// gateway on that ledger, for the ranges the dashboard offers. PostgreSQL by default, or SQLite.
//
//   npm run bench:dashboard:postgres -- [--rows 10000000] [--keep] [--runs 20] [--only <regexp>]
//   npm run bench:dashboard:scale -- --backend sqlite [--rows 10000000] [--keep] …
//
// The ledger is written through the store's own write path, so its rollups are what the gateway's
// writes produce; on PostgreSQL they are also checked against the rows (postgres-seed.ts), and the
// tables VACUUM ANALYZEd as autovacuum would leave a settled ledger. With --keep the schema
// (cw_bench_dashboard_<rows>) or file (<tmp>/costwise-bench-dashboard-<rows>.db) stays for the next
// run, which reuses it when it holds the same number of requests; without, it is dropped at the end.
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import postgres from 'postgres';
import Table from 'cli-table3';
import { parseConfig } from '../src/config/load.js';
import { DEFAULT_CONFIG } from '../src/config/defaults.js';
import { startGateway } from '../src/server/gateway.js';
import { connectPostgresStore } from '../src/storage/postgres/index.js';
import { openSqliteStore } from '../src/storage/sqlite.js';
import type { LedgerRow } from '../src/storage/types.js';
import { appendGatewayRow, gatewayRow, quantile } from './ledger-rows.js';
import { benchMix, ledgerShape, seedLedger, verifyRollups, type LedgerShape } from './postgres-seed.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const HOUR = 3_600_000;
const DAY = 86_400_000;

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'postgres' },
    rows: { type: 'string', default: '10000000' },
    keep: { type: 'boolean', default: false },
    runs: { type: 'string', default: '20' },
    writers: { type: 'string', default: '2' },
    only: { type: 'string' },
    url: { type: 'string', default: process.env['COSTWISE_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
const ROWS = Number(args.rows);
const RUNS = Number(args.runs);
const URL = args.url;
const SCHEMA = `cw_bench_dashboard_${ROWS}`;
const SQLITE_PATH = join(tmpdir(), `costwise-bench-dashboard-${ROWS}.db`);
const BACKEND = args.backend;

/** The endpoints the dashboard pages and /api/spend callers issue, for one range ending at `now`. */
function rangeEndpoints(label: string, now: number, span: number): Array<[string, string]> {
  const r = `from=${now - span}&to=${now}`;
  const bucket = span <= 7 * DAY ? 'hour' : 'day';
  return [
    ...(['technique', 'model', 'key', 'team', 'tag', 'day'] as const).map((g): [string, string] => [`${label} spend by ${g}`, `/api/spend?group_by=${g}&${r}`]),
    ...(['technique', 'model', 'key'] as const).map((g): [string, string] => [
      `${label} timeseries ${bucket} by ${g}`,
      `/api/timeseries?bucket=${bucket}&group_by=${g}&${r}`,
    ]),
    [`${label} latency-cost`, `/api/stats/latency-cost?${r}`],
    [`${label} routing`, `/api/routing?${r}`],
    [`${label} caching`, `/api/caching?${r}`],
  ];
}

function endpoints(now: number, t0: number): Array<[string, string]> {
  const mix = benchMix(ROWS, t0);
  const middle = Math.floor(ROWS / 2);
  const some = gatewayRow(middle, mix).requestId;
  const escalated = gatewayRow(middle - (middle % 100) + 70, mix).requestId;
  return [
    ...rangeEndpoints('24 h', now, DAY),
    ...rangeEndpoints('7 d', now, 7 * DAY),
    ...rangeEndpoints('30 d', now, 30 * DAY),
    ...rangeEndpoints('90 d', now, 90 * DAY),
    ['all time spend by model', '/api/spend?group_by=model'],
    ['requests (plain list) page 1', '/api/requests?limit=50'],
    ['requests (plain list) offset 1000', '/api/requests?limit=50&offset=1000'],
    ['requests top level page 1', '/api/requests?top_level=1&limit=50'],
    ['requests top level offset 1000', '/api/requests?top_level=1&limit=50&offset=1000'],
    ['requests model + status=error', '/api/requests?model=gpt-4.1&status=error&limit=50'],
    ['requests cache=hit-semantic', '/api/requests?cache=hit-semantic&limit=50'],
    ['requests q=fallback:529 (route text)', '/api/requests?q=fallback:529&limit=50'],
    ['requests q=<id prefix>', `/api/requests?q=${some.slice(0, -2)}&limit=50`],
    ['requests q=<no match>, 24 h', `/api/requests?q=no-such-text&limit=50&from=${now - DAY}&to=${now}`],
    ['request detail with sub-call', `/api/requests/${escalated}`],
  ];
}

async function preparePostgres(sql: postgres.Sql): Promise<{ shape: LedgerShape; seededMs: number | null }> {
  const shape = await ledgerShape(sql, SCHEMA);
  if (shape.requests === ROWS) {
    process.stdout.write(`reusing ${SCHEMA}: ${shape.rows.toLocaleString('en-US')} rows\n`);
    await (await connectPostgresStore({ url: URL, schema: SCHEMA })).close(); // migrations of a newer build
    await sql.unsafe(`ANALYZE "${SCHEMA}".spend_daily`);
    return { shape, seededMs: null };
  }
  await sql.unsafe(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  const mix = benchMix(ROWS, Math.floor(Date.now() / HOUR) * HOUR - 90 * DAY);
  process.stdout.write(`writing ${ROWS.toLocaleString('en-US')} requests over 90 days into ${SCHEMA} through the store…\n`);
  const started = performance.now();
  const written = await seedLedger({
    url: URL,
    schema: SCHEMA,
    mix,
    writers: Number(args.writers),
    onProgress: (done) => {
      if (done % 500_000 === 0)
        process.stdout.write(`  ${done.toLocaleString('en-US')} (${Math.round(done / ((performance.now() - started) / 1000))} rows/s)\n`);
    },
  });
  const seededMs = performance.now() - started;
  process.stdout.write(`  ${written.toLocaleString('en-US')} rows in ${(seededMs / 1000).toFixed(0)} s; VACUUM ANALYZE…\n`);
  await sql.unsafe(`VACUUM ANALYZE "${SCHEMA}".ledger, "${SCHEMA}".ledger_tags, "${SCHEMA}".spend_hourly, "${SCHEMA}".spend_daily`);
  // spend_daily must stay compact under sustained writes with no CLUSTER: every 90-day query reads it.
  const [size] = await sql.unsafe<{ daily: string; hourly: string; cells: string }[]>(
    `SELECT pg_size_pretty(pg_total_relation_size('"${SCHEMA}".spend_daily')) AS daily, pg_size_pretty(pg_total_relation_size('"${SCHEMA}".spend_hourly')) AS hourly,
       (SELECT count(*) FROM "${SCHEMA}".spend_daily)::text AS cells`,
  );
  process.stdout.write(`  spend_daily ${size?.daily} (${size?.cells} cells), spend_hourly ${size?.hourly}\n`);
  return { shape: await ledgerShape(sql, SCHEMA), seededMs };
}

async function prepareSqlite(): Promise<{ shape: LedgerShape; seededMs: number | null }> {
  const shapeOf = (): LedgerShape => {
    const db = new Database(SQLITE_PATH, { readonly: true });
    try {
      const r = db
        .prepare('SELECT count(*) FILTER (WHERE parent_id IS NULL) AS requests, count(*) AS rows, min(ts) AS start, max(ts) + 1 AS end FROM ledger')
        .get() as LedgerShape;
      return { requests: r.requests, rows: r.rows, start: r.start, end: r.end };
    } finally {
      db.close();
    }
  };
  if (existsSync(SQLITE_PATH)) {
    const shape = shapeOf();
    if (shape.requests === ROWS) {
      process.stdout.write(`reusing ${SQLITE_PATH}: ${shape.rows.toLocaleString('en-US')} rows\n`);
      return { shape, seededMs: null };
    }
    dropSqlite();
  }
  const mix = benchMix(ROWS, Math.floor(Date.now() / HOUR) * HOUR - 90 * DAY);
  process.stdout.write(`writing ${ROWS.toLocaleString('en-US')} requests over 90 days into ${SQLITE_PATH} through the store…\n`);
  const store = openSqliteStore({ path: SQLITE_PATH, maxBatch: 5_000 });
  const started = performance.now();
  const append = (r: LedgerRow) => store.appendLedger(r);
  for (let i = 0; i < ROWS; i++) {
    appendGatewayRow(append, i, mix);
    if (i % 50_000 === 49_999) await store.flush();
    if (i % 500_000 === 499_999)
      process.stdout.write(`  ${(i + 1).toLocaleString('en-US')} (${Math.round((i + 1) / ((performance.now() - started) / 1000))} rows/s)\n`);
  }
  await store.close();
  const seededMs = performance.now() - started;
  return { shape: shapeOf(), seededMs };
}

function dropSqlite(): void {
  const batches = SQLITE_PATH.replace(/\.db$/, '.batches.db'); // the gateway's batch database, beside its ledger
  for (const file of [SQLITE_PATH, batches]) for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
}

async function main(): Promise<void> {
  if (BACKEND !== 'postgres' && BACKEND !== 'sqlite') throw new Error(`--backend postgres or sqlite, not ${BACKEND}`);
  if (!Number.isSafeInteger(ROWS) || ROWS < 1000 || !Number.isSafeInteger(RUNS) || RUNS < 1) throw new Error('--rows ≥ 1000 and --runs ≥ 1 are integers');
  const sql = postgres(URL, { max: 1, onnotice: () => undefined });
  const dataDir = mkdtempSync(join(tmpdir(), 'costwise-dashboard-scale-'));
  const results: Record<string, unknown> = { backend: BACKEND, rows: ROWS, runs: RUNS };
  const table = new Table({
    head: [`endpoint (${BACKEND}, ${ROWS.toLocaleString('en-US')} requests)`, 'p50 ms', 'p95 ms'],
    colAligns: ['left', 'right', 'right'],
  });
  try {
    const { shape, seededMs } = BACKEND === 'postgres' ? await preparePostgres(sql) : await prepareSqlite();
    const end = shape.end;
    results['seed_ms'] = seededMs;
    let t = performance.now();
    if (BACKEND === 'postgres') {
      // Hours spread over the 90 days, the first and the last among them.
      const first = Math.floor((end - 90 * DAY) / HOUR) + 1;
      const last = Math.floor((end - 1) / HOUR);
      const sample = Array.from({ length: 12 }, (_, k) => first + Math.floor(((last - first) * k) / 11));
      await verifyRollups(sql, SCHEMA, sample);
      process.stdout.write(`rollups of ${sample.length} sampled hours equal the sums over their rows (${(performance.now() - t).toFixed(0)} ms)\n`);
    }

    const ledger = BACKEND === 'postgres' ? { kind: 'postgres', url: URL, schema: SCHEMA } : { kind: 'sqlite', path: SQLITE_PATH };
    const { config } = parseConfig({ ...structuredClone(DEFAULT_CONFIG), server: { port: 0 }, storage: { ledger, dataDir, spool: false } }, 'bench', {});
    const gateway = await startGateway({ config });
    const now = end - 1_234_567; // a moment inside the last hour, as a dashboard's "now" would be
    const only = args.only === undefined ? null : new RegExp(args.only);
    try {
      for (const [name, path] of endpoints(now, shape.start)) {
        if (only !== null && !only.test(name)) continue;
        const times: number[] = [];
        for (let i = 0; i < RUNS + 1; i++) {
          t = performance.now();
          const res = await fetch(`${gateway.url}${path}`);
          if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
          await res.arrayBuffer();
          if (i > 0) times.push(performance.now() - t); // the first run prepares the statements
        }
        times.sort((a, b) => a - b);
        const [p50, p95] = [quantile(times, 0.5), quantile(times, 0.95)];
        results[name] = { p50: Number(p50.toFixed(2)), p95: Number(p95.toFixed(2)) };
        table.push([name, p50.toFixed(1), p95.toFixed(1)]);
        process.stdout.write(`  ${name}: p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms\n`);
      }
    } finally {
      await gateway.close();
    }
  } finally {
    if (!args.keep && BACKEND === 'postgres') await sql.unsafe(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
    if (!args.keep && BACKEND === 'sqlite') dropSqlite();
    await sql.end({ timeout: 5 });
    rmSync(dataDir, { recursive: true, force: true });
  }
  const outDir = join(root, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, `dashboard-${BACKEND}-${ROWS}.json`), JSON.stringify({ date: new Date().toISOString(), ...results }, null, 2) + '\n');
  process.stdout.write(
    `${table.toString()}\nwritten to bench/results/dashboard-${BACKEND}-${ROWS}.json${args.keep ? ` (${BACKEND === 'postgres' ? `schema ${SCHEMA}` : SQLITE_PATH} kept)` : ''}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`dashboard scale bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
