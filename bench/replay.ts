// Trace replay speed: requests per second of `costwise replay` (the replay's own timer: the send
// loop and the drain of deferred work) on three traces, each replayed RUNS times with the default
// policy, median and range. The short-question log is written here (10,000 Chat Completions
// requests of ~15 prompt tokens); the Azure conv and Mooncake traces come from ../shared/data and
// are skipped when it is absent. Machine speed differs a lot between sessions, so the figures are
// shown beside the bare-proxy throughput of bench/gateway.ts when bench/results/gateway.json exists.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import { loadPolicy, replay } from '../src/replay/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const shared = process.env['COSTWISE_SHARED_DATA'] ?? join(root, '..', 'shared', 'data');
const RUNS = Number(process.env['REPLAY_BENCH_RUNS'] ?? 3);

const QUESTIONS = [
  'What is the capital of France?',
  'How do I reset my password?',
  'Summarise the refund policy in one line.',
  'Which plan includes phone support?',
  'Translate "good morning" into Spanish.',
];

function shortLog(file: string): void {
  const lines: string[] = [];
  for (let i = 0; i < 10_000; i++) {
    const model = i % 2 === 0 ? 'claude-haiku-4-5' : 'gpt-4.1-mini';
    const body = { model, messages: [{ role: 'user', content: `${QUESTIONS[i % QUESTIONS.length]} (#${i})` }], max_tokens: 64 };
    lines.push(JSON.stringify({ timestamp: 1_700_000_000_000 + i * 250, body, output_tokens: 10 }));
  }
  writeFileSync(file, lines.join('\n') + '\n');
}

async function speed(file: string): Promise<number> {
  let rate = 0;
  await replay({
    file,
    policies: [loadPolicy(undefined)],
    model: 'claude-sonnet-4-5',
    speed: 'max',
    transport: 'http',
    seed: 1,
    top: 5,
    onTiming: (_policy, requests, wallMs) => {
      rate = requests / (wallMs / 1000);
    },
  });
  return rate;
}

const dir = mkdtempSync(join(tmpdir(), 'costwise-replay-bench-'));
const short = join(dir, 'short-questions.jsonl');
shortLog(short);
const traces = [
  { name: 'OpenAI log, short questions (10,000)', file: short },
  { name: 'Azure conv (19,366)', file: join(shared, 'traces', 'azure-2023-conv.csv') },
  { name: 'Mooncake (3,993)', file: join(shared, 'traces', 'mooncake-synthetic.jsonl') },
];

const results: Array<{ trace: string; runs: number[]; median: number }> = [];
for (const t of traces) {
  if (!existsSync(t.file)) {
    process.stderr.write(`skipped ${t.name}: ${t.file} is missing\n`);
    continue;
  }
  const runs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    process.stderr.write(`${t.name}: run ${r + 1}/${RUNS}\n`);
    runs.push(Math.round(await speed(t.file)));
  }
  const sorted = [...runs].sort((a, b) => a - b);
  results.push({ trace: t.name, runs, median: sorted[Math.floor(sorted.length / 2)]! });
}

const gatewayResults = join(root, 'bench', 'results', 'gateway.json');
let bareProxy: number | null = null;
if (existsSync(gatewayResults)) {
  const g = JSON.parse(readFileSync(gatewayResults, 'utf8')) as { bare?: { requestsPerSec?: number } };
  bareProxy = g.bare?.requestsPerSec ?? null;
}

const table = new Table({ head: ['trace', 'median req/s', 'runs'] });
for (const r of results) table.push([r.trace, r.median, r.runs.join(', ')]);
console.log(table.toString());
if (bareProxy !== null) console.log(`machine reference: the bare undici proxy of bench/gateway.ts served ${Math.round(bareProxy)} req/s in its last run`);
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(
  join(root, 'bench', 'results', 'replay.json'),
  JSON.stringify({ at: new Date().toISOString(), runs: RUNS, bareProxyReqPerSec: bareProxy, results }, null, 2) + '\n',
);
console.log('written to bench/results/replay.json');
