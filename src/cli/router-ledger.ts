// `costwise router train --from-ledger`: the outcome data of the deployment's own labels (feedback,
// cascade verdicts) on its captured prompts (routing.learn.capturePrompts), read from the ledger's
// database; src/routing/learned/ledger-labels.ts builds it.
import { existsSync } from 'node:fs';
import { datasetFromLedger, NotEnoughLabels, type LedgerLabelStats } from '../routing/learned/ledger-labels.js';
import type { OutcomeDataset } from '../routing/learned/data.js';
import { openLedgerScanner, type LedgerDatabase, type LedgerRow } from '../storage/index.js';
import { openLabelReader } from '../storage/labels/index.js';
import { CommandError, commandConfig, databaseFailure, describeDatabase, ledgerDatabase } from './database.js';

export interface FromLedgerFlags {
  /** A SQLite ledger file, or a costwise.yaml naming the ledger. */
  db?: string;
  config?: string;
  days: number;
  minPrompts: number;
  candidates?: string[];
}

const DAY_MS = 86_400_000;

/** The ledger `--db` / `--config` name (a SQLite file given directly must exist). */
export function ledgerOf(flags: Pick<FromLedgerFlags, 'db' | 'config'>): LedgerDatabase {
  if (flags.db !== undefined && /\.ya?ml$/i.test(flags.db)) return ledgerDatabase(commandConfig(flags.db));
  if (flags.db !== undefined) {
    if (!existsSync(flags.db)) throw new CommandError(`--db: no ledger at ${flags.db}`);
    return { kind: 'sqlite', path: flags.db };
  }
  return ledgerDatabase(commandConfig(flags.config));
}

export async function ledgerDataset(flags: FromLedgerFlags): Promise<{ dataset: OutcomeDataset; stats: LedgerLabelStats; source: string }> {
  const db = ledgerOf(flags);
  const from = Date.now() - flags.days * DAY_MS;
  const rows: LedgerRow[] = [];
  let scanner;
  let labels;
  let read;
  try {
    scanner = openLedgerScanner(db);
    for await (const r of scanner.rows({ from, to: Number.MAX_SAFE_INTEGER })) rows.push(r);
    labels = await openLabelReader(db);
    read = { prompts: await labels.prompts(from), feedback: await labels.feedback(from) };
  } catch (err) {
    throw databaseFailure('router train --from-ledger', db, err);
  } finally {
    await scanner?.close().catch(() => undefined);
    await labels?.close().catch(() => undefined);
  }
  try {
    const built = datasetFromLedger({ rows, ...read }, { minPrompts: flags.minPrompts, ...(flags.candidates ? { candidates: flags.candidates } : {}) });
    return { ...built, source: `ledger ${describeDatabase(db)}, last ${flags.days} days` };
  } catch (err) {
    if (err instanceof NotEnoughLabels) throw new CommandError(`router train --from-ledger: ${err.message}`);
    throw err;
  }
}
