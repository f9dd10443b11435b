// Ledger write and spend-query speed: 100k appends + flush, what the spool adds to the request path,
// and spend over a 1M-row ledger.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import { openSqliteStore } from '../src/storage/sqlite.js';
import { openSpooledStore } from '../src/storage/spooled.js';
import { openWorkerSqliteStore } from '../src/storage/worker-store.js';
import type { DurableStore } from '../src/storage/types.js';
import type { LedgerRow, SpendGroup } from '../src/storage/types.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MODELS = ['gpt-4.1-mini', 'gpt-4.1', 'claude-haiku-4-5', 'claude-sonnet-4-5', 'gemini-2.5-flash'];
const DAY = 86_400_000;

function row(i: number, t0: number, spanMs: number, total: number): LedgerRow {
  const ts = t0 + Math.floor((i / total) * spanMs);
  return {
    requestId: `cw_${ts.toString(36)}${i.toString(16).padStart(8, '0')}`,
    ts,
    tenant: 'default',
    keyId: `key_${i % 50}`,
    tags: i % 4 === 0 ? ['batch', `team-${i % 7}`] : [],
    ingress: 'openai',
    endpoint: '/v1/chat/completions',
    requestedModel: MODELS[i % MODELS.length]!,
    servedModel: MODELS[i % MODELS.length]!,
    provider: 'emulator',
    inputTokens: 500 + (i % 1000),
    cacheReadTokens: i % 3 === 0 ? 1024 : 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    outputTokens: 100 + (i % 300),
    reasoningTokens: 0,
    costPico: 1_000_000 + (i % 997) * 1000,
    baselinePico: 1_200_000 + (i % 997) * 1000,
    latencyMs: 1.5,
    status: 200,
    stream: false,
    errorKind: null,
    route: 'requested',
    technique: null,
    parentId: null,
    attempts: null,
    cache: null,
    promptCachePico: 0,
    promptTokensRemoved: 0,
    promptHash: null,
    maxTokens: null,
    stopReason: null,
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'costwise-ledger-bench-'));
  const results: Record<string, number> = {};

  const small = openSqliteStore({ path: join(dir, 'append.db') });
  const t0 = Date.now() - DAY;
  const started = performance.now();
  for (let i = 0; i < 100_000; i++) small.appendLedger(row(i, t0, DAY, 100_000));
  results['append_100k_ms'] = performance.now() - started;
  await small.flush();
  results['append_and_flush_100k_ms'] = performance.now() - started;
  await small.close();

  // The request path's share of the ledger, as the gateway runs it: the worker store alone, and
  // spooled (each row on local disk before its response finishes; the rows of one event-loop turn
  // written together). 100k rows in turns of 16, each turn waiting until its rows are durable.
  const perRow = async (store: DurableStore): Promise<number> => {
    const base = Date.now();
    const t = performance.now();
    for (let i = 0; i < 100_000; i += 16) {
      for (let j = i; j < i + 16; j++) store.appendLedger(row(j, base, 60_000, 100_000));
      await (store.durable?.() ?? new Promise<void>((r) => setImmediate(r)));
    }
    const us = ((performance.now() - t) * 1000) / 100_000;
    await store.close();
    return us;
  };
  results['request_path_us_per_row_worker'] = await perRow(openWorkerSqliteStore({ path: join(dir, 'plain.db') }));
  results['request_path_us_per_row_spooled'] = await perRow(
    await openSpooledStore(openWorkerSqliteStore({ path: join(dir, 'spooled.db') }), { dir: join(dir, 'spool') }),
  );

  const big = openSqliteStore({ path: join(dir, 'million.db'), maxBatch: 5000 });
  const N = 1_000_000;
  const start30 = Date.now() - 30 * DAY;
  process.stdout.write('writing a 1,000,000-row ledger over 30 days…\n');
  for (let i = 0; i < N; i++) {
    big.appendLedger(row(i, start30, 30 * DAY, N));
    if (i % 50_000 === 49_999) {
      await big.flush();
      process.stdout.write(`\r  ${((i + 1) / 10_000).toFixed(0)}%`);
    }
  }
  await big.flush();
  process.stdout.write('\n');
  for (const groupBy of ['model', 'day', 'tag', 'key'] as SpendGroup[]) {
    const t = performance.now();
    await big.spend({ groupBy });
    results[`spend_1m_${groupBy}_ms`] = performance.now() - t;
  }
  const t = performance.now();
  await big.spend({ groupBy: 'model', from: Date.now() - 7 * DAY - 1234567, to: Date.now() - 7654321 });
  results['spend_1m_model_7day_window_ms'] = performance.now() - t;
  await big.close();

  const outDir = join(root, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'ledger.json'), JSON.stringify({ date: new Date().toISOString(), ...results }, null, 2) + '\n');
  const table = new Table({ head: ['ledger measurement', 'ms'] });
  for (const [k, v] of Object.entries(results)) table.push([k, v.toFixed(1)]);
  process.stdout.write(table.toString() + '\nwritten to bench/results/ledger.json\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`ledger bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
