// What virtual keys, budgets and rate limits add to a request (issue 14): the pipeline's own
// authenticate, admit and reserve stages and the settle step, run on a real request context for a
// key with a day budget, a team with a month budget, and rpm/tpm limits — with the in-process
// state and with Redis. p50 and p99 per request, results in bench/results/governance.json.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import { buildCatalog } from '../src/config/catalog.js';
import { DEFAULT_CONFIG } from '../src/config/defaults.js';
import { parseConfig } from '../src/config/load.js';
import type { Config } from '../src/config/schema.js';
import { ZERO_USAGE } from '../src/core/canonical.js';
import { admitStage, settlePermit } from '../src/pipeline/admit.js';
import { authenticateStage } from '../src/pipeline/authenticate.js';
import { createContext, type RequestContext } from '../src/pipeline/context.js';
import { createResilience } from '../src/pipeline/resilience.js';
import { reserveStage, settleBudget } from '../src/pipeline/reserve.js';
import { startGovernance } from '../src/server/governance.js';
import { openDurableStore } from '../src/storage/index.js';
import { parseChatRequest } from '../src/wire/openai/request.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const N = Number(process.env['BENCH_GOV_REQUESTS'] ?? 20_000);
const REDIS_URL = process.env['COSTWISE_BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

const BODY = {
  model: 'gpt-4.1-mini',
  messages: [
    { role: 'system', content: 'You are a helpful assistant for a city council help desk.' },
    { role: 'user', content: 'When is the bulky waste collection in my district?' },
  ],
  max_tokens: 64,
};

interface Measured {
  state: string;
  p50Us: number;
  p99Us: number;
  meanUs: number;
}

async function measure(state: Config['storage']['state']): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'costwise-bench-gov-'));
  const { config } = parseConfig(
    { ...structuredClone(DEFAULT_CONFIG), server: { auth: 'keys' }, storage: { ledger: { path: join(dir, 'ledger.db') }, state } },
    'bench',
    {},
  );
  const ledger = openDurableStore({ kind: 'sqlite', path: join(dir, 'ledger.db') });
  const running = await startGovernance({ config, loopback: true, ledger });
  const team = await running.admin.createTeam({ name: 'bench team', budgets: [{ limitPico: 1_000_000_000_000_000n, period: 'month' }], rpm: 10_000_000 });
  const { secret } = await running.admin.createKey({
    name: 'bench key',
    teamId: team.id,
    budgets: [{ limitPico: 1_000_000_000_000_000n, period: 'day' }],
    rpm: 10_000_000,
    tpm: 1_000_000_000,
  });
  await running.governance.resolver.refresh();
  const catalog = buildCatalog(config, 'http://127.0.0.1:1');
  const deployment = catalog.get('gpt-4.1-mini')!;
  const deps = { governance: running.governance, catalog, resilience: createResilience(config.routing) };
  const stages = [authenticateStage(running.governance), admitStage(deps), reserveStage(deps)];
  const headers = { authorization: `Bearer ${secret}` };
  const request = parseChatRequest(BODY);

  const one = async (): Promise<number> => {
    const t0 = performance.now();
    const ctx: RequestContext = createContext({
      requestId: 'bench',
      ingress: 'openai',
      endpoint: '/v1/chat/completions',
      inbound: { headers, body: () => Promise.resolve(Buffer.alloc(0)) },
      caller: { tenant: 'default', keyId: 'anonymous', tags: [] },
      forwardHeaders: {},
    });
    ctx.request = { ...request };
    ctx.deployment = deployment;
    ctx.routeReason = 'requested';
    // The three stages in a row, as compose() runs them (the route stage between is not governance's).
    await stages[0]!.run(ctx, (c) => stages[1]!.run(c, (c2) => stages[2]!.run(c2, () => Promise.resolve())));
    ctx.settlement = { usage: { ...ZERO_USAGE, inputTokens: 30, outputTokens: 40 }, costPico: 76_000, baselinePico: 76_000, promptCachePico: 0 };
    await Promise.all([settleBudget(ctx, running.governance), settlePermit(ctx, running.governance)]);
    return (performance.now() - t0) * 1000;
  };

  for (let i = 0; i < 2_000; i++) await one();
  const times: number[] = [];
  for (let i = 0; i < N; i++) times.push(await one());
  await running.close();
  await ledger.close();
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
  return { state: state.kind === 'redis' ? 'Redis' : 'in process', p50Us: q(0.5), p99Us: q(0.99), meanUs: times.reduce((a, b) => a + b, 0) / times.length };
}

async function main(): Promise<void> {
  const results = [await measure({ kind: 'memory' })];
  try {
    results.push(await measure({ kind: 'redis', url: REDIS_URL, prefix: `costwise:bench:${process.pid}:` }));
  } catch (err) {
    process.stdout.write(`Redis at ${REDIS_URL} unavailable, skipped: ${(err as Error).message}\n`);
  }
  const out = join(root, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'governance.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, requests: N, results }, null, 2) + '\n');
  const t = new Table({ head: ['keys + budgets + rate limits', 'p50', 'p99', 'mean'] });
  for (const r of results) t.push([r.state, `${(r.p50Us / 1000).toFixed(3)} ms`, `${(r.p99Us / 1000).toFixed(3)} ms`, `${(r.meanUs / 1000).toFixed(3)} ms`]);
  process.stdout.write(
    `${t.toString()}\nauthenticate + admit (rpm, tpm) + reserve (key and team budgets) + settle, per request; targets: < 0.1 ms in process, < 1 ms with Redis\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack}\n`);
  process.exitCode = 1;
});
