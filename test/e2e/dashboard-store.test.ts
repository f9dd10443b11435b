// The dashboard's queries below the HTTP layer, on SQLite and on PostgreSQL: percentile sampling on
// a range too long to read whole, and nearest-rank percentiles.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_RUNS_SQL } from '../../src/storage/sqlite-dashboard.js';
import { openSqliteStore } from '../../src/storage/sqlite.js';
import { postgresUp, testLedger, type Backend, type TestLedger } from '../storage/backends.js';
import { percentilesOf } from '../../src/storage/dashboard-sample.js';
import type { DurableStore, LedgerRow } from '../../src/storage/types.js';

const BACKENDS: Backend[] = ['sqlite', ...((await postgresUp()) ? (['postgres'] as const) : [])];
const T0 = Date.UTC(2025, 0, 10);
const N = 5_000;

function row(i: number): LedgerRow {
  return {
    requestId: `r${String(i).padStart(5, '0')}`,
    ts: T0 + i * 1000,
    tenant: 't',
    keyId: 'k',
    tags: [],
    ingress: 'openai',
    endpoint: '/v1/chat/completions',
    requestedModel: 'm',
    servedModel: i % 2 === 0 ? 'even' : 'odd',
    provider: 'p',
    inputTokens: 1,
    cacheReadTokens: 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    outputTokens: 1,
    reasoningTokens: 0,
    costPico: (i + 1) * 1000,
    baselinePico: (i + 1) * 1000,
    promptCachePico: 0,
    promptTokensRemoved: 0,
    promptHash: null,
    maxTokens: null,
    stopReason: null,
    latencyMs: i + 1,
    status: 200,
    stream: false,
    errorKind: null,
    route: 'requested',
    technique: null,
    parentId: null,
    attempts: null,
    cache: null,
  };
}

describe.each(BACKENDS)('on a %s ledger', (backend) => {
  let ledger: TestLedger;
  let store: DurableStore;
  beforeAll(async () => {
    ledger = testLedger(backend);
    store = ledger.open();
    for (let i = 0; i < N; i++) store.appendLedger(row(i));
    await store.flush();
  });
  afterAll(async () => {
    await ledger.dispose();
  });

  describe('percentiles', () => {
    it('reads every row of a range that fits the sample', async () => {
      const report = await store.dashboard({ kind: 'percentiles', maxSample: N });
      expect(report).toMatchObject({ population: N, sampled: false });
      expect(report.groups[0]).toMatchObject({ model: '(all)', requests: N, latencyMs: { p50: 2500, p90: 4500, p99: 4950, max: 5000 } });
      expect(report.groups.map((g) => g.model)).toEqual(['(all)', 'even', 'odd']);
    });

    it('samples a longer range evenly and stays close', async () => {
      const report = await store.dashboard({ kind: 'percentiles', maxSample: 500 });
      expect(report.sampled).toBe(true);
      expect(report.groups[0]!.requests).toBeLessThanOrEqual(500);
      expect(report.population).toBeGreaterThan(N * 0.95);
      expect(report.population).toBeLessThan(N * 1.05);
      expect(Math.abs(report.groups[0]!.latencyMs.p50 - 2500)).toBeLessThan(N * 0.03);
    });

    it('keeps to the range', async () => {
      const report = await store.dashboard({ kind: 'percentiles', from: T0 + 1000 * 1000, to: T0 + 2000 * 1000 });
      expect(report.groups[0]).toMatchObject({ requests: 1000, latencyMs: { p50: 1500, max: 2000 } });
    });

    it('rejects a bad range or sample size', async () => {
      await expect(store.dashboard({ kind: 'percentiles', from: Number.NaN })).rejects.toThrow(/from/);
      await expect(store.dashboard({ kind: 'percentiles', maxSample: 0 })).rejects.toThrow(/maxSample/);
    });
  });
});

describe('the SQLite percentile sample', () => {
  it('reads each picked run by rowid, never the whole range by time', async () => {
    // Over a 1M-row ledger the other plan (every row of the range by ledger_ts, each paired with
    // every picked id) took more than 30 s for an all-time report.
    const path = join(mkdtempSync(join(tmpdir(), 'costwise-sample-plan-')), 'ledger.db');
    const store = openSqliteStore({ path });
    for (let i = 0; i < 2_000; i++) store.appendLedger(row(i));
    await store.close();
    const db = new Database(path, { readonly: true });
    const plan = db
      .prepare(`EXPLAIN QUERY PLAN ${SAMPLE_RUNS_SQL}`)
      .all({ lo: 1, hi: 2_000, stride: 100, run: 4, from: 0, to: Number.MAX_SAFE_INTEGER })
      .map((step) => (step as { detail: string }).detail);
    db.close();
    expect(plan).toContain('SEARCH l USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)');
    expect(plan.join('\n')).not.toMatch(/ledger_ts/);
  });
});

describe('percentilesOf', () => {
  it('takes nearest-rank percentiles', () => {
    expect(percentilesOf([3, 1, 2])).toEqual({ p50: 2, p90: 3, p99: 3, max: 3 });
    expect(percentilesOf([7])).toEqual({ p50: 7, p90: 7, p99: 7, max: 7 });
    expect(percentilesOf(Array.from({ length: 100 }, (_, i) => 100 - i))).toEqual({ p50: 50, p90: 90, p99: 99, max: 100 });
  });
});
