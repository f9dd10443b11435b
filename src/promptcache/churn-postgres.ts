// The prefix-churn reports of several replicas, in the PostgreSQL ledger's schema: one row per
// (replica, route), upserted by the replica that owns it, summed on read. The table has its own
// version table and migration lock, so the ledger's, the key store's and the batch tables'
// migrations never see it.
import postgres, { type Sql } from 'postgres';
import { applyTableMigrations, migrateTablesAt, type TableMigrations } from '../storage/postgres/migrations.js';
import { tables } from '../storage/postgres/schema.js';
import type { SchemaVersions } from '../storage/types.js';
import type { ChurnReport } from './churn.js';

// Append-only: a released migration is never edited; a schema change is a new entry. `%s` is the
// quoted schema. Pico-dollars are a bigint per row (a replica's loss on one route stays far below
// 2^63 pico, $9.2M); sums are read as numeric.
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE %s.churn_reports (
     replica             text COLLATE "C" NOT NULL,
     route               text COLLATE "C" NOT NULL,
     requests            bigint NOT NULL,
     churned             bigint NOT NULL,
     tokens_lost         bigint NOT NULL,
     pico_lost           bigint NOT NULL,
     first_difference_at bigint NOT NULL,
     example             text NOT NULL,
     last_churn_at       bigint NOT NULL,
     updated_at          bigint NOT NULL,
     PRIMARY KEY (replica, route)
   );
   CREATE INDEX churn_reports_updated ON %s.churn_reports (updated_at);`,
];

/** The churn report table's own version table and migration lock ('chrn'). */
const CHURN_TABLES: TableMigrations = { what: 'churn report', lockClass: 0x6368726e, versionTable: 'churn_schema_version', migrations: MIGRATIONS };

/** Applies the migrations this schema has not seen yet (see applyTableMigrations). */
export function migrateChurnTables(sql: Sql, schema: string, now: () => number = Date.now): Promise<SchemaVersions> {
  return applyTableMigrations(sql, schema, CHURN_TABLES, now);
}

/** `costwise migrate`: the churn report table of a PostgreSQL ledger's schema, on a connection of its own. */
export function migrateChurnDatabase(url: string, schema: string): Promise<SchemaVersions> {
  return migrateTablesAt(url, schema, CHURN_TABLES);
}

export interface ChurnReportStore {
  /** Writes (or overwrites) this replica's rows for these routes, stamped `at`. */
  upsert(replica: string, reports: readonly ChurnReport[], at: number): Promise<void>;
  /** Every replica's rows updated at or after `since`, unmerged. */
  read(since: number): Promise<ChurnReport[]>;
  /** Deletes the rows not updated since `before`; returns how many. */
  prune(before: number): Promise<number>;
  close(): Promise<void>;
}

export interface PostgresChurnStoreOptions {
  url: string;
  /** The ledger's schema; the table is created in it when missing. */
  schema: string;
  applicationName?: string;
  /** A client to use instead of one of its own (the gateway's shared one): close() leaves it open. */
  sql?: Sql;
}

interface Row {
  route: string;
  requests: string;
  churned: string;
  tokens_lost: string;
  pico_lost: string;
  first_difference_at: string;
  example: string;
  last_churn_at: string;
}

/** Migrates on first use; a failed migration is tried again by the next call. */
export function openPostgresChurnStore(opts: PostgresChurnStoreOptions): ChurnReportStore {
  const s = tables(opts.schema).schema;
  const table = `${s}.churn_reports`;
  const owned = opts.sql === undefined;
  const sql =
    opts.sql ??
    postgres(opts.url, {
      max: 1,
      onnotice: () => undefined,
      connection: { application_name: opts.applicationName ?? 'costwise-reports', statement_timeout: 30_000 },
    });
  let migrating: Promise<unknown> | null = null;
  const ready = (): Promise<unknown> => {
    migrating ??= migrateChurnTables(sql, opts.schema).catch((err: unknown) => {
      migrating = null;
      throw err;
    });
    return migrating;
  };

  return {
    async upsert(replica, reports, at) {
      if (reports.length === 0) return;
      await ready();
      const column = (k: keyof ChurnReport) => reports.map((r) => String(r[k]));
      await sql.unsafe(
        `INSERT INTO ${table} (replica, route, requests, churned, tokens_lost, pico_lost, first_difference_at, example, last_churn_at, updated_at)
         SELECT $1::text, *, $10::int8 FROM unnest($2::text[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::int8[], $8::text[], $9::int8[])
         ON CONFLICT (replica, route) DO UPDATE SET requests = EXCLUDED.requests, churned = EXCLUDED.churned, tokens_lost = EXCLUDED.tokens_lost,
           pico_lost = EXCLUDED.pico_lost, first_difference_at = EXCLUDED.first_difference_at, example = EXCLUDED.example,
           last_churn_at = EXCLUDED.last_churn_at, updated_at = EXCLUDED.updated_at`,
        [
          replica,
          column('route'),
          column('requests'),
          column('churned'),
          column('tokensLost'),
          column('picoLost'),
          column('firstDifferenceAt'),
          column('example'),
          column('lastChurnAt'),
          String(at),
        ],
      );
    },
    async read(since) {
      await ready();
      const rows = await sql.unsafe<Row[]>(
        `SELECT route, requests::text, churned::text, tokens_lost::text, pico_lost::text, first_difference_at::text, example, last_churn_at::text
         FROM ${table} WHERE updated_at >= $1::int8`,
        [String(since)],
      );
      return rows.map((r) => ({
        route: r.route,
        requests: Number(r.requests),
        churned: Number(r.churned),
        tokensLost: Number(r.tokens_lost),
        picoLost: BigInt(r.pico_lost),
        firstDifferenceAt: Number(r.first_difference_at),
        example: r.example,
        lastChurnAt: Number(r.last_churn_at),
      }));
    },
    async prune(before) {
      await ready();
      const result = await sql.unsafe(`DELETE FROM ${table} WHERE updated_at < $1::int8`, [String(before)]);
      return result.count;
    },
    async close() {
      if (owned) await sql.end({ timeout: 5 });
    },
  };
}
