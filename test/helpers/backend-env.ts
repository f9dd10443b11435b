// The whole gateway over each ledger backend: `describe.each(BACKENDS)` with `startEnvOn(backend)`
// runs one test file against a SQLite file and against a PostgreSQL schema of its own (the ledger,
// keys, batches and reports all in it), dropped by close(). PostgreSQL is in BACKENDS when it answers,
// and always with CI=true, where a server that does not answer fails the file (postgresUp).
import { join } from 'node:path';
import postgres from 'postgres';
import { startTestEnv, type TestEnv } from './env.js';
import { PG_URL, postgresUp, schemaName, type Backend } from '../storage/backends.js';

export type { Backend };

/** SQLite always, PostgreSQL when it answers (always with CI=true). */
export const BACKENDS: readonly Backend[] = ['sqlite', ...((await postgresUp()) ? (['postgres'] as const) : [])];

/** startTestEnv on one backend (a fresh PostgreSQL schema, dropped by close()). */
export async function startEnvOn(backend: Backend, opts: Parameters<typeof startTestEnv>[0] = {}): Promise<TestEnv> {
  if (backend === 'sqlite') return startTestEnv(opts);
  const schema = schemaName();
  const env = await startTestEnv({ ...opts, postgres: { url: PG_URL, schema } });
  // The ledger is in that schema, not in a SQLite file beside it.
  if (!(await tableIn(schema, 'ledger'))) throw new Error(`no ledger table in PostgreSQL schema ${schema}`);
  return {
    ...env,
    async close() {
      await env.close();
      await dropSchema(schema);
    },
  };
}

/**
 * The `storage` section of a config for a `costwise serve` process on one backend, with its files
 * in `dir`: a SQLite ledger file, or a fresh PostgreSQL schema (returned, for dropSchema) and the
 * spool's data directory.
 */
export function serveStorage(backend: Backend, dir: string): { storage: Record<string, unknown>; schema: string | null } {
  if (backend === 'sqlite') return { storage: { ledger: { path: join(dir, 'ledger.db') } }, schema: null };
  const schema = schemaName();
  return { storage: { ledger: { kind: 'postgres', url: PG_URL, schema }, dataDir: join(dir, 'data') }, schema };
}

export async function tableIn(schema: string, table: string): Promise<boolean> {
  const sql = postgres(PG_URL, { max: 1, onnotice: () => undefined });
  try {
    const [row] = await sql`SELECT to_regclass(${`"${schema}"."${table}"`}) IS NOT NULL AS present`;
    return row?.['present'] === true;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

export async function dropSchema(schema: string): Promise<void> {
  const sql = postgres(PG_URL, { max: 1, onnotice: () => undefined });
  try {
    await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await sql.end({ timeout: 1 });
  }
}
