// `npm run bench`: costwise serve vs a bare undici pass-through proxy, both in front of the same
// zero-latency emulator, in one run on loopback. Throughput at saturation and latency at a light
// sequential load; results to bench/results/gateway.json and a table. A third server, the floor
// proxy (floor-proxy.ts: the bare proxy plus the JSON round trips and the durable ledger line that
// exact billing needs, nothing else), shows how much of the gap is the price of accounting itself.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import { BODY, load, median, sequentialLatency, type Measured } from './harness.js';
import { BIN, ROOT as root, startEmulatorProcess, startProcess } from './process.js';
const DURATION_S = Number(process.env['BENCH_DURATION'] ?? 6);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 32);

const children: ChildProcess[] = [];

/** A deterministic request (temperature 0): after the first, answered from the response cache. */
const CACHED_BODY = JSON.stringify({ ...(JSON.parse(BODY) as object), temperature: 0 });

async function main(): Promise<void> {
  const emulator = await startEmulatorProcess(children);
  const dir = mkdtempSync(join(tmpdir(), 'costwise-bench-'));
  const cfg = join(dir, 'bench.yaml');
  writeFileSync(
    cfg,
    [
      'server: { port: 0 }',
      `storage: { ledger: { path: ${JSON.stringify(join(dir, 'ledger.db'))} } }`,
      `providers: [ { name: emu, kind: openai, baseUrl: "${emulator.url}", apiKey: bench } ]`,
      'models: [ { name: gpt-4.1-mini, provider: emu } ]',
    ].join('\n'),
  );
  const gateway = await startProcess([BIN, 'serve', '--config', cfg], children);
  const bare = await startProcess([join(root, 'dist', 'bench', 'bare-proxy.js'), emulator.url], children);
  const floor = await startProcess([join(root, 'dist', 'bench', 'floor-proxy.js'), emulator.url], children);
  const staticServer = await startProcess([join(root, 'dist', 'bench', 'static-server.js')], children);
  process.stdout.write(`emulator ${emulator.url} · gateway ${gateway.url} · bare proxy ${bare.url} · floor proxy ${floor.url}\n`);
  process.stdout.write(`warming up…\n`);
  // Both warmed until the JIT has settled (the gateway runs more code, so it needs it more).
  const warmup = Number(process.env['BENCH_WARMUP'] ?? 10);
  await load({ url: bare.url }, CONNECTIONS, warmup);
  await load({ url: floor.url }, CONNECTIONS, warmup);
  await load({ url: gateway.url }, CONNECTIONS, warmup);

  // Alternate to spread any drift of the shared machine over both.
  const rounds = Number(process.env['BENCH_ROUNDS'] ?? 7);
  const tp: Record<'bare' | 'floor' | 'gateway', Measured[]> = { bare: [], floor: [], gateway: [] };
  for (let i = 0; i < rounds; i++) {
    process.stdout.write(`round ${i + 1}/${rounds}: throughput, ${CONNECTIONS} connections × ${DURATION_S}s each\n`);
    tp.bare.push(await load({ url: bare.url, pid: bare.child.pid }, CONNECTIONS, DURATION_S));
    tp.floor.push(await load({ url: floor.url, pid: floor.child.pid }, CONNECTIONS, DURATION_S));
    tp.gateway.push(await load({ url: gateway.url, pid: gateway.child.pid }, CONNECTIONS, DURATION_S));
  }
  process.stdout.write('sequential latency, 2,000 requests each\n');
  const latBare = await sequentialLatency({ url: bare.url }, 2000);
  const latGateway = await sequentialLatency({ url: gateway.url }, 2000);
  process.stdout.write('response-cache hit vs serving nothing (a static server), 2,000 requests each\n');
  const latStatic = await sequentialLatency({ url: staticServer.url }, 2000);
  const latHit = await sequentialLatency({ url: gateway.url }, 2000, CACHED_BODY);

  // Median over rounds: a shared 2-core machine has outliers in both directions.
  const avg = (xs: Measured[], k: keyof Measured) => median(xs.map((x) => x[k]));
  const loaded = (xs: Measured[]) => ({
    cpuUsPerRequest: avg(xs, 'cpuUsPerRequest'),
    requestsPerSec: avg(xs, 'requestsPerSec'),
    loadedP50Ms: avg(xs, 'p50Ms'),
    loadedP99Ms: avg(xs, 'p99Ms'),
    errors: avg(xs, 'errors') + avg(xs, 'non2xx'),
  });
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    connections: CONNECTIONS,
    durationSeconds: DURATION_S,
    rounds,
    perRound: {
      bare: tp.bare.map((m) => Math.round(m.requestsPerSec)),
      floor: tp.floor.map((m) => Math.round(m.requestsPerSec)),
      gateway: tp.gateway.map((m) => Math.round(m.requestsPerSec)),
    },
    bare: { ...loaded(tp.bare), ...latBare },
    floor: loaded(tp.floor),
    gateway: { ...loaded(tp.gateway), ...latGateway },
    throughputRatio: 0,
    /** The floor proxy's throughput over the bare proxy's: the most an exactly billing gateway can reach. */
    floorRatio: 0,
    addedP50Ms: 0,
    addedP99Ms: 0,
    cacheHit: {
      staticP50Ms: latStatic.p50Ms,
      staticP99Ms: latStatic.p99Ms,
      hitP50Ms: latHit.p50Ms,
      hitP99Ms: latHit.p99Ms,
      addedP50Ms: latHit.p50Ms - latStatic.p50Ms,
    },
  };
  // Each round measures the bare proxy and then the gateway back to back: the ratio within a round
  // shares the machine's state of that moment (a shared VM drifts by ±20% between minutes), and the
  // median over the rounds is the figure.
  const perRoundRatios = (xs: Measured[]) => xs.map((x, i) => x.requestsPerSec / tp.bare[i]!.requestsPerSec).sort((a, b) => a - b);
  const ratios = perRoundRatios(tp.gateway);
  result.throughputRatio = median(ratios);
  result.floorRatio = median(perRoundRatios(tp.floor));
  result.addedP50Ms = result.gateway.p50Ms - result.bare.p50Ms;
  result.addedP99Ms = result.gateway.p99Ms - result.bare.p99Ms;

  const outDir = join(root, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'gateway.json'), JSON.stringify(result, null, 2) + '\n');

  const t = new Table({ head: ['', 'CPU µs/req', 'req/s', 'p50 (seq)', 'p99 (seq)', `p50 @${CONNECTIONS}c`, `p99 @${CONNECTIONS}c`, 'errors'] });
  const f = (n: number | undefined) => (n === undefined ? '' : n.toFixed(3) + ' ms');
  const line = (label: string, r: ReturnType<typeof loaded> & { p50Ms?: number; p99Ms?: number }) => [
    label,
    r.cpuUsPerRequest.toFixed(0),
    Math.round(r.requestsPerSec),
    f(r.p50Ms),
    f(r.p99Ms),
    `${r.loadedP50Ms} ms`,
    `${r.loadedP99Ms} ms`,
    r.errors,
  ];
  t.push(line('bare undici proxy', result.bare));
  t.push(line('floor proxy (parse, render, durable ledger line)', result.floor));
  t.push(line('costwise gateway', result.gateway));
  process.stdout.write(t.toString() + '\n');
  process.stdout.write(
    `gateway throughput = ${(result.throughputRatio * 100).toFixed(1)}% of the bare proxy (median of the rounds: ${ratios.map((r) => `${(r * 100).toFixed(0)}%`).join(', ')}; target ≥ 80%); ` +
      `the floor proxy's ${(result.floorRatio * 100).toFixed(1)}%; ` +
      `added latency p50 ${result.addedP50Ms.toFixed(3)} ms (target ≤ 1 ms), p99 ${result.addedP99Ms.toFixed(3)} ms\n` +
      `response-cache hit: p50 ${latHit.p50Ms.toFixed(3)} ms vs serving nothing ${latStatic.p50Ms.toFixed(3)} ms: adds ${result.cacheHit.addedP50Ms.toFixed(3)} ms (target < 1 ms)\n` +
      `written to bench/results/gateway.json\n`,
  );
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const c of children) c.kill('SIGTERM');
  });
