// `costwise advise`: right-sizing recommendations from the ledger the config names (or a file of
// ledger rows, as `costwise replay --ledger-out` writes them), priced with the config's catalog.
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { advise, catalogPrices, feedbackGrades, mergeGrades, renderAdviceMarkdown, renderAdviceTable } from '../advisor/index.js';
import { buildCatalog } from '../config/catalog.js';
import type { Config } from '../config/schema.js';
import { openLedgerScanner, type LedgerRow } from '../storage/index.js';
import { openLabelReader } from '../storage/labels/index.js';
import { CommandError, commandConfig, databaseFailure, ledgerDatabase, runCommand } from './database.js';

interface AdviseFlags {
  days: number;
  format: 'table' | 'json' | 'md';
  config?: string;
  ledger?: string;
  grades?: string;
  maxLoss?: number;
  confidence?: number;
}

function positive(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
    return n;
  };
}

function unit(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || n >= 1) throw new InvalidArgumentError(`${name} must be a number from 0 up to (not including) 1`);
    return n;
  };
}

export function registerAdviseCommand(program: Command): void {
  program
    .command('advise')
    .description(
      'right-sizing advice from the ledger: cheaper models vouched for by shadow evaluation (and grades), batching, response caching, max_tokens; each with its monthly saving and a rule to paste',
    )
    .option('--days <n>', 'window: the last N days up to the newest row; savings are scaled from it to 30 days', positive('--days'), 30)
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json', 'md']).default('table'))
    .option('-c, --config <file>', 'costwise.yaml: its ledger, catalog prices and advisor settings (env COSTWISE_CONFIG)')
    .option('--ledger <file>', 'read ledger rows from this JSON Lines file (costwise replay --ledger-out) instead of the database')
    .option(
      '--grades <file>',
      'JSON Lines of {"request_id", "score": 0|1}: graded served and shadow answers (shadow rows: <request>.shadow-<model>); merged over the stored feedback (POST /api/feedback), the file winning',
    )
    .option('--max-loss <x>', 'largest accuracy loss a model change may risk (default advisor.maxLoss, 0.02)', unit('--max-loss'))
    .option('--confidence <x>', 'confidence of the loss bounds (default advisor.confidence, 0.95)', unit('--confidence'))
    .action((flags: AdviseFlags) => runCommand(() => runAdvise(flags)));
}

async function runAdvise(flags: AdviseFlags): Promise<void> {
  const config = commandConfig(flags.config);
  const from = Date.now() - flags.days * DAY_MS;
  const { rows, stored } =
    flags.ledger !== undefined ? { rows: readRowsFile(flags.ledger), stored: new Map<string, number>() } : await readLedger(config, from);
  const file = flags.grades !== undefined ? readGradesFile(flags.grades) : undefined;
  const grades = mergeGrades(stored, file);
  const report = advise(rows, {
    days: flags.days,
    maxLoss: flags.maxLoss ?? config.advisor.maxLoss,
    confidence: flags.confidence ?? config.advisor.confidence,
    model: catalogPrices(buildCatalog(config, 'http://127.0.0.1:1')),
    cacheTtlMs: config.cache.ttlSeconds * 1000,
    ...(grades.size > 0 ? { grades } : {}),
  });
  const text =
    flags.format === 'json' ? JSON.stringify(report, null, 2) + '\n' : flags.format === 'md' ? renderAdviceMarkdown(report) : renderAdviceTable(report);
  process.stdout.write(text);
}

const DAY_MS = 86_400_000;

/**
 * The database's rows from `from` on (only the window is read, not the whole ledger), and the
 * feedback stored since then (POST /api/feedback) as grades.
 */
async function readLedger(config: Config, from: number): Promise<{ rows: LedgerRow[]; stored: Map<string, number> }> {
  const db = ledgerDatabase(config);
  const rows: LedgerRow[] = [];
  let scanner;
  let labels;
  try {
    scanner = openLedgerScanner(db);
    for await (const r of scanner.rows({ from, to: Number.MAX_SAFE_INTEGER })) rows.push(r);
    labels = await openLabelReader(db);
    return { rows, stored: feedbackGrades(await labels.feedback(from)) };
  } catch (err) {
    throw databaseFailure('advise', db, err);
  } finally {
    await scanner?.close().catch(() => undefined);
    await labels?.close().catch(() => undefined);
  }
}

/** Each non-empty line of a JSON Lines file, parsed by `read`; a failure names the file and line. */
function readJsonLines<T>(file: string, read: (value: unknown) => T): T[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CommandError(`cannot read ${file}: ${(err as Error).message}`);
  }
  return text
    .split('\n')
    .map((line, i) => [line.trim(), i + 1] as const)
    .filter(([line]) => line !== '')
    .map(([line, n]) => {
      try {
        return read(JSON.parse(line));
      } catch (err) {
        throw new CommandError(`${file}:${n}: ${(err as Error).message}`);
      }
    });
}

function readRowsFile(file: string): LedgerRow[] {
  return readJsonLines(file, (value) => {
    const row = value as LedgerRow;
    if (typeof row.ts !== 'number' || typeof row.route !== 'string' || !Array.isArray(row.tags)) throw new Error('not a ledger row');
    return row;
  });
}

function readGradesFile(file: string): Map<string, number> {
  const grades = readJsonLines(file, (value) => {
    const g = value as { request_id?: unknown; score?: unknown };
    if (typeof g.request_id !== 'string' || g.request_id === '') throw new Error('request_id must be a non-empty string');
    if (g.score !== 0 && g.score !== 1) throw new Error('score must be 0 or 1');
    return [g.request_id, g.score] as const;
  });
  return new Map(grades);
}
