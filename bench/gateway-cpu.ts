// CPU time per request of two builds of the gateway, measured side by side: on a shared machine
// throughput drifts by ±20% between minutes, but two gateways loaded at the same moment share it.
// `node dist/bench/gateway-cpu.js <other-checkout>` compares the build in <other-checkout> (its own
// `npx tsc -p tsconfig.json` done) with this one; each round sends a fixed number of requests to
// the bare proxy, then to both gateways at once (half the connections each), and reads each
// process's CPU time from /proc. Without an argument both gateways are this build (the noise floor).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import { BODY, cpuMs, median } from './harness.js';
import { ROOT, startEmulatorProcess, startProcess, stopAll, type BenchProcess } from './process.js';

const REQUESTS = Number(process.env['BENCH_REQUESTS'] ?? 20_000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 7);
const CONNECTIONS = 32;
const children: ChildProcess[] = [];

async function gateway(root: string, upstream: string): Promise<BenchProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'costwise-bench-cpu-'));
  const cfg = join(dir, 'bench.yaml');
  writeFileSync(
    cfg,
    [
      'server: { port: 0 }',
      `storage: { ledger: { path: ${JSON.stringify(join(dir, 'ledger.db'))} } }`,
      `providers: [ { name: emu, kind: openai, baseUrl: "${upstream}", apiKey: bench } ]`,
      'models: [ { name: gpt-4.1-mini, provider: emu } ]',
    ].join('\n'),
  );
  return startProcess([join(root, 'bin', 'costwise.js'), 'serve', '--config', cfg], children);
}

/** CPU µs per request of `target` while it serves `amount` requests on `connections` connections. */
async function cpuPerRequest(target: BenchProcess, connections: number, amount: number): Promise<number> {
  const pid = target.child.pid!;
  const cpu0 = cpuMs(pid);
  const r = await autocannon({
    url: `${target.url}/v1/chat/completions`,
    method: 'POST',
    connections,
    amount,
    headers: { 'content-type': 'application/json', authorization: 'Bearer bench' },
    body: BODY,
  });
  if (r.errors > 0 || r.non2xx > 0) throw new Error(`${target.url}: ${r.errors} errors, ${r.non2xx} non-2xx answers`);
  return ((cpuMs(pid) - cpu0) * 1000) / r.requests.total;
}

async function main(): Promise<void> {
  const other = process.argv[2] ?? ROOT;
  const emulator = await startEmulatorProcess(children);
  const bare = await startProcess([join(ROOT, 'dist', 'bench', 'bare-proxy.js'), emulator.url], children);
  const before = await gateway(other, emulator.url);
  const after = await gateway(ROOT, emulator.url);
  process.stdout.write(`A: ${other}\nB: ${ROOT}\nwarming up…\n`);
  await cpuPerRequest(bare, CONNECTIONS, 2 * REQUESTS);
  await Promise.all([cpuPerRequest(before, CONNECTIONS / 2, 2 * REQUESTS), cpuPerRequest(after, CONNECTIONS / 2, 2 * REQUESTS)]);
  const rows: Array<{ bare: number; a: number; b: number }> = [];
  for (let i = 0; i < ROUNDS; i++) {
    const b0 = await cpuPerRequest(bare, CONNECTIONS, REQUESTS);
    const [a, b] = await Promise.all([cpuPerRequest(before, CONNECTIONS / 2, REQUESTS), cpuPerRequest(after, CONNECTIONS / 2, REQUESTS)]);
    rows.push({ bare: b0, a, b });
    process.stdout.write(
      `round ${i + 1}/${ROUNDS}: CPU µs/request bare ${b0.toFixed(1)}, A ${a.toFixed(1)}, B ${b.toFixed(1)} (B − A ${(b - a).toFixed(1)})\n`,
    );
  }
  const m = (f: (r: (typeof rows)[number]) => number) => median(rows.map(f)).toFixed(1);
  process.stdout.write(
    `median CPU µs/request: bare ${m((r) => r.bare)}, A ${m((r) => r.a)}, B ${m((r) => r.b)}; median of B − A per round: ${m((r) => r.b - r.a)}\n`,
  );
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(() => stopAll(children));
