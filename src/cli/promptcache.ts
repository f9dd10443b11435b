// `costwise promptcache eval`: replays a Mooncake trace through no caching, a naive policy, the
// breakpoint planner and a clairvoyant oracle (src/promptcache/eval/).
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import Table from 'cli-table3';
import { DEFAULT_CONFIG } from '../config/defaults.js';
import { parseConfig } from '../config/load.js';
import { buildCatalog } from '../config/catalog.js';
import { isClaudeModel, minCacheableTokens } from '../promptcache/models.js';
import { parseMooncakeTrace } from '../promptcache/trace.js';
import { replayTrace } from '../promptcache/eval/replay.js';
import { buildReplicaReport, buildReport, type EvalReport } from '../promptcache/eval/report.js';
import { replayReplicas, SHARINGS, type Assignment } from '../promptcache/eval/replicas.js';
import type { PlannerMode } from '../promptcache/planner.js';

interface EvalOpts {
  trace: string;
  model: string;
  format: 'table' | 'json';
  limit?: number;
  /** Replay from this request index (0-based), every policy starting with empty state. */
  from?: number;
  mode: PlannerMode;
  /** Also replay the planner split over this many replicas (round-robin and sticky; isolated and shared). */
  replicas?: number;
  /** How late a replica sees the others' observations (`--replicas`). */
  stalenessMs?: number;
}

const ASSIGNMENTS: readonly Assignment[] = ['round-robin', 'sticky'];

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a non-negative integer');
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

export function runPromptCacheEval(opts: EvalOpts): EvalReport {
  const catalog = buildCatalog(parseConfig(structuredClone(DEFAULT_CONFIG), '').config, 'http://127.0.0.1:1');
  const deployment = catalog.get(opts.model);
  if (!deployment)
    throw new Error(
      `unknown model "${opts.model}" (catalog: ${catalog
        .list()
        .map((d) => d.name)
        .join(', ')})`,
    );
  if (!isClaudeModel(deployment.upstreamModel)) throw new Error(`"${opts.model}" is not a Claude model: breakpoint planning applies to Anthropic caching only`);
  const from = opts.from ?? 0;
  const trace = parseMooncakeTrace(readFileSync(opts.trace, 'utf8'), opts.limit === undefined ? Infinity : from + opts.limit).slice(from);
  const started = performance.now();
  const replay = {
    model: deployment.upstreamModel,
    pricing: deployment.pricing,
    minCacheableTokens: minCacheableTokens(deployment.upstreamModel),
    mode: opts.mode,
  };
  const result = replayTrace(trace, replay);
  const report: EvalReport = { ...buildReport(opts.model, result, performance.now() - started), first_request: from };
  const replicas = opts.replicas ?? 1;
  if (replicas > 1) {
    const stalenessMs = opts.stalenessMs ?? DEFAULT_STALENESS_MS;
    const runs = ASSIGNMENTS.flatMap((assign) =>
      SHARINGS.map((sharing) => ({ assign, sharing, outcome: replayReplicas(trace, { ...replay, replicas, assign, sharing, stalenessMs }) })),
    );
    report.replicas = buildReplicaReport(result, { replicas, stalenessMs, runs });
  }
  return report;
}

/** Above the measured p99 lag of the Redis link (promptcache/shared-redis.ts: ~200 ms). */
const DEFAULT_STALENESS_MS = 500;

function pct(v: number | null): string {
  return v === null ? '–' : `${(v * 100).toFixed(1)}%`;
}

function renderTable(r: EvalReport): string {
  const t = new Table({ head: ['policy', 'input cost (USD)', 'saving vs no caching', 'read tok', '5m write tok', '1h write tok'] });
  const saving = (c: number): string => `$${(r.baseline_cost_usd - c).toFixed(4)}`;
  t.push(['no caching', `$${r.baseline_cost_usd.toFixed(4)}`, '$0', '0', '0', '0']);
  const rows = [
    ['naive (last block, 5m)', r.naive_cost_usd, 'naive'],
    ['planner', r.planned_cost_usd, 'planned'],
    ['repeat oracle (blind to new prompts)', r.repeat_oracle_cost_usd, 'repeat_oracle'],
    ['oracle (clairvoyant)', r.oracle_cost_usd, 'oracle'],
  ] as const;
  for (const [name, cost, key] of rows) {
    const k = r.tokens[key];
    t.push([name, `$${cost.toFixed(4)}`, saving(cost), k.cacheRead, k.cacheWrite5m, k.cacheWrite1h]);
  }
  t.push(['lower bound (no policy beats)', `$${r.lower_bound_cost_usd.toFixed(4)}`, saving(r.lower_bound_cost_usd), '', '', '']);
  return [
    `${r.requests} requests, ${r.input_tokens} input tokens, ${r.model} (input side only), replayed in ${r.elapsed_ms} ms`,
    t.toString(),
    `planner captures ${pct(r.captured_share_of_oracle_saving)} of the oracle's saving (naive: ${pct(r.naive_share_of_oracle_saving)}); ` +
      `planner ${r.planner_beats_naive ? 'beats' : 'does NOT beat'} naive`,
    `without knowing which new prompts come back, even the oracle captures ${pct(r.repeat_oracle_share_of_oracle_saving)} of its saving`,
    ...(r.replicas ? [renderReplicas(r.replicas)] : []),
    `oracle: ${r.oracle_method}`,
    `repeat oracle: ${r.repeat_oracle_method}`,
  ].join('\n');
}

function renderReplicas(r: NonNullable<EvalReport['replicas']>): string {
  const t = new Table({ head: [`${r.replicas} replicas, one provider cache`, 'sharing', 'planner input cost (USD)', "share of the oracle's saving"] });
  for (const row of r.rows) t.push([row.assign, row.sharing, `$${row.planned_cost_usd.toFixed(4)}`, pct(row.captured_share_of_oracle_saving)]);
  return `${t.toString()}\nsharing: isolated = each replica its own statistics and cache belief; stats / tracker = the others' arrivals / sent breakpoints; shared = both, ${r.staleness_ms} ms late`;
}

export function registerPromptCacheCommands(program: Command): void {
  const pc = program.command('promptcache').description('planned Anthropic prompt caching: offline evaluation');
  pc.command('eval')
    .description('replay a Mooncake trace through no caching, naive, the planner and a clairvoyant oracle')
    .requiredOption('--trace <file>', 'Mooncake-format JSONL trace (timestamp ms, input_length, output_length, hash_ids)')
    .requiredOption('--model <name>', 'catalog model (a Claude model)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
    .addOption(new Option('--mode <mode>', 'planner mode').choices(['auto', 'aggressive']).default('auto'))
    .option('--from <index>', 'start at this request (0-based); every policy starts cold there, e.g. to score the second half unwarmed', nonNegativeInt)
    .option('--limit <n>', 'replay only n requests', positiveInt)
    .option('--replicas <n>', 'also replay the planner over n replicas sharing one provider cache (isolated vs shared state)', positiveInt)
    .option('--staleness-ms <ms>', "with --replicas: how late a replica merges the others' observations", nonNegativeInt)
    .action((opts: EvalOpts) => {
      const report = runPromptCacheEval(opts);
      process.stdout.write(opts.format === 'json' ? JSON.stringify(report) + '\n' : renderTable(report) + '\n');
    });
  pc.command('elision')
    .description('the agent trace replayed through the planner alone and with cache-aware (and cache-blind) elision of old tool results')
    .requiredOption('--model <name>', 'catalog model (a Claude model)')
    .option('--seed <n>', 'random seed', nonNegativeInt, 1)
    .option('--sessions <n>', 'number of sessions', positiveInt, 300)
    .option('--older-than <steps>', 'elide tool results older than this many tool steps', positiveInt, 2)
    .action(async (opts: { model: string; seed: number; sessions: number; olderThan: number }) => {
      const { evaluateElision } = await import('../promptcache/eval/agent-elision.js');
      const catalog = buildCatalog(parseConfig(structuredClone(DEFAULT_CONFIG), '').config, 'http://127.0.0.1:1');
      const d = catalog.get(opts.model);
      if (!d || !isClaudeModel(d.upstreamModel)) throw new Error(`"${opts.model}" is not a Claude model in the catalog`);
      const replay = {
        model: d.upstreamModel,
        pricing: d.pricing,
        minCacheableTokens: minCacheableTokens(d.upstreamModel),
        mode: 'auto' as const,
        olderThanSteps: opts.olderThan,
      };
      const trace = { seed: opts.seed, sessions: opts.sessions };
      const gated = evaluateElision(trace, replay);
      const blind = evaluateElision(trace, { ...replay, ungated: true });
      const usd = (pico: bigint): number => Number(pico) / 1e12;
      const report = {
        requests: gated.requests,
        planner_cost_usd: usd(gated.plannerAlone.costPico),
        planner_with_elision_cost_usd: usd(gated.withElision.costPico),
        elided: gated.elided,
        refused_by_gate: gated.refused,
        planner_with_blind_elision_cost_usd: usd(blind.withElision.costPico),
      };
      process.stdout.write(JSON.stringify(report) + '\n');
    });
  pc.command('agent-trace')
    .description('write a seeded agent trace (multi-step tool-using sessions) as Mooncake JSONL with session_id and stop_reason')
    .option('--seed <n>', 'random seed', nonNegativeInt, 1)
    .option('--sessions <n>', 'number of sessions', positiveInt, 300)
    .option('--bodies <model>', 'write OpenAI chat request bodies with text instead (JSON tool results pretty-printed), for `costwise optimize eval`')
    .action(async (opts: { seed: number; sessions: number; bodies?: string }) => {
      if (opts.bodies !== undefined) {
        const { agentBodies } = await import('../promptcache/eval/agent-bodies.js');
        for (const body of agentBodies({ ...opts, model: opts.bodies })) process.stdout.write(JSON.stringify(body) + '\n');
        return;
      }
      const { agentTrace } = await import('../promptcache/eval/agent-trace.js');
      for (const line of agentTrace(opts)) process.stdout.write(JSON.stringify(line) + '\n');
    });
}
