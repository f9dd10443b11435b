// What sharing the prompt-cache planner between replicas costs (issue 15): the CPU of merging
// another replica's request (its arrival and its sent breakpoints) against planning one locally,
// on the Mooncake trace's prompts; the bytes per event on the wire; and how late a replica sees
// another's event through Redis (RedisPlannerSync with its defaults). Results in
// bench/results/promptcache-shared.json.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelPricing } from '../src/cost/prices.js';
import { AutoCachePlanner } from '../src/promptcache/auto.js';
import { encodeEvents, type PlannerEvent } from '../src/promptcache/observations.js';
import { RedisPlannerSync } from '../src/promptcache/shared-redis.js';
import { blocksOfTraceRequest, parseMooncakeTrace } from '../src/promptcache/trace.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TRACE = process.env['BENCH_TRACE'] ?? join(root, '..', 'shared', 'data', 'traces', 'mooncake-synthetic.jsonl');
const REDIS_URL = process.env['COSTWISE_BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const SONNET: ModelPricing = {
  source: 'config',
  base: { input: 3_000_000, output: 15_000_000, cacheRead: 300_000, cacheWrite5m: 3_750_000, cacheWrite1h: 6_000_000 },
  tiers: [],
};

const trace = parseMooncakeTrace(readFileSync(TRACE, 'utf8'));
const prompts = trace.map((r) => ({ blocks: blocksOfTraceRequest(r), now: r.timestamp }));

function planAll(planner: AutoCachePlanner): number {
  const t = performance.now();
  for (const p of prompts) {
    planner
      .plan({ namespace: 'n', model: 'claude-sonnet-4-5', blocks: p.blocks, pricing: SONNET, minCacheableTokens: 1024, mode: 'auto', now: p.now })
      .commit();
  }
  return ((performance.now() - t) * 1000) / prompts.length;
}

function mergeAll(events: readonly PlannerEvent[]): number {
  const planner = new AutoCachePlanner();
  const t = performance.now();
  for (const e of events) planner.merge(e);
  return ((performance.now() - t) * 1000) / events.length;
}

const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
// A shared VM drifts within seconds: each figure is the median of ROUNDS interleaved rounds.
const ROUNDS = 7;
const events: PlannerEvent[] = [];
planAll(new AutoCachePlanner({ publish: (e) => events.push(e) })); // warm-up, and the events
mergeAll(events);
const arrivals = events.filter((e) => e.kind === 'arrival');
const sent = events.filter((e) => e.kind === 'sent');
const rounds = { plan: [] as number[], arrival: [] as number[], sent: [] as number[] };
for (let i = 0; i < ROUNDS; i++) {
  rounds.plan.push(planAll(new AutoCachePlanner()));
  rounds.arrival.push(mergeAll(arrivals));
  rounds.sent.push(mergeAll(sent));
}
const cpu = {
  blocksPerPrompt: Math.round(prompts.reduce((a, p) => a + p.blocks.length, 0) / prompts.length),
  planAndCommitUs: Math.round(median(rounds.plan)),
  mergeArrivalUs: Math.round(median(rounds.arrival)),
  mergeSentUs: Math.round(median(rounds.sent)),
  /** Merging another replica's request (arrival + sent) ÷ planning one here, median of the rounds. */
  mergeShareOfPlan: Math.round(median(rounds.plan.map((p, i) => (rounds.arrival[i]! + rounds.sent[i]!) / p)) * 100) / 100,
  bytesPerEvent: Math.round(encodeEvents(events).length / events.length),
};

async function lag(n: number): Promise<{ events: number; p50Ms: number; p99Ms: number; maxMs: number }> {
  const key = `costwise:bench:planner:${process.pid}`;
  const a = new RedisPlannerSync({ url: REDIS_URL, key });
  const b = new RedisPlannerSync({ url: REDIS_URL, key });
  const lags: number[] = [];
  a.start(() => {});
  b.start((e) => lags.push(Date.now() - e.at));
  const blocks = prompts[0]!.blocks;
  for (let i = 0; i < n; i++) {
    a.publish({ kind: 'arrival', namespace: 'n', blocks, at: Date.now() });
    await new Promise((r) => setTimeout(r, 5));
  }
  for (let waited = 0; lags.length < n && waited < 5_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  await a.close();
  await b.close();
  const { Redis } = await import('ioredis');
  const r = new Redis(REDIS_URL);
  await r.del(key);
  await r.quit();
  lags.sort((x, y) => x - y);
  const q = (p: number): number => lags[Math.min(lags.length - 1, Math.floor(p * lags.length))] ?? NaN;
  return { events: lags.length, p50Ms: q(0.5), p99Ms: q(0.99), maxMs: lags[lags.length - 1] ?? NaN };
}

const result = { date: new Date().toISOString().slice(0, 10), cpu, redisLag: await lag(1_000) };
console.log(JSON.stringify(result, null, 2));
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'promptcache-shared.json'), JSON.stringify(result, null, 2) + '\n');
