// `node dist/bench/replicas.js`: the replica scenario of test/integration/replicas-kill.test.ts at
// full size — 6,000 requests at concurrency 24 over three `costwise serve` processes on one
// PostgreSQL ledger and one Redis, one of them killed with SIGKILL after 2,000 answers and started
// again on its port and dataDir. Prints what the clients got and what the ledger holds; exits 1
// when a row is missing, doubled or differs from what its client was told, or the replicas'
// spend totals differ. Results in bench/results/replicas.json.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Table from 'cli-table3';
import postgres from 'postgres';
import { formatUsd } from '../src/cost/money.js';
import { ROOT } from './process.js';
import { runReplicaScenario, verdict } from './replicas-scenario.js';

const REQUESTS = Number(process.env['BENCH_REPLICAS_REQUESTS'] ?? 6_000);
const PG_URL = process.env['COSTWISE_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env['COSTWISE_BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

async function main(): Promise<void> {
  const schema = `cw_bench_replicas_${randomBytes(4).toString('hex')}`;
  let r: Awaited<ReturnType<typeof runReplicaScenario>>;
  try {
    r = await runReplicaScenario({
      requests: REQUESTS,
      concurrency: 24,
      killAfter: Math.round(REQUESTS / 3),
      downMs: 1_000,
      pgUrl: PG_URL,
      schema,
      redisUrl: REDIS_URL,
      redisPrefix: `costwise:bench:replicas:${process.pid}:`,
      log: (line) => process.stdout.write(`${line}\n`),
    });
  } finally {
    // Dropped whether the scenario passed or threw: a failed run leaves nothing behind.
    const sql = postgres(PG_URL, { max: 1, onnotice: () => undefined });
    await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await sql.end({ timeout: 1 });
  }

  const t = new Table({ head: ['', ''] });
  t.push(
    ['requests sent (concurrency 24, round-robin over 3)', r.sent],
    ['answered 200 (per replica)', `${r.answered} (${r.answeredByReplica.join(' / ')})`],
    [
      'no complete answer',
      Object.entries(r.failed)
        .map(([why, n]) => `${why}: ${n}`)
        .join(', ') || '0',
    ],
    ['throughput, latency p50 / p99', `${(r.sent / r.seconds).toFixed(0)} req/s, ${r.latencyP50Ms.toFixed(1)} / ${r.latencyP99Ms.toFixed(1)} ms`],
    ['replica 1 down (SIGKILL → listening again)', `${r.downtimeMs.toFixed(0)} ms`],
    ['rows its spool held / of them not yet in PostgreSQL at the kill', `${r.shippedFromSpool} / ${r.onlyInSpool}`],
    ['ledger rows', r.ledgerRows],
    ['answered with no row / ids with 2+ rows / cost ≠ client', `${r.missing} / ${r.duplicated} / ${r.costMismatches}`],
    [
      'rows of requests with no complete answer',
      `${r.unanswered.rows} (${r.unanswered.fromKilledProcess} from the killed process), $${formatUsd(r.unanswered.costPico)}`,
    ],
    ['Σ cost told to clients (200s)', `$${formatUsd(r.answeredPico)}`],
    ['/api/spend on replica 0 / 1 / 2', r.spendPico.map((p) => `$${formatUsd(p)}`).join(' / ')],
    ["the key's budget in Redis: spent / reserved", `$${formatUsd(r.budget.spentPico)} / $${formatUsd(r.budget.reservedPico)}`],
  );
  process.stdout.write(`${t.toString()}\n`);
  const out = join(ROOT, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, 'replicas.json'),
    JSON.stringify({ date: new Date().toISOString(), node: process.version, ...r }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n',
  );
  const wrong = verdict(r);
  process.stdout.write(
    wrong.length === 0 ? 'every answered request has exactly one row, billed as its client was told\n' : `FAILED:\n- ${wrong.join('\n- ')}\n`,
  );
  if (wrong.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
