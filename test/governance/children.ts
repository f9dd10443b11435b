// Separate processes for the multi-replica tests: src/governance is transpiled (no type check) to
// a scratch folder inside node_modules/.cache (so `ioredis` resolves), with a small worker script
// that plays one replica and prints its tally as JSON.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const ROOT = join(import.meta.dirname, '..', '..');
const SOURCE = join(ROOT, 'src', 'governance');

// One replica's load. Budget mode: `requests` reserve → hold → settle with actual 70–100 % of the
// amount (`concurrency` in flight). Rate mode: `requests` acquires spread over `spreadMs`.
const WORKER = `
import { createRedisBudgetLedger } from './budget-redis.js';
import { createRedisRateLimiter } from './ratelimit-redis.js';
const job = JSON.parse(process.argv[2]);
let seed = job.seed >>> 0;
const random = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
await sleep(Math.max(0, job.startAt - Date.now()));
const tally = { reserved: 0, exceeded: 0, unavailable: 0, settledPico: '0', admitted: 0, limited: 0 };
if (job.mode === 'budget') {
  const ledger = createRedisBudgetLedger({ url: job.url, prefix: job.prefix });
  const scopes = job.scopes.map((s) => ({ ...s, limitPico: BigInt(s.limitPico) }));
  let settled = 0n;
  let next = 0;
  const one = async () => {
    const amount = BigInt(Math.floor(job.minPico + random() * (job.maxPico - job.minPico)));
    const r = await ledger.reserve({ scopes, amountPico: amount, ttlMs: 30000 });
    tally[r.status] = (tally[r.status] ?? 0) + 1;
    if (r.status !== 'reserved') return;
    await sleep(random() * 5);
    const actual = (amount * BigInt(70 + Math.floor(random() * 31))) / 100n;
    const s = await ledger.settle(r.reservation, actual);
    if (s !== 'settled') throw new Error('settle: ' + s);
    settled += actual;
  };
  await Promise.all(Array.from({ length: job.concurrency }, async () => { while (next++ < job.requests) await one(); }));
  tally.settledPico = settled.toString();
  await ledger.close();
} else {
  const limiter = createRedisRateLimiter({ url: job.url, prefix: job.prefix });
  await Promise.all(Array.from({ length: job.requests }, async () => {
    await sleep(random() * job.spreadMs);
    const r = await limiter.acquire({ limits: job.limits, tokens: job.tokens });
    if (r.status === 'admitted') tally.admitted++;
    else if (r.status === 'limited') tally.limited++;
    else tally.unavailable++;
  }));
  await limiter.close();
}
process.stdout.write(JSON.stringify(tally));
`;

export interface Compiled {
  dir: string;
  dispose(): void;
}

export function compileGovernance(): Compiled {
  const dir = join(ROOT, 'node_modules', '.cache', 'costwise-gov-test', randomUUID());
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  for (const file of readdirSync(SOURCE).filter((f) => f.endsWith('.ts'))) {
    const out = ts.transpileModule(readFileSync(join(SOURCE, file), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
    });
    writeFileSync(join(dir, file.replace(/\.ts$/, '.js')), out.outputText);
  }
  writeFileSync(join(dir, 'worker.mjs'), WORKER);
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Tally {
  reserved: number;
  exceeded: number;
  unavailable: number;
  settledPico: string;
  admitted: number;
  limited: number;
}

export function runWorker(compiled: Compiled, job: Record<string, unknown>): Promise<Tally> {
  const child = spawn(process.execPath, [join(compiled.dir, 'worker.mjs'), JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Tally) : reject(new Error(`worker exited ${code}: ${err}`)))),
  );
}
