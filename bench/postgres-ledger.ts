// Ledger write throughput on PostgreSQL from one replica, through the real store and through the
// spooled store the gateway composes over it (gateway.ts openLedger): rows/s from the first append
// until another connection sees every row, and how long a single row takes to become visible there.
//
//   npm run bench:postgres -- [--rows 200000] [--rounds 2] [--url postgres://…]
//
// Each round writes a fresh schema (cw_bench_…), dropped afterwards. Rows arrive in bursts of
// --burst rows per event-loop turn, the way a loaded gateway settles them; the spooled store writes
// each burst to its spool file in one write, as it does for a turn's responses.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import postgres, { type Sql } from 'postgres';
import Table from 'cli-table3';
import { connectPostgresStore, type PostgresStore } from '../src/storage/postgres/index.js';
import { openSpooledStore } from '../src/storage/spooled.js';
import type { DurableStore, LedgerRow } from '../src/storage/types.js';
import { appendGatewayRow, gatewayRow, quantile, TWELVE_MODELS, type RowMix } from './ledger-rows.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DAY = 86_400_000;

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '2' },
    burst: { type: 'string', default: '500' },
    'max-batch': { type: 'string' },
    url: { type: 'string', default: process.env['COSTWISE_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
const ROWS = Number(args.rows);
const ROUNDS = Number(args.rounds);
const BURST = Number(args.burst);
const URL = args.url;
/** Rows per statement; the store's default (what the gateway uses) unless given. */
const MAX_BATCH = args['max-batch'] === undefined ? {} : { maxBatch: Number(args['max-batch']) };
/** Single rows timed from append to visible on another connection. */
const PROBES = 40;

type Path = 'store' | 'spooled';

interface Round {
  path: Path;
  rowsPerSecond: number;
  /** From the first append to the last row visible on another connection. */
  totalMs: number;
  /** From the last append to the last row visible. */
  drainMs: number;
  visibleP50Ms: number;
  visibleP95Ms: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

async function count(observer: Sql, schema: string): Promise<number> {
  const [row] = await observer.unsafe<{ n: string }[]>(`SELECT count(*) AS n FROM "${schema}".ledger`);
  return Number(row?.n ?? 0);
}

async function round(path: Path, schema: string, observer: Sql): Promise<Round> {
  // As the gateway opens it: connected and migrated first, default batch, interval and pool.
  const inner: PostgresStore = await connectPostgresStore({ url: URL, schema, applicationName: `costwise-bench-${schema}`, ...MAX_BATCH });
  const spoolDir = mkdtempSync(join(tmpdir(), 'costwise-pg-bench-spool-'));
  const store: DurableStore = path === 'spooled' ? await openSpooledStore(inner, { dir: spoolDir }) : inner;
  const mix: RowMix = { t0: Date.now() - DAY, spanMs: DAY, total: ROWS, keys: 500, teams: 25, models: TWELVE_MODELS, tagEveryRow: true };
  let expectedCost = 0n;
  let appended = 0;
  const append = (row: LedgerRow) => {
    store.appendLedger(row);
    expectedCost += BigInt(row.costPico);
    appended += 1;
  };
  try {
    const started = performance.now();
    for (let i = 0; i < ROWS;) {
      for (const end = Math.min(ROWS, i + BURST); i < end; i++) appendGatewayRow(append, i, mix);
      await store.durable?.();
      // A gateway this far ahead of its ledger would be shedding rows (maxQueuedRows): wait instead.
      while (inner.stats().queued > 100_000) await sleep(5);
      await nextTurn();
    }
    const lastAppend = performance.now();
    while ((await count(observer, schema)) < appended) await sleep(5);
    const visible = performance.now();

    const [sums] = await observer.unsafe<{ n: string; cost: string }[]>(`SELECT count(*) AS n, sum(cost_pico)::text AS cost FROM "${schema}".ledger`);
    if (Number(sums?.n) !== appended || sums?.cost !== expectedCost.toString()) {
      throw new Error(`ledger holds ${sums?.n} rows costing ${sums?.cost} pico-dollars, expected ${appended} costing ${expectedCost}`);
    }

    // Steady state, a quiet gateway: one row at a time, timed until another connection sees it.
    const latencies: number[] = [];
    for (let p = 0; p < PROBES; p++) {
      const row = { ...gatewayRow(p, mix), requestId: `probe_${schema}_${p}`, ts: Date.now() };
      const t = performance.now();
      store.appendLedger(row);
      for (;;) {
        const found = await observer.unsafe(`SELECT 1 FROM "${schema}".ledger WHERE request_id = $1`, [row.requestId]);
        if (found.length > 0) break;
        await sleep(1);
      }
      latencies.push(performance.now() - t);
      await sleep(20);
    }
    latencies.sort((a, b) => a - b);
    return {
      path,
      rowsPerSecond: appended / ((visible - started) / 1000),
      totalMs: visible - started,
      drainMs: visible - lastAppend,
      visibleP50Ms: quantile(latencies, 0.5),
      visibleP95Ms: quantile(latencies, 0.95),
    };
  } finally {
    await store.close();
    rmSync(spoolDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (!Number.isSafeInteger(ROWS) || ROWS < 1 || !Number.isSafeInteger(ROUNDS) || ROUNDS < 1 || !Number.isSafeInteger(BURST) || BURST < 1) {
    throw new Error('--rows, --rounds and --burst take positive integers');
  }
  const observer = postgres(URL, { max: 1, onnotice: () => undefined });
  const rounds: Round[] = [];
  try {
    for (let r = 0; r < ROUNDS; r++) {
      for (const path of ['store', 'spooled'] as const) {
        const schema = `cw_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
        process.stdout.write(`round ${r + 1}/${ROUNDS}, ${path}: ${ROWS.toLocaleString('en-US')} rows into ${schema}…\n`);
        try {
          rounds.push(await round(path, schema, observer));
        } finally {
          await observer.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        }
      }
    }
  } finally {
    await observer.end({ timeout: 5 });
  }

  const table = new Table({
    head: ['path (round)', 'rows/s', 'all visible after ms', 'drain after last append ms', 'one row visible p50 / p95 ms'],
    colAligns: ['left', 'right', 'right', 'right', 'right'],
  });
  rounds.forEach((r, i) =>
    table.push([
      `${r.path} (${Math.floor(i / 2) + 1})`,
      Math.round(r.rowsPerSecond).toLocaleString('en-US'),
      r.totalMs.toFixed(0),
      r.drainMs.toFixed(0),
      `${r.visibleP50Ms.toFixed(1)} / ${r.visibleP95Ms.toFixed(1)}`,
    ]),
  );
  const best = (path: Path) => rounds.filter((r) => r.path === path).sort((a, b) => b.rowsPerSecond - a.rowsPerSecond)[0]!;
  const results = { date: new Date().toISOString(), rows: ROWS, burst: BURST, rounds, best: { store: best('store'), spooled: best('spooled') } };
  const outDir = join(root, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'postgres-ledger.json'), JSON.stringify(results, null, 2) + '\n');
  process.stdout.write(`${table.toString()}\nwritten to bench/results/postgres-ledger.json\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`postgres ledger bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
