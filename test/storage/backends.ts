// The DurableStore behind one factory per backend, so the same behaviour tests run over SQLite (the
// in-thread store: the worker store runs the same queries) and PostgreSQL.
//
// PostgreSQL: COSTWISE_TEST_PG_URL, else postgres://postgres@127.0.0.1:5432/test. Every ledger lives
// in a schema of its own, dropped afterwards, so parallel test files and runs never meet. With
// CI=true the PostgreSQL tests always run (and fail when the server is down); elsewhere they are
// skipped, with a message, only when no server answers. The user must be allowed to create schemas
// and roles (postgres.test.ts makes a short-lived role without privileges): the default one is.
import { randomBytes } from 'node:crypto';
import postgres, { type Sql } from 'postgres';
import { openPostgresStore, type PostgresStore, type PostgresStoreOptions } from '../../src/storage/postgres/index.js';
import type { DurableStore } from '../../src/storage/types.js';
import { T0, TempLedger } from './support.js';
import { tables } from '../../src/storage/postgres/schema.js';

export const PG_URL = process.env['COSTWISE_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Whether PostgreSQL answers; with CI=true a server that does not is an error, not a skip. */
export async function postgresUp(): Promise<boolean> {
  const sql = postgres(PG_URL, { max: 1, connect_timeout: 3, onnotice: () => undefined });
  try {
    await sql`SELECT 1`;
    return true;
  } catch (err) {
    if (process.env['CI'] === 'true') throw new Error(`PostgreSQL at ${PG_URL} is required when CI=true`, { cause: err });
    console.warn(`PostgreSQL at ${PG_URL} does not answer (${String(err)}): skipping the PostgreSQL storage tests`);
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** A fresh, unused schema name. */
export function schemaName(): string {
  return `cw_test_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** A ledger of one backend for one test: stores opened on it, their log, rows counted from outside. */
export interface TestLedger {
  readonly logged: string[];
  open(opts?: { noTimers?: boolean }): DurableStore;
  /** Rows committed, seen through another connection (what another replica would see). */
  countOnDisk(): Promise<number>;
  dispose(): Promise<void>;
}

export type Backend = 'sqlite' | 'postgres';

export function testLedger(backend: Backend): TestLedger {
  return backend === 'sqlite' ? sqliteLedger() : new PgLedger();
}

function sqliteLedger(): TestLedger {
  const t = new TempLedger();
  return {
    logged: t.logged,
    open: (opts = {}) => t.open('in-thread', opts),
    countOnDisk: () => Promise.resolve(t.countOnDisk()),
    dispose: () => t.dispose(),
  };
}

/** A schema of its own, an admin connection to look into it, and the stores opened on it. */
export class PgLedger implements TestLedger {
  readonly schema = schemaName();
  readonly logged: string[] = [];
  readonly admin: Sql = postgres(PG_URL, { max: 2, onnotice: () => undefined });
  /** Unique per ledger, so a test can find (and terminate) its own store's connections. */
  readonly applicationName = `costwise-test-${randomBytes(4).toString('hex')}`;
  private readonly opened: PostgresStore[] = [];

  open(opts: { noTimers?: boolean } & Partial<PostgresStoreOptions> = {}): PostgresStore {
    const { noTimers = false, ...rest } = opts;
    const store = openPostgresStore({
      url: PG_URL,
      schema: this.schema,
      applicationName: this.applicationName,
      log: (m) => this.logged.push(m),
      closeTimeoutMs: 1_000,
      ...(noTimers ? { flushIntervalMs: 60_000 } : {}),
      ...rest,
    });
    this.opened.push(store);
    return store;
  }

  async countOnDisk(): Promise<number> {
    const [row] = await this.admin.unsafe<{ n: string }[]>(`SELECT count(*) AS n FROM "${this.schema}".ledger`);
    return Number(row?.n ?? 0);
  }

  async dispose(): Promise<void> {
    for (const store of this.opened.splice(0)) await store.close().catch(() => undefined);
    await this.admin.unsafe(`DROP SCHEMA IF EXISTS "${this.schema}" CASCADE`);
    await this.admin.end({ timeout: 5 });
  }
}

/** JSON with bigints as strings: two backends' answers compared as text. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

/** `n` rows straight into a PostgreSQL ledger's table (migrated first), one a second after `first`, 5 pico-dollars each, no tags. */
export async function seedPostgres(p: PgLedger, n: number, first: number = T0): Promise<void> {
  await p.open().ready();
  const t = tables(p.schema);
  await p.admin.unsafe(`INSERT INTO ${t.ledger} (request_id, ts, tenant, key_id, tags, ingress, endpoint, requested_model, served_model, provider,
        input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, reasoning_tokens, cost_pico, baseline_pico,
        latency_ms, status, stream, route, prompt_cache_pico)
        SELECT 'r' || g, ${first} + g * 1000, 't', 'k', '[]', 'openai', '/v1', 'm', 'm', 'p', 1, 0, 0, 0, 1, 0, 5, 5, 1, 200, false, 'requested', 0
        FROM generate_series(1, ${n}) g`);
}
