// `npm run bench:storage`: one `costwise serve` per storage setup, all in front of the same
// zero-latency emulator — the embedded defaults (SQLite ledger, in-process state, no key), SQLite
// with a virtual key (its budget and rate limits in process), PostgreSQL + Redis open, and
// PostgreSQL + Redis with a virtual key (every request reserves and settles its budget in Redis).
// Throughput at saturation in paired rounds as bench/gateway.ts (each round runs every setup back to
// back; the median over rounds of each setup's ratio to the defaults is the figure, since a shared
// VM drifts within seconds), then sequential latency. Results in bench/results/gateway-storage.json.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import postgres from 'postgres';
import { z } from 'zod';
import { load, median, sequentialLatency, type Measured, type Target } from './harness.js';
import { BIN, ROOT, startEmulatorProcess, startProcess, stopAll } from './process.js';

const DURATION_S = Number(process.env['BENCH_DURATION'] ?? 5);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 32);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
const PG_URL = process.env['COSTWISE_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env['COSTWISE_BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

interface Setup {
  name: string;
  storage: string;
  /** Requests carry a virtual key with a budget and rate limits. */
  keyed: boolean;
}

const tag = randomBytes(4).toString('hex');
const SCHEMA = `cw_bench_storage_${tag}`;
const SQLITE = (dir: string) => `{ ledger: { path: ${JSON.stringify(join(dir, 'ledger.db'))} }, dataDir: ${JSON.stringify(dir)} }`;
const PG_REDIS = (dir: string) =>
  `{ ledger: { kind: postgres, url: ${JSON.stringify(PG_URL)}, schema: ${SCHEMA} }, state: { kind: redis, url: ${JSON.stringify(REDIS_URL)}, prefix: "costwise:bench:storage:${tag}:" }, dataDir: ${JSON.stringify(dir)} }`;

const SETUPS = [
  { name: 'SQLite ledger, memory state (defaults)', storage: 'sqlite', keyed: false },
  { name: 'SQLite ledger, memory state, virtual key', storage: 'sqlite', keyed: true },
  { name: 'PostgreSQL ledger, Redis state', storage: 'pg', keyed: false },
  { name: 'PostgreSQL ledger, Redis state, virtual key', storage: 'pg', keyed: true },
] as const satisfies readonly Setup[];

const KeyCreated = z.object({ key: z.string() });

/** A virtual key with a day budget and rpm/tpm limits far above what the bench sends. */
async function createKey(url: string): Promise<string> {
  const res = await fetch(`${url}/api/keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', budget_usd: '1000000', budget_period: 'day', rpm: 10_000_000, tpm: 10_000_000_000 }),
  });
  if (!res.ok) throw new Error(`POST /api/keys: ${res.status} ${await res.text()}`);
  return KeyCreated.parse(await res.json()).key;
}

async function main(): Promise<void> {
  const children: ChildProcess[] = [];
  try {
    const emulator = await startEmulatorProcess(children);
    const targets: Target[] = [];
    for (const [i, setup] of SETUPS.entries()) {
      const dir = mkdtempSync(join(tmpdir(), `costwise-bench-storage-${i}-`));
      const config = join(dir, 'costwise.yaml');
      writeFileSync(
        config,
        [
          `server: { auth: ${setup.keyed ? 'keys' : 'open'} }`,
          `storage: ${setup.storage === 'pg' ? PG_REDIS(dir) : SQLITE(dir)}`,
          `providers: [ { name: emu, kind: openai, baseUrl: ${JSON.stringify(emulator.url)}, apiKey: bench } ]`,
          'models: [ { name: gpt-4.1-mini, provider: emu } ]',
        ].join('\n'),
      );
      const gateway = await startProcess([BIN, 'serve', '--config', config, '--port', '0'], children);
      targets.push({ url: gateway.url, pid: gateway.child.pid, ...(setup.keyed ? { apiKey: await createKey(gateway.url) } : {}) });
    }
    process.stdout.write(`emulator ${emulator.url} · ${SETUPS.map((s, i) => `${s.name}: ${targets[i]!.url}`).join(' · ')}\nwarming up…\n`);
    for (const t of targets) await load(t, CONNECTIONS, Number(process.env['BENCH_WARMUP'] ?? 5));

    const rounds: Measured[][] = SETUPS.map(() => []);
    for (let r = 0; r < ROUNDS; r++) {
      process.stdout.write(`round ${r + 1}/${ROUNDS}: ${CONNECTIONS} connections × ${DURATION_S}s per setup\n`);
      // The order turns each round, so no setup always runs right after the same one.
      for (let k = 0; k < SETUPS.length; k++) {
        const i = (k + r) % SETUPS.length;
        rounds[i]!.push(await load(targets[i]!, CONNECTIONS, DURATION_S));
      }
    }
    process.stdout.write('sequential latency, 2,000 requests per setup\n');
    const sequential: Array<{ p50Ms: number; p99Ms: number }> = [];
    for (const t of targets) sequential.push(await sequentialLatency(t, 2_000));

    const results = SETUPS.map((setup, i) => {
      const m = rounds[i]!;
      const ratio = median(m.map((x, r) => x.requestsPerSec / rounds[0]![r]!.requestsPerSec));
      return {
        setup: setup.name,
        requestsPerSec: median(m.map((x) => x.requestsPerSec)),
        perRound: m.map((x) => Math.round(x.requestsPerSec)),
        ratioToDefaults: ratio,
        cpuUsPerRequest: median(m.map((x) => x.cpuUsPerRequest)),
        loadedP50Ms: median(m.map((x) => x.p50Ms)),
        loadedP99Ms: median(m.map((x) => x.p99Ms)),
        errors: m.reduce((n, x) => n + x.errors + x.non2xx, 0),
        ...sequential[i]!,
      };
    });
    const out = join(ROOT, 'bench', 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(
      join(out, 'gateway-storage.json'),
      JSON.stringify(
        { date: new Date().toISOString(), node: process.version, connections: CONNECTIONS, durationSeconds: DURATION_S, rounds: ROUNDS, results },
        null,
        2,
      ) + '\n',
    );
    const t = new Table({ head: ['', 'req/s', 'vs defaults', 'CPU µs/req', `p50 / p99 @${CONNECTIONS}c`, 'p50 / p99 sequential', 'errors'] });
    for (const r of results) {
      t.push([
        r.setup,
        Math.round(r.requestsPerSec),
        `${(r.ratioToDefaults * 100).toFixed(0)}%`,
        r.cpuUsPerRequest.toFixed(0),
        `${r.loadedP50Ms} / ${r.loadedP99Ms} ms`,
        `${r.p50Ms.toFixed(3)} / ${r.p99Ms.toFixed(3)} ms`,
        r.errors,
      ]);
    }
    process.stdout.write(`${t.toString()}\nvs defaults: the median over the rounds of the ratio to the defaults' throughput in the same round\n`);
  } finally {
    await stopAll(children);
    const sql = postgres(PG_URL, { max: 1, onnotice: () => undefined });
    await sql.unsafe(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`).catch(() => undefined);
    await sql.end({ timeout: 1 });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
