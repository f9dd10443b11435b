// The key/team store behind one factory per backend, so the store contract (store.test.ts) and the
// resolver tests run over SQLite and PostgreSQL alike.
//
// PostgreSQL: COSTWISE_TEST_PG_URL, else postgres://postgres@127.0.0.1:5432/test. Every test gets a
// schema of its own, dropped afterwards. Whether PostgreSQL runs (and that it must with CI=true) is
// storage/backends.ts's postgresUp.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres, { type Sql } from 'postgres';
import { PG_URL } from '../storage/backends.js';
import { openPostgresGovernanceStore, type PostgresGovernanceStore } from '../../src/governance/postgres-store.js';
import { openSqliteGovernanceStore } from '../../src/governance/sqlite-store.js';
import type { GovernanceStore } from '../../src/governance/store.js';

export { PG_URL, postgresUp } from '../storage/backends.js';

/** One backend's store for one test: every `open()` is another replica on the same data. */
export interface TestGovernance {
  open(): GovernanceStore;
  /** Everything the backend has written, as text (to show a secret is not in it). */
  storedText(): Promise<string>;
  dispose(): Promise<void>;
}

export type GovernanceBackend = 'SQLite' | 'PostgreSQL';

export function testGovernance(backend: GovernanceBackend): TestGovernance {
  return backend === 'SQLite' ? new SqliteGovernance() : new PgGovernance();
}

/** A database file in a temporary directory. */
export class SqliteGovernance implements TestGovernance {
  readonly dir = mkdtempSync(join(tmpdir(), 'costwise-gov-'));
  readonly path = join(this.dir, 'ledger.db');
  private readonly opened: GovernanceStore[] = [];

  open(): GovernanceStore {
    const store = openSqliteGovernanceStore({ path: this.path });
    this.opened.push(store);
    return store;
  }

  /** The database and WAL files, byte for byte. */
  storedText(): Promise<string> {
    return Promise.resolve(
      readdirSync(this.dir)
        .map((f) => readFileSync(join(this.dir, f)).toString('latin1'))
        .join(''),
    );
  }

  async dispose(): Promise<void> {
    for (const store of this.opened.splice(0)) await store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A schema of its own, an admin connection to look into it, and the stores (each its own pool) opened on it. */
export class PgGovernance implements TestGovernance {
  readonly schema = `cw_gov_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  readonly admin: Sql = postgres(PG_URL, { max: 2, onnotice: () => undefined });
  private readonly opened: GovernanceStore[] = [];

  open(opts: { sql?: Sql; schema?: string } = {}): PostgresGovernanceStore {
    const { sql, schema = this.schema } = opts;
    const store = sql === undefined ? openPostgresGovernanceStore({ url: PG_URL, schema }) : openPostgresGovernanceStore({ sql, schema });
    this.opened.push(store);
    return store;
  }

  /** Every row of every table in the schema, as PostgreSQL prints it. */
  async storedText(): Promise<string> {
    const tables = await this.admin`SELECT tablename FROM pg_tables WHERE schemaname = ${this.schema}`;
    const parts: string[] = [];
    for (const { tablename } of tables) {
      const rows = await this.admin.unsafe<Array<{ row: string }>>(`SELECT t::text AS row FROM "${this.schema}"."${String(tablename)}" t`);
      parts.push(...rows.map((r) => r.row));
    }
    return parts.join('\n');
  }

  async dispose(): Promise<void> {
    for (const store of this.opened.splice(0)) await store.close();
    await this.admin.unsafe(`DROP SCHEMA IF EXISTS "${this.schema}" CASCADE`);
    await this.admin.end({ timeout: 5 });
  }
}
