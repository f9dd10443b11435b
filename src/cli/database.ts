// What the ledger commands (migrate, ledger export|prune) share: the config they read, the ledger it
// names, and errors about a database in one line that names its host and database, never its password.
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { LedgerDatabase } from '../storage/index.js';

/** Thrown for a failure the command reports in one line and exits 1 with. */
export class CommandError extends Error {}

/** The config of `--config` (or COSTWISE_CONFIG, or the embedded default); a bad one exits 2, like serve. */
export function commandConfig(file: string | undefined): Config {
  try {
    return loadConfig(file ?? process.env['COSTWISE_CONFIG']).config;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`costwise: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

export function ledgerDatabase(config: Config): LedgerDatabase {
  const l = config.storage.ledger;
  return l.kind === 'sqlite' ? { kind: 'sqlite', path: l.path } : { kind: 'postgres', url: l.url, schema: l.schema };
}

/** `PostgreSQL db.internal:5432/costwise (schema costwise)` or the SQLite file: no credentials. */
export function describeDatabase(db: LedgerDatabase): string {
  if (db.kind === 'sqlite') return `SQLite ${db.path}`;
  return `PostgreSQL ${postgresAddress(db.url)} (schema ${db.schema})`;
}

function postgresAddress(url: string): string {
  try {
    const u = new URL(url);
    const host = u.hostname || u.searchParams.get('host') || 'localhost';
    const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || u.username || 'postgres';
    return `${host}:${u.port || '5432'}/${database}`;
  } catch {
    return '(an unparsable URL)';
  }
}

/** The error as one line naming the database, with any credential the URL holds masked. */
export function databaseFailure(action: string, db: LedgerDatabase, err: unknown): CommandError {
  const code = (err as { code?: unknown } | null)?.code;
  let text = err instanceof Error ? err.message : String(err);
  if (db.kind === 'postgres') {
    text = text.replaceAll(db.url, '<url>');
    try {
      const password = decodeURIComponent(new URL(db.url).password);
      if (password !== '') text = text.replaceAll(password, '***');
    } catch {
      // an unparsable URL: postgres.js said so in its own words
    }
  }
  const unreachable = typeof code === 'string' && /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|CONNECT_TIMEOUT)$/.test(code);
  const what = unreachable ? `cannot reach ${describeDatabase(db)}` : `${action} failed on ${describeDatabase(db)}`;
  return new CommandError(`${what}: ${text.replace(/\s+/g, ' ').trim()}${typeof code === 'string' && !text.includes(code) ? ` (${code})` : ''}`);
}

/** Runs a command's body: a CommandError is printed on one line and the process exits 1. */
export async function runCommand(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    process.stderr.write(`costwise: ${err.message}\n`);
    process.exitCode = 1;
  }
}
