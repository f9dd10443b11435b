// `npm run bench`: what metrics and tracing cost. Three `costwise serve` processes in front of one
// zero-latency emulator — both off, metrics on (/metrics scraped every second as Prometheus would),
// tracing on (OTLP/HTTP protobuf to a local sink) — loaded in turn, round after round. The figure
// is CPU time per request of the gateway process (what a shared machine's contention does not
// change much) and throughput, each relative to "off" within the same round; the median over
// rounds is reported. Results to bench/results/observability.json and a table.
// BENCH_IN_PROCESS_ONLY=1 prints only the work each adds to a request, measured in this process.
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import { load, median, type Measured } from './harness.js';
import { BIN, ROOT as root, startEmulatorProcess, startProcess, stopAll } from './process.js';
import { ExportResultCode } from '@opentelemetry/core';
import { GatewayMetrics, Tracing } from '../src/telemetry/index.js';
import { encodeTraceRequest, type BatchHeader } from '../src/telemetry/otlp-protobuf.js';
import type { RecordedSpan } from '../src/telemetry/span-batcher.js';
import type { Deployment } from '../src/config/catalog.js';
import type { LedgerRow } from '../src/storage/types.js';

const DURATION_S = Number(process.env['BENCH_DURATION'] ?? 6);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 32);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);

const VARIANTS = ['off', 'metrics', 'tracing'] as const;
type Variant = (typeof VARIANTS)[number];

const children: ChildProcess[] = [];

/** An OTLP/HTTP endpoint that accepts every export and keeps only a count of bytes. */
async function startSink(): Promise<{ url: string; bytes: () => number; close: () => void }> {
  let bytes = 0;
  const server = createServer((req, res) => {
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bytes: () => bytes, close: () => server.close() };
}

function configFile(dir: string, variant: Variant, emulatorUrl: string): string {
  const path = join(dir, `${variant}.yaml`);
  writeFileSync(
    path,
    [
      'server: { port: 0 }',
      `storage: { ledger: { path: ${JSON.stringify(join(dir, `${variant}.db`))} } }`,
      `metrics: { enabled: ${variant === 'metrics'} }`,
      `tracing: { enabled: ${variant === 'tracing'} }`,
      `providers: [ { name: emu, kind: openai, baseUrl: "${emulatorUrl}", apiKey: bench } ]`,
      'models: [ { name: gpt-4.1-mini, provider: emu } ]',
    ].join('\n'),
  );
  return path;
}

const DEPLOYMENT = {
  key: 'gpt-4.1-mini@emu',
  name: 'gpt-4.1-mini',
  upstreamModel: 'gpt-4.1-mini',
  provider: { kind: 'openai', name: 'emu' },
} as unknown as Deployment;
const USAGE = { inputTokens: 31, cacheReadTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, outputTokens: 64, reasoningTokens: 0 };
const ROW: LedgerRow = {
  ...{ requestId: 'req_0123456789abcdef', ts: 0, tenant: 'default', keyId: 'k1', tags: [], ingress: 'openai', endpoint: '/v1/chat/completions' },
  ...{ requestedModel: 'gpt-4.1-mini', servedModel: 'gpt-4.1-mini', provider: 'emu', latencyMs: 1, status: 200, stream: false, errorKind: null },
  ...{ inputTokens: 31, cacheReadTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, outputTokens: 64, reasoningTokens: 0 },
  ...{
    costPico: 114_800_000,
    baselinePico: 114_800_000,
    promptCachePico: 0,
    promptTokensRemoved: 0,
    promptHash: null,
    maxTokens: null,
    stopReason: null,
    route: 'requested',
    technique: null,
    parentId: null,
    attempts: null,
    cache: null,
  },
};

async function sequence<T>(n: number, run: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(await run());
  return out;
}

/** CPU µs of `fn` per call, in this process (what contention from other processes changes least). */
function cpuPerCall(fn: () => void, calls: number): number {
  for (let i = 0; i < calls / 10; i++) fn();
  const t0 = process.cpuUsage();
  for (let i = 0; i < calls; i++) fn();
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / calls;
}

/**
 * The work metrics and tracing add to one request, measured in this process: a ledger row summed,
 * the in-flight gauge, an upstream attempt observed; a request span with one attempt span, and its
 * OTLP protobuf encoding (export's other part, the HTTP post of 512 spans at a time, is not in it).
 * Tracing's figures are medians of five runs.
 */
async function addedWork(): Promise<{ metricsUs: number; tracingUs: number; encodeUs: number }> {
  const metrics = new GatewayMetrics({ keyLabel: false });
  const metricsUs = cpuPerCall(() => {
    metrics.upstream.started();
    metrics.upstream.of(DEPLOYMENT).ok.observe(0.001);
    metrics.ledger.observe(ROW);
    metrics.upstream.ended();
  }, 200_000);
  let finished: RecordedSpan[] = [];
  let header: BatchHeader | undefined;
  const tracing = new Tracing((target) => {
    header = target.header;
    return {
      export: (spans, done) => {
        finished = spans;
        done({ code: ExportResultCode.SUCCESS });
      },
      shutdown: () => Promise.resolve(),
    };
  }, {});
  const oneRequest = (): void => {
    const trace = tracing.startRequest({})!;
    const attempt = trace.attempt(DEPLOYMENT, 'answer');
    attempt.succeeded('gpt-4.1-mini');
    // As src/pipeline/observe.ts builds it.
    trace.finish({
      requestId: ROW.requestId,
      operation: 'chat',
      requestModel: 'gpt-4.1-mini',
      deployment: DEPLOYMENT,
      usage: USAGE,
      costPico: ROW.costPico,
      baselinePico: ROW.baselinePico,
      subCallCostPico: 0,
      technique: undefined,
      routeReason: 'requested',
      cache: undefined,
      status: 200,
      errorKind: undefined,
      stream: false,
    });
  };
  // Spans live until their batch leaves, as in the gateway: batches of 512 spans, exported to a stub.
  const requestsUs = async (requests: number): Promise<number> => {
    const t0 = process.cpuUsage();
    for (let i = 0; i < requests; i += 256) {
      for (let j = 0; j < 256; j++) oneRequest();
      await tracing.flush();
    }
    const t = process.cpuUsage(t0);
    return (t.user + t.system) / requests;
  };
  await requestsUs(4096);
  const spansUs = median(await sequence(5, () => requestsUs(8192)));
  const batch = finished;
  const encodeUs = median(Array.from({ length: 5 }, () => (cpuPerCall(() => encodeTraceRequest(batch, header!), 100) * 2) / batch.length));
  return { metricsUs, tracingUs: spansUs + encodeUs, encodeUs };
}

async function main(): Promise<void> {
  const added = await addedWork();
  if (process.env['BENCH_IN_PROCESS_ONLY'] === '1') {
    const us = (x: number) => `${x.toFixed(2)} µs`;
    process.stdout.write(
      `added work per request, in-process: metrics ${us(added.metricsUs)}, tracing ${us(added.tracingUs)} (of which OTLP encoding ${us(added.encodeUs)})\n`,
    );
    return;
  }
  const emulator = await startEmulatorProcess(children);
  const sink = await startSink();
  const dir = mkdtempSync(join(tmpdir(), 'costwise-bench-obs-'));
  const gateways = {} as Record<Variant, { url: string; pid: number | undefined }>;
  for (const v of VARIANTS) {
    const env = { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_BSP_SCHEDULE_DELAY: '1000' };
    const p = await startProcess([BIN, 'serve', '--config', configFile(dir, v, emulator.url)], children, env);
    gateways[v] = { url: p.url, pid: p.child.pid };
  }
  // Prometheus's default scrape interval is 15 s; once a second is a heavy scraper.
  const scraper = setInterval(() => void fetch(`${gateways.metrics.url}/metrics`).then((r) => r.text()), 1000);
  process.stdout.write(`emulator ${emulator.url} · gateways ${VARIANTS.map((v) => `${v} ${gateways[v].url}`).join(' · ')}\nwarming up…\n`);
  const warmup = Number(process.env['BENCH_WARMUP'] ?? 8);
  for (const v of VARIANTS) await load({ url: gateways[v].url }, CONNECTIONS, warmup);

  const runs: Record<Variant, Measured[]> = { off: [], metrics: [], tracing: [] };
  for (let i = 0; i < ROUNDS; i++) {
    process.stdout.write(`round ${i + 1}/${ROUNDS}: ${CONNECTIONS} connections × ${DURATION_S}s each\n`);
    // A different order each round, so no variant always runs first (or last) in a round.
    const order = VARIANTS.map((_, k) => VARIANTS[(k + i) % VARIANTS.length]!);
    for (const v of order) runs[v].push(await load({ url: gateways[v].url, pid: gateways[v].pid }, CONNECTIONS, DURATION_S));
  }
  clearInterval(scraper);

  const relative = (v: Variant, k: 'cpuUsPerRequest' | 'requestsPerSec'): number => median(runs[v].map((m, i) => m[k] / runs.off[i]![k] - 1));
  const summary = (v: Variant) => ({
    cpuUsPerRequest: median(runs[v].map((m) => m.cpuUsPerRequest)),
    requestsPerSec: median(runs[v].map((m) => m.requestsPerSec)),
    cpuOverhead: v === 'off' ? 0 : relative(v, 'cpuUsPerRequest'),
    throughputChange: v === 'off' ? 0 : relative(v, 'requestsPerSec'),
    errors: median(runs[v].map((m) => m.errors + m.non2xx)),
    perRound: runs[v].map((m) => ({ cpuUsPerRequest: Math.round(m.cpuUsPerRequest), requestsPerSec: Math.round(m.requestsPerSec) })),
  });
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    connections: CONNECTIONS,
    durationSeconds: DURATION_S,
    rounds: ROUNDS,
    otlpBytesExported: sink.bytes(),
    addedCpuUsPerRequest: { metrics: added.metricsUs, tracing: added.tracingUs, tracingEncode: added.encodeUs },
    off: summary('off'),
    metrics: summary('metrics'),
    tracing: summary('tracing'),
  };
  const outDir = join(root, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'observability.json'), JSON.stringify(result, null, 2) + '\n');

  const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
  const t = new Table({ head: ['', 'CPU µs/req', 'vs off', 'req/s', 'vs off', 'errors'] });
  for (const v of VARIANTS) {
    const s = result[v];
    t.push([
      v,
      s.cpuUsPerRequest.toFixed(0),
      v === 'off' ? '' : pct(s.cpuOverhead),
      Math.round(s.requestsPerSec),
      v === 'off' ? '' : pct(s.throughputChange),
      s.errors,
    ]);
  }
  process.stdout.write(t.toString() + '\n');
  process.stdout.write(
    `metrics add ${pct(result.metrics.cpuOverhead)} CPU per request, tracing ${pct(result.tracing.cpuOverhead)} (median of per-round ratios; target < 5% each); ` +
      `${result.otlpBytesExported} bytes of spans exported\n` +
      `added work per request, in-process: metrics ${added.metricsUs.toFixed(2)} µs, tracing ${added.tracingUs.toFixed(2)} µs ` +
      `(of which OTLP encoding ${added.encodeUs.toFixed(2)} µs) = ${pct(added.metricsUs / result.off.cpuUsPerRequest)} and ${pct(added.tracingUs / result.off.cpuUsPerRequest)} of the gateway's ${result.off.cpuUsPerRequest.toFixed(0)} µs\n` +
      `written to bench/results/observability.json\n`,
  );
  sink.close();
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(() => stopAll(children));
