// `costwise ledger export` (rows in time order as CSV or JSON Lines, streamed from a database
// cursor) and `costwise ledger prune` (a one-off retention run), on the ledger the config names.
import { createWriteStream, existsSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { Command, Option } from 'commander';
import { formatUsd } from '../cost/money.js';
import { openPostgresGovernanceStore, openSqliteGovernanceStore, teamChain, type GovernanceStore } from '../governance/index.js';
import {
  openSqliteStore,
  openLedgerScanner,
  pruneLedger,
  connectPostgresStore,
  type DurableStore,
  type LedgerDatabase,
  type LedgerScanQuery,
} from '../storage/index.js';
import { epochTime } from './args.js';
import { CommandError, commandConfig, databaseFailure, describeDatabase, ledgerDatabase, runCommand } from './database.js';
import { writeExport, type ExportFormat } from './ledger-export.js';
import { progress } from './progress.js';

interface ExportFlags {
  from?: number;
  to?: number;
  format: ExportFormat;
  out?: string;
  key?: string;
  team?: string;
  model?: string;
  tag?: string;
  config?: string;
}

export function registerLedgerCommands(program: Command): void {
  const ledger = program.command('ledger').description('the cost ledger: export its rows, prune old ones');
  ledger
    .command('export')
    .description('stream ledger rows in time order (CSV with a header row, or JSON Lines); money as exact decimal USD')
    .option('--from <time>', 'first time included: epoch ms, a date (UTC) or an ISO time (default: the beginning)', epochTime)
    .option('--to <time>', 'end, excluded (default: no end)', epochTime)
    .addOption(new Option('-f, --format <format>', 'output format').choices(['csv', 'jsonl']).default('csv'))
    .option('-o, --out <file>', 'write to this file instead of standard output')
    .option('--key <id>', "only this virtual key's rows (its id, as the ledger's key_id)")
    .option('--team <id>', "only rows of this team's keys, its sub-teams' included (as the teams are now)")
    .option('--model <name>', 'only rows served by this model')
    .option('--tag <tag>', 'only rows carrying this tag')
    .option('-c, --config <file>', 'costwise.yaml naming the ledger (env COSTWISE_CONFIG)')
    .action((flags: ExportFlags) => runCommand(() => exportLedger(flags)));
  ledger
    .command('prune')
    .description('delete ledger rows before a time, 5,000 per statement by the time index; hourly rollups (spend) are kept')
    .requiredOption('--before <time>', 'rows before this time are deleted: epoch ms, a date (UTC) or an ISO time', epochTime)
    .option('--dry-run', 'count the rows it would delete, delete nothing')
    .option('-c, --config <file>', 'costwise.yaml naming the ledger (env COSTWISE_CONFIG)')
    .action((flags: { before: number; dryRun?: boolean; config?: string }) => runCommand(() => pruneCommand(flags)));
}

async function exportLedger(flags: ExportFlags): Promise<void> {
  const db = ledgerDatabase(commandConfig(flags.config));
  const query: LedgerScanQuery = {
    from: flags.from ?? 0,
    to: flags.to ?? Number.MAX_SAFE_INTEGER,
    ...(flags.model !== undefined ? { servedModel: flags.model } : {}),
    ...(flags.tag !== undefined ? { tag: flags.tag } : {}),
  };
  if (query.from >= query.to) throw new CommandError('--from must be before --to');
  const scanner = openScanner(db);
  const out: Writable = flags.out === undefined ? process.stdout : createWriteStream(flags.out);
  // A bar only when the rows go somewhere other than the terminal, and stderr is one (progress.ts).
  const bar = flags.out !== undefined || !process.stdout.isTTY ? progress('exporting') : null;
  try {
    if (flags.key !== undefined || flags.team !== undefined) query.keyIds = await keyFilter(db, flags);
    const total = bar !== null && process.stderr.isTTY ? await scanner.count(query) : 0;
    const summary = await writeExport(scanner.rows(query), out, { format: flags.format, onRow: (n) => bar?.update(n, total) });
    if (out !== process.stdout) {
      out.end();
      await finished(out);
    }
    bar?.end();
    process.stderr.write(
      `costwise: exported ${summary.rows} ledger rows, cost ${formatUsd(summary.costPico)} USD${flags.out !== undefined ? ` to ${flags.out}` : ''}\n`,
    );
  } catch (err) {
    bar?.end();
    if ((err as { code?: unknown }).code === 'EPIPE') return; // the reader stopped early (| head): not a failure
    if (err instanceof CommandError) throw err;
    throw databaseFailure('export', db, err);
  } finally {
    await scanner.close().catch(() => undefined);
  }
}

function openScanner(db: LedgerDatabase) {
  try {
    return openLedgerScanner(db);
  } catch (err) {
    throw databaseFailure('export', db, err);
  }
}

/** The key ids of `--key`, or of `--team` and its sub-teams (both: the intersection). */
async function keyFilter(db: LedgerDatabase, flags: ExportFlags): Promise<string[]> {
  if (flags.team === undefined) return [flags.key!];
  const store: GovernanceStore =
    db.kind === 'sqlite' ? openSqliteGovernanceStore({ path: db.path }) : openPostgresGovernanceStore({ url: db.url, schema: db.schema });
  try {
    const teams = new Map((await store.listTeams()).map((t) => [t.id, t]));
    if (!teams.has(flags.team)) throw new CommandError(`no team ${flags.team}`);
    const ids = (await store.listKeys()).filter((k) => teamChain(k.teamId, teams).some((t) => t.id === flags.team)).map((k) => k.id);
    return flags.key === undefined ? ids : ids.filter((id) => id === flags.key);
  } finally {
    await store.close();
  }
}

async function pruneCommand(flags: { before: number; dryRun?: boolean; config?: string }): Promise<void> {
  const db = ledgerDatabase(commandConfig(flags.config));
  const before = new Date(flags.before).toISOString();
  if (flags.dryRun === true) {
    let n: number;
    try {
      n = await countBefore(db, flags.before);
    } catch (err) {
      throw databaseFailure('prune', db, err);
    }
    process.stdout.write(`${n} ledger rows before ${before} would be deleted (${describeDatabase(db)}); nothing deleted\n`);
    return;
  }
  if (db.kind === 'sqlite' && !existsSync(db.path)) throw new CommandError(`no ledger at ${db.path}`);
  let store: DurableStore;
  try {
    // Quiet stores: a failure is thrown and reported once, below. A gateway may be writing the
    // SQLite file: a step waits up to 5 s for its lock.
    store =
      db.kind === 'sqlite'
        ? openSqliteStore({ path: db.path, busyTimeoutMs: 5_000, log: () => undefined })
        : await connectPostgresStore({ url: db.url, schema: db.schema, log: () => undefined });
  } catch (err) {
    throw databaseFailure('prune', db, err);
  }
  const bar = progress('pruning');
  try {
    const total = process.stderr.isTTY ? await countBefore(db, flags.before) : 0;
    const deleted = await pruneLedger(store, { before: flags.before, onStep: (n) => bar.update(n, Math.max(n, total)) });
    bar.end();
    process.stdout.write(`deleted ${deleted} ledger rows before ${before} (${describeDatabase(db)}); hourly rollups kept, spend unchanged\n`);
  } catch (err) {
    bar.end();
    throw databaseFailure('prune', db, err);
  } finally {
    await store.close().catch(() => undefined);
  }
}

async function countBefore(db: LedgerDatabase, before: number): Promise<number> {
  const scanner = openLedgerScanner(db);
  try {
    return await scanner.count({ from: 0, to: before });
  } finally {
    await scanner.close();
  }
}
