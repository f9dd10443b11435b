// `costwise replay`: real traffic (a trace) through the real gateway pipeline on a simulated clock,
// under one or more policies, and what each would have cost.
import { writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from '../config/load.js';
import { loadPolicy, replay, TraceError, uniqueNames, type ReplaySpeed, type ReplayTransport } from '../replay/index.js';
import { renderTable } from '../replay/render-table.js';
import { progress } from './progress.js';

export interface ReplayCliOptions {
  trace: string;
  policy?: string;
  compare?: string[];
  format: 'table' | 'json';
  limit?: number;
  speed: ReplaySpeed;
  transport: ReplayTransport;
  model: string;
  seed: number;
  top: number;
  ledgerOut?: string;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('must be an integer');
  return n;
}

function note(text: string): void {
  process.stderr.write(`costwise replay: ${text}\n`);
}

export async function runReplay(opts: ReplayCliOptions): Promise<void> {
  let outcome;
  const bar = progress('replaying');
  try {
    const policies = uniqueNames([loadPolicy(opts.policy), ...(opts.compare ?? []).map((f) => loadPolicy(f))]);
    outcome = await replay({
      file: opts.trace,
      policies,
      model: opts.model,
      ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
      speed: opts.speed,
      transport: opts.transport,
      seed: opts.seed,
      top: opts.top,
      onProgress: (_policy, done, total) => bar.update(done, total),
      onTiming: (policy, n, ms) => {
        bar.end();
        note(`${policy}: ${n} requests in ${(ms / 1000).toFixed(2)} s (${Math.round(n / (ms / 1000))} requests/s)`);
      },
    });
  } catch (err) {
    bar.end();
    if (err instanceof TraceError || err instanceof ConfigError) {
      note(err.message);
      process.exit(2);
    }
    throw err;
  }
  const t = outcome.report.trace;
  if (t.broken_count) note(`${t.broken_count} broken line(s) not replayed, e.g. line ${t.broken[0]!.line}: ${t.broken[0]!.reason}`);
  if (t.skipped_count) note(`${t.skipped_count} line(s) skipped, e.g. line ${t.skipped[0]!.line}: ${t.skipped[0]!.reason}`);
  if (opts.ledgerOut !== undefined) writeFileSync(opts.ledgerOut, outcome.runs[0]!.rows.map((r) => JSON.stringify(r) + '\n').join(''));
  process.stdout.write(opts.format === 'json' ? JSON.stringify(outcome.report, null, 2) + '\n' : renderTable(outcome.report));
}

export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description(
      'replay a trace (ledger export, OpenAI request log, Azure CSV, Mooncake JSONL, outcome CSV) through the gateway on a simulated clock, and report what each policy costs (and, for outcome CSVs, the accuracy of what it served)',
    )
    .requiredOption('-t, --trace <file>', 'the trace; its format is detected')
    .option('-p, --policy <config.yaml>', 'the policy to replay under (default: the embedded default config)')
    .option('--compare <config.yaml...>', 'further policies, each replayed and reported beside the first')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('-n, --limit <n>', 'replay only the first N requests (in time order)', positiveInt)
    .addOption(new Option('--speed <speed>', "max: as fast as possible; realtime: at the trace's own pace").choices(['max', 'realtime']).default('max'))
    .addOption(
      new Option('--transport <transport>', 'http: loopback HTTP to the gateway; direct: its request listener in-process (same pipeline, no client socket)')
        .choices(['http', 'direct'])
        .default('http'),
    )
    .option('-m, --model <model>', 'model asked for by size-only traces (Azure, Mooncake) and outcome CSVs', 'claude-sonnet-4-5')
    .option('--seed <n>', 'seed of retry jitter and weighted balancing', integer, 1)
    .option('--top <n>', 'requests listed under top savings', positiveInt, 10)
    .option('--ledger-out <file>', "write the first policy's ledger rows as JSON Lines (for costwise advise --ledger)")
    .action(async (opts: ReplayCliOptions) => {
      await runReplay(opts);
    });
}
