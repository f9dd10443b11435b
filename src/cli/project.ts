// `costwise project`: monthly cost projections from a scenario file or from the ledger.
import { accessSync, constants, existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { stringify } from 'yaml';
import { buildCatalog } from '../config/catalog.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { openDurableStore, type DurableStoreConfig } from '../storage/index.js';
import type { Config } from '../config/schema.js';
import { deriveScenario, readLedgerWindow } from '../projection/from-ledger.js';
import { loadScenario, parseScenario, ScenarioError } from '../projection/load.js';
import { project } from '../projection/project.js';
import { ChromiumError } from '../projection/report/chromium.js';
import { BINARY_FORMATS, FORMATS, render, type Format } from '../projection/report/render.js';
import type { Scenario } from '../projection/scenario.js';
import { sensitivity } from '../projection/sensitivity.js';

export interface ProjectOptions {
  scenario?: string;
  fromLedger?: boolean;
  db?: string;
  days: number;
  months: number;
  growth: number;
  printScenario?: boolean;
  format: Format;
  out?: string;
  scale?: number[];
}

export interface ProjectResult {
  /** What goes to --out, or to standard output. */
  text: string;
  /** The workbook or PDF, for --out. */
  bytes?: Uint8Array;
  /** Further files to write (the HTML report's charts). */
  extra: Map<string, string>;
  /** Notes for standard error. */
  notes: string[];
}

function scaleList(value: string): number[] {
  const list = value.split(',').map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((n) => !Number.isFinite(n) || n <= 0))
    throw new InvalidArgumentError('must be a comma-separated list of positive numbers, e.g. 1,3,10');
  return list;
}
function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}
function growthRate(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= -1) throw new InvalidArgumentError('must be a monthly growth fraction above -1 (0.05 = 5% a month)');
  return n;
}

/** The ledger and the config whose catalog prices it: --db is a SQLite file or a costwise.yaml. */
function ledgerSource(db: string | undefined): { ledger: DurableStoreConfig; config: string } {
  if (db && /\.ya?ml$/i.test(db)) return { ledger: ledgerStore(loadConfig(db).config), config: resolve(db) };
  const envConfig = process.env['COSTWISE_CONFIG'];
  const config = envConfig ? resolve(envConfig) : '';
  return { ledger: db ? { kind: 'sqlite', path: db, worker: false } : ledgerStore(loadConfig(config || undefined).config), config };
}

function ledgerStore(config: Config): DurableStoreConfig {
  const l = config.storage.ledger;
  return l.kind === 'sqlite' ? { kind: 'sqlite', path: l.path, worker: false } : { kind: 'postgres', url: l.url, schema: l.schema };
}

function ledgerName(l: DurableStoreConfig): string {
  return l.kind === 'sqlite' ? l.path : `postgres schema ${l.schema ?? 'costwise'}`;
}

async function scenarioFromLedger(opts: ProjectOptions, notes: string[]): Promise<{ scenario?: Scenario; yaml: string }> {
  const { ledger, config } = ledgerSource(opts.db);
  if (ledger.kind === 'sqlite' && ledger.path !== ':memory:' && !existsSync(ledger.path)) throw new ScenarioError([`--db: no ledger at ${ledger.path}`], '');
  const store = openDurableStore(ledger);
  let rows;
  try {
    rows = await readLedgerWindow(store, opts.days);
  } finally {
    await store.close();
  }
  const loaded = loadConfig(config || undefined).config;
  const catalog = buildCatalog(loaded, 'http://127.0.0.1:1');
  let derived;
  try {
    derived = deriveScenario(rows, {
      days: opts.days,
      months: opts.months,
      growth: opts.growth,
      catalog,
      config,
      responseCacheTtlSeconds: loaded.cache.ttlSeconds,
    });
  } catch (err) {
    throw new ScenarioError([`--from-ledger: ${(err as Error).message}`], ledgerName(ledger));
  }
  const s = derived.summary;
  const header = `# Derived by costwise project --from-ledger from ${ledgerName(ledger)}: ${s.requests} requests between ${new Date(s.firstTs).toISOString()} and ${new Date(s.lastTs).toISOString()} (${s.observedDays} days, scaled to 30-day months).\n`;
  const yaml = header + stringify(derived.input);
  notes.push(`calibrated from ${ledgerName(ledger)}: ${s.requests} requests over ${s.observedDays} days`);
  if (opts.printScenario) return { yaml };
  return { scenario: parseScenario(derived.input, ''), yaml };
}

/** A report that cannot be produced or written where asked (exit code 2, like a bad scenario). */
export class OutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputError';
  }
}

/** Refuses an --out that cannot be written before any work is done (a PDF takes seconds to print). */
function checkWritable(out: string): void {
  const dir = dirname(resolve(out));
  const problem = (why: string): OutputError => new OutputError(`--out ${out}: cannot write the report: ${why}`);
  if (!existsSync(dir)) throw problem(`the directory ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) throw problem(`${dir} is not a directory`);
  if (existsSync(out)) {
    if (statSync(out).isDirectory()) throw problem('it is a directory');
    try {
      accessSync(out, constants.W_OK);
    } catch {
      throw problem('the file is not writable');
    }
    return;
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw problem(`the directory ${dir} is not writable`);
  }
}

export async function executeProject(opts: ProjectOptions): Promise<ProjectResult> {
  const notes: string[] = [];
  if (!opts.scenario === !opts.fromLedger) throw new ScenarioError(['give either --scenario <file> or --from-ledger'], '');
  if (BINARY_FORMATS.has(opts.format) && !opts.out) throw new OutputError(`--format ${opts.format} writes a file: give --out <file>`);
  if (opts.out) checkWritable(opts.out);
  let scenario: Scenario;
  if (opts.fromLedger) {
    const derived = await scenarioFromLedger(opts, notes);
    if (!derived.scenario) return { text: derived.yaml, extra: new Map(), notes };
    scenario = derived.scenario;
  } else {
    scenario = loadScenario(opts.scenario!);
  }
  const projection = project(scenario, opts.scale ?? scenario.scaleFactors);
  let rendered;
  try {
    rendered = await render(projection, sensitivity(scenario), opts.format, opts.out);
  } catch (err) {
    if (err instanceof ChromiumError) throw new OutputError(err.message);
    throw err;
  }
  if (opts.format === 'html' && !opts.out) notes.push('the chart SVG files are written only with --out');
  return { ...rendered, notes };
}

export async function runProject(opts: ProjectOptions): Promise<void> {
  let result: ProjectResult;
  try {
    result = await executeProject(opts);
  } catch (err) {
    if (err instanceof ScenarioError || err instanceof ConfigError || err instanceof OutputError) {
      process.stderr.write(`costwise project: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  for (const note of result.notes) process.stderr.write(`costwise project: ${note}\n`);
  if (opts.out) {
    try {
      writeFileSync(opts.out, result.bytes ?? result.text);
      for (const [path, content] of result.extra) writeFileSync(path, content);
    } catch (err) {
      process.stderr.write(`costwise project: --out ${opts.out}: cannot write the report: ${(err as Error).message}\n`);
      process.exit(2);
    }
    process.stderr.write(`costwise project: wrote ${[opts.out, ...result.extra.keys()].join(', ')}\n`);
  } else {
    process.stdout.write(result.text);
  }
}

export function registerProjectCommand(program: Command): void {
  program
    .command('project')
    .description('monthly cost projection (naive vs optimised, saving by technique, 1×/3×/10× scale, sensitivity) from a scenario or the ledger')
    .option('-s, --scenario <file>', 'scenario YAML (see examples/scenario.yaml)')
    .option('--from-ledger', 'build the scenario from the ledger (volumes, mix, cache rates) and project it forward')
    .option('--db <file>', 'with --from-ledger: the SQLite ledger, or a costwise.yaml naming it (default: the configured ledger)')
    .option('--days <n>', 'with --from-ledger: days of ledger to calibrate on', positiveInt, 30)
    .option('--months <n>', 'with --from-ledger: months to project', positiveInt, 12)
    .option('--growth <x>', 'with --from-ledger: monthly growth as a fraction (0.05 = 5%)', growthRate, 0)
    .option('--print-scenario', 'with --from-ledger: print the derived scenario as YAML and stop')
    .addOption(new Option('-f, --format <format>', 'output format').choices([...FORMATS]).default('table'))
    .option('-o, --out <file>', 'write the report here (html: also <name>-cost.svg, -savings.svg, -scales.svg next to it; xlsx and pdf need it)')
    .option('--scale <list>', "scale factors, e.g. 1,3,10 (default: the scenario's, else 1,3,10)", scaleList)
    .action(async (opts: ProjectOptions) => {
      await runProject(opts);
    });
}
