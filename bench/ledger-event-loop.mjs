// Event-loop blocking on the main thread while 100,000 ledger rows are appended and flushed,
// in-thread SQLite store vs worker-thread store. A measurement, not a test (speed is not asserted).
//   npx tsc -p tsconfig.json && node --expose-gc bench/ledger-event-loop.mjs
// Two loads: "burst" appends 200 rows per event-loop turn as fast as the loop goes; "paced"
// appends 20 rows every millisecond (~20k rows/s, a busy gateway). The delay histogram samples
// every 1 ms; its max is the longest the loop was blocked, p99 what 1% of samples waited. The
// longest GC pause on the main thread is shown next to it: GC blocks the loop with either store
// (--expose-gc lets each run start from a collected heap, so one run's garbage does not land in the next).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

const build = new URL('../dist/src/storage/', import.meta.url);
const { openSqliteStore } = await import(new URL('sqlite.js', build).href);
const { openWorkerSqliteStore } = await import(new URL('worker-store.js', build).href);

const N = 100_000;
const MODELS = ['gpt-4.1-mini', 'gpt-4.1', 'claude-haiku-4-5', 'claude-sonnet-4-5', 'gemini-2.5-flash'];
const T0 = Date.now() - 86_400_000;

function row(run, i) {
  return {
    requestId: `cw_${run}_${i.toString(16).padStart(8, '0')}`,
    ts: T0 + i * 800,
    tenant: 'default',
    keyId: `key_${i % 50}`,
    tags: i % 4 === 0 ? ['batch', `team-${i % 7}`] : [],
    ingress: 'openai',
    endpoint: '/v1/chat/completions',
    requestedModel: MODELS[i % 5],
    servedModel: MODELS[i % 5],
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
  };
}

async function measure(kind, load, dir) {
  const path = join(dir, `${kind}-${load}.db`);
  const store = kind === 'in-thread' ? openSqliteStore({ path }) : openWorkerSqliteStore({ path });
  const rows = Array.from({ length: N }, (_, i) => row(`${kind}-${load}`, i)); // built before measuring
  globalThis.gc?.();
  await sleep(50);
  const gcPauses = [];
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcPauses.push(e.duration);
  });
  gc.observe({ entryTypes: ['gc'] });
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const started = performance.now();
  let appendMs = 0;
  const chunk = load === 'burst' ? 200 : 20;
  for (let i = 0; i < N; i += chunk) {
    const t = performance.now();
    for (let j = i; j < Math.min(i + chunk, N); j++) store.appendLedger(rows[j]);
    appendMs += performance.now() - t;
    if (load === 'burst') await new Promise((r) => setImmediate(r));
    else await sleep(1);
  }
  await store.flush();
  const totalMs = performance.now() - started;
  h.disable();
  gc.disconnect();
  await store.close();
  const ms = (ns) => ns / 1e6;
  return {
    store: kind,
    load,
    'append calls ms': +appendMs.toFixed(1),
    'append+flush ms': Math.round(totalMs),
    'delay p50 ms': +ms(h.percentile(50)).toFixed(2),
    'delay p99 ms': +ms(h.percentile(99)).toFixed(2),
    'delay max ms': +ms(h.max).toFixed(2),
    'longest GC ms': +Math.max(0, ...gcPauses).toFixed(2),
    samples: h.count,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'costwise-loop-'));
const results = [];
try {
  for (const load of ['burst', 'paced']) {
    for (const kind of ['in-thread', 'worker']) results.push(await measure(kind, load, dir));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.table(results);
// Main-thread cost per post, approximated: structured clone of one 500-row batch.
const batch = Array.from({ length: 500 }, (_, i) => row('clone', i));
for (let k = 0; k < 20; k++) structuredClone(batch);
const t = performance.now();
for (let k = 0; k < 200; k++) structuredClone(batch);
console.log(`structuredClone of a 500-row batch: ${((performance.now() - t) / 200).toFixed(3)} ms`);
