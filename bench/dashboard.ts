// Dashboard endpoints on a 1,000,000-row ledger over 30 days: p50 / p95 latency of each one over
// HTTP (gateway → ledger worker → SQLite), and what the dashboard's partial indexes cost the writes.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import Table from 'cli-table3';
import { openSqliteStore } from '../src/storage/sqlite.js';
import type { LedgerRow } from '../src/storage/types.js';
import { parseConfig } from '../src/config/load.js';
import { DEFAULT_CONFIG } from '../src/config/defaults.js';
import { startGateway } from '../src/server/gateway.js';
import { appendGatewayRow, gatewayRow, quantile, type RowMix } from './ledger-rows.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DAY = 86_400_000;
const N = Number(process.env['DASHBOARD_BENCH_ROWS'] ?? 1_000_000);
const RUNS = 15;
const MODELS = ['gpt-4.1-nano', 'gpt-4.1-mini', 'gpt-4.1', 'claude-haiku-4-5', 'claude-sonnet-4-5', 'gemini-2.5-flash'];

const mix = (t0: number, total: number): RowMix => ({ t0, spanMs: 30 * DAY, total, models: MODELS });

async function fill(path: string, rows: number, t0: number, dropDashboardIndexes: boolean): Promise<number> {
  const store = openSqliteStore({ path, maxBatch: 5000 });
  if (dropDashboardIndexes) {
    const db = new Database(path);
    for (const index of ['ledger_parent', 'ledger_cache', 'ledger_fallback', 'ledger_escalated']) db.exec(`DROP INDEX IF EXISTS ${index}`);
    db.close();
  }
  const m = mix(t0, rows);
  const append = (r: LedgerRow) => store.appendLedger(r);
  const started = performance.now();
  for (let i = 0; i < rows; i++) {
    appendGatewayRow(append, i, m);
    if (i % 50_000 === 49_999) {
      await store.flush();
      if (rows >= 1_000_000) process.stdout.write(`\r  ${(((i + 1) / rows) * 100).toFixed(0)}%`);
    }
  }
  await store.flush();
  const ms = performance.now() - started;
  await store.close();
  return ms;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'costwise-dashboard-bench-'));
  const results: Record<string, number | string> = { rows: N };

  // What the four partial indexes cost the writes (200k rows with and without them).
  // Alternated and the best of two each, so warm-up and disk cache do not favour either.
  const writes = { with: Infinity, without: Infinity };
  for (let round = 0; round < 2; round++) {
    writes.without = Math.min(writes.without, await fill(join(dir, `without${round}.db`), 200_000, Date.now() - 30 * DAY, true));
    writes.with = Math.min(writes.with, await fill(join(dir, `with${round}.db`), 200_000, Date.now() - 30 * DAY, false));
  }
  results['write_200k_with_dashboard_indexes_ms'] = Math.round(writes.with);
  results['write_200k_without_dashboard_indexes_ms'] = Math.round(writes.without);

  process.stdout.write(`writing a ${N.toLocaleString('en-US')}-row ledger over 30 days…\n`);
  const path = join(dir, 'million.db');
  const t0 = Date.now() - 30 * DAY;
  await fill(path, N, t0, false);
  process.stdout.write('\n');

  const { config } = parseConfig({ ...structuredClone(DEFAULT_CONFIG), server: { port: 0 }, storage: { ledger: { path } } }, 'bench', {});
  const gateway = await startGateway({ config });
  const now = Date.now();
  const lastHour = `from=${now - 3_600_000}&to=${now}`;
  const some = gatewayRow(Math.floor(N / 2), mix(t0, N)).requestId;
  const escalated = gatewayRow(Math.floor(N / 2) - (Math.floor(N / 2) % 100) + 70, mix(t0, N)).requestId;
  const endpoints: Array<[string, string, RequestInit?]> = [
    ['spend by technique (existing, reference)', '/api/spend?group_by=technique'],
    ['timeseries hour, 30 days', `/api/timeseries?bucket=hour&from=${now - 30 * DAY}&to=${now}`],
    ['timeseries day by model, all', '/api/timeseries?bucket=day&group_by=model'],
    ['requests page 1 (top level)', '/api/requests?top_level=1&limit=50'],
    ['requests page 21 (offset 1000)', '/api/requests?top_level=1&limit=50&offset=1000'],
    ['requests model + status=error', '/api/requests?model=gpt-4.1&status=error&limit=50'],
    ['requests cache=hit-semantic', '/api/requests?cache=hit-semantic&limit=50'],
    ['requests q=fallback (route text)', '/api/requests?q=fallback:529&limit=50'],
    ['requests q=<id prefix>', `/api/requests?q=${some.slice(0, -2)}&limit=50`],
    ['requests q=cw_ (prefix of every id)', '/api/requests?q=cw_&limit=50'],
    ['requests q=<no match> (full scan)', '/api/requests?q=no-such-text&limit=50'],
    ['request detail with sub-call', `/api/requests/${escalated}`],
    ['latency-cost, all (sampled)', '/api/stats/latency-cost'],
    ['latency-cost, last hour (exact)', `/api/stats/latency-cost?${lastHour}`],
    ['routing, all', '/api/routing'],
    ['caching, all', '/api/caching'],
    [
      'estimate',
      '/api/estimate',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'Summarise our refund policy in three bullet points.' }),
      },
    ],
  ];
  const table = new Table({ head: ['endpoint (1M rows)', 'p50 ms', 'p95 ms'], colAligns: ['left', 'right', 'right'] });
  try {
    for (const [name, path, init] of endpoints) {
      const times: number[] = [];
      for (let i = 0; i < RUNS + 1; i++) {
        const t = performance.now();
        const res = await fetch(`${gateway.url}${path}`, init);
        if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
        if (i > 0) times.push(performance.now() - t); // the first run prepares the statement
      }
      times.sort((a, b) => a - b);
      const p50 = quantile(times, 0.5);
      const p95 = quantile(times, 0.95);
      results[`${name} p50_ms`] = Number(p50.toFixed(2));
      table.push([name, p50.toFixed(1), p95.toFixed(1)]);
    }
  } finally {
    await gateway.close();
  }

  const outDir = join(root, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'dashboard.json'), JSON.stringify({ date: new Date().toISOString(), ...results }, null, 2) + '\n');
  process.stdout.write(`${table.toString()}\n`);
  process.stdout.write(
    `writes, 200k rows: ${results['write_200k_with_dashboard_indexes_ms']} ms with the dashboard indexes, ` +
      `${results['write_200k_without_dashboard_indexes_ms']} ms without\nwritten to bench/results/dashboard.json\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`dashboard bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
