// The PostgreSQL client a gateway process shares between its ledger, key, batch and churn-report
// stores: one pool per replica, so an operator sizes PostgreSQL's max_connections for
// replicas × storage.ledger.maxConnections, not for four pools a replica. Its session settings are
// the ledger store's; the other stores' statements are shorter and take no longer locks.
import postgres, { type Sql } from 'postgres';

export interface PostgresClientOptions {
  url: string;
  /** Connections in the pool, opened as needed (default 4). */
  maxConnections?: number;
  /** A statement running longer than this fails (default 30 s). */
  statementTimeoutMs?: number;
  /** A statement waiting longer than this for a lock fails (default 5 s). */
  lockTimeoutMs?: number;
  /** Giving up on a connection attempt after this long (default 10 s). */
  connectTimeoutMs?: number;
  /** application_name of the connections, as pg_stat_activity shows them (default `costwise`). */
  applicationName?: string;
}

export function openPostgresClient(opts: PostgresClientOptions): Sql {
  return postgres(opts.url, {
    max: Math.max(2, Math.floor(opts.maxConnections ?? 4)),
    connect_timeout: Math.ceil((opts.connectTimeoutMs ?? 10_000) / 1000),
    // A connection idle this long is closed: a replica holds only the connections it uses.
    idle_timeout: 60,
    onnotice: () => undefined, // "relation already exists, skipping" and the like
    connection: {
      application_name: opts.applicationName ?? 'costwise',
      statement_timeout: opts.statementTimeoutMs ?? 30_000,
      lock_timeout: opts.lockTimeoutMs ?? 5_000,
      // The ledger's queries read a few index ranges: starting parallel workers costs more than they
      // save (measured on a 1M-row ledger: a 7-day spend 20 ms with them, 3 ms without). A string:
      // postgres.js leaves falsy values out of the start-up message.
      max_parallel_workers_per_gather: '0',
      // Nor does compiling them: the rollup sums cost enough for JIT, which then takes 25–30 ms
      // (a 90-day spend by key on a 10M-row ledger) to save a few.
      jit: 'off',
    },
  });
}
