// `costwise project --from-ledger`: a scenario calibrated on a ledger built here, a SQLite file or a
// PostgreSQL schema (named by a costwise.yaml given as --db).
import { writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { executeProject, type ProjectOptions } from '../../src/cli/project.js';
import { openSqliteStore } from '../../src/storage/sqlite.js';
import type { DurableStore, LedgerRow } from '../../src/storage/types.js';
import { BACKENDS } from '../helpers/backend-env.js';
import { PG_URL, PgLedger } from '../storage/backends.js';
import { TempDir, parseReport, parseScenario } from './fixtures.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2025, 0, 1);

let seq = 0;
function row(o: Partial<LedgerRow>): LedgerRow {
  return {
    requestId: `r${++seq}`,
    ts: T0,
    tenant: 't',
    keyId: 'k',
    tags: [],
    ingress: 'openai',
    endpoint: '/v1/chat/completions',
    requestedModel: 'claude-sonnet-4-5',
    servedModel: 'claude-haiku-4-5',
    provider: 'anthropic',
    inputTokens: 0,
    cacheReadTokens: 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    outputTokens: 0,
    reasoningTokens: 0,
    costPico: 0,
    baselinePico: 0,
    promptCachePico: 0,
    promptTokensRemoved: 0,
    promptHash: null,
    maxTokens: null,
    stopReason: null,
    latencyMs: 5,
    status: 200,
    stream: false,
    errorKind: null,
    route: 'requested',
    technique: null,
    parentId: null,
    attempts: null,
    cache: null,
    ...o,
  };
}

let tmp: TempDir;
let db: string;

/**
 * Ten days (T0 + 1 h … T0 + 9 days 19 h), 10 requests a day:
 *   6 asking for claude-sonnet-4-5, routed to claude-haiku-4-5: 1 exact cache hit (no tokens) and
 *     5 with 800 input + 200 cache-read + 100 output tokens;
 *   4 asking for gpt-4.1, served by it: 1 semantic hit and 3 with 2,000 input + 300 output.
 * Plus rows that must not count: a cascade sub-call, a failed request, one 40 days older.
 */
async function buildLedger(store: DurableStore): Promise<void> {
  for (let d = 0; d < 10; d++) {
    const at = (h: number): number => T0 + d * DAY + h * HOUR;
    store.appendLedger(row({ ts: at(1), cache: 'hit-exact', technique: 'cache_exact' }));
    for (let i = 0; i < 5; i++)
      store.appendLedger(row({ ts: at(2 + i), inputTokens: 800, cacheReadTokens: 200, outputTokens: 100, cache: 'miss', technique: 'routing' }));
    store.appendLedger(row({ ts: at(8), requestedModel: 'gpt-4.1', servedModel: 'gpt-4.1', provider: 'openai', cache: 'hit-semantic' }));
    for (let i = 0; i < 3; i++)
      store.appendLedger(
        row({
          ts: at(9 + i + (d === 9 ? 8 : 0)),
          requestedModel: 'gpt-4.1',
          servedModel: 'gpt-4.1',
          provider: 'openai',
          inputTokens: 2000,
          outputTokens: 300,
          cache: 'miss',
        }),
      );
  }
  store.appendLedger(row({ ts: T0 + DAY, parentId: 'r1', inputTokens: 99_999 }));
  store.appendLedger(row({ ts: T0 + DAY, status: 500, inputTokens: 99_999 }));
  store.appendLedger(row({ ts: T0 - 40 * DAY, inputTokens: 99_999 }));
  await store.flush();
  await store.close();
}

const opts = (o: Partial<ProjectOptions>): ProjectOptions => ({ fromLedger: true, db, days: 30, months: 12, growth: 0, format: 'table', ...o });

describe.each(BACKENDS)('--from-ledger (%s ledger)', (backend) => {
  let pg: PgLedger | null = null;
  beforeEach(async () => {
    tmp = new TempDir();
    if (backend === 'sqlite') {
      db = tmp.path('ledger.db');
      await buildLedger(openSqliteStore({ path: db }));
    } else {
      pg = new PgLedger();
      await buildLedger(pg.open());
      db = tmp.path('pg-ledger.yaml');
      writeFileSync(db, JSON.stringify({ storage: { ledger: { kind: 'postgres', url: PG_URL, schema: pg.schema } } }));
    }
  });
  afterEach(async () => {
    tmp.dispose();
    await pg?.dispose();
    pg = null;
  });

  it('--print-scenario derives volume, mix, tokens and cache rates from the ledger', async () => {
    const { text } = await executeProject(opts({ printScenario: true, growth: 0.05, months: 6 }));
    expect(text).toMatch(
      /^# Derived by costwise project --from-ledger from (.*ledger\.db|postgres schema cw_test_\w+): 100 requests between 2025-01-01T01:00:00.000Z and 2025-01-10T\d\d:00:00.000Z \(10 days/,
    );
    const s = parseScenario(text);
    expect(s.months).toBe(6);
    expect(s.volume).toEqual({ launch: 300, growth: 0.05 }); // 100 requests in 10 days → 300 per 30-day month
    expect(s.mix).toEqual([
      {
        name: 'claude-sonnet-4-5',
        share: 0.6,
        input_tokens: 1000, // 800 input + 200 cache read
        output_tokens: 100,
        serve: { model: 'claude-haiku-4-5' },
        naive_model: 'claude-sonnet-4-5',
        assumptions: {
          response_cache: { exact_hit_rate: 0.166667, semantic_hit_rate: 0 }, // 10 of 60
          prompt_cache: { prefix_share: 0.2, reuse_rate: 1, ttl: '5m' }, // 200 of 1000 tokens, all reads
          batchable_share: 0,
        },
      },
      {
        name: 'gpt-4.1',
        share: 0.4,
        input_tokens: 2000,
        output_tokens: 300,
        serve: { model: 'gpt-4.1' },
        naive_model: 'gpt-4.1',
        assumptions: {
          response_cache: { exact_hit_rate: 0, semantic_hit_rate: 0.25 },
          prompt_cache: { prefix_share: 0, reuse_rate: 0, ttl: '5m' },
          batchable_share: 0,
        },
      },
    ]);
  });

  it('projects the derived scenario forward', async () => {
    const json = parseReport((await executeProject(opts({ format: 'json', growth: 0.1, months: 3 }))).text);
    expect(json.months.map((m) => m.requests)).toEqual([300, 330, 363]);
    // Month 1 naive: 180 × (1000×$3 + 100×$15)/MTok on Sonnet + 120 × (2000×$2 + 300×$8)/MTok on gpt-4.1
    //              = 180 × $0.0045 + 120 × $0.0064 = $0.81 + $0.768
    expect(json.months[0]?.naive_cost_usd).toBeCloseTo(1.578, 9);
    expect(json.months[0]?.savings_usd.routing).toBeCloseTo(180 * (0.0045 - 0.0015), 9); // Haiku: 1000×$1 + 100×$5
    expect(json.months[0]?.savings_usd.response_caching).toBeGreaterThan(0);
  });

  it('--days narrows the window to the newest rows', async () => {
    const s = parseScenario((await executeProject(opts({ printScenario: true, days: 2 }))).text);
    // Newest row: T0 + 9 d 19 h, so the window starts after T0 + 7 d 19 h: all of days 8 and 9
    // (20 requests from T0 + 8 d 1 h, a span of 1 d 18 h → 2 days) → 300 a month.
    expect(s.name).toBe('Calibrated from the ledger (20 requests over 2 days)');
    expect(s.volume.launch).toBe(300);
  });
});

// A ledger file is SQLite's alone; PostgreSQL has no file to miss.
describe('--from-ledger (sqlite ledger file)', () => {
  it('a missing ledger file is refused', async () => {
    const dir = new TempDir();
    try {
      await expect(executeProject(opts({ db: dir.path('none.db') }))).rejects.toThrow(/no ledger at/);
    } finally {
      dir.dispose();
    }
  });
});
