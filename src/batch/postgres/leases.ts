// The lease queries of the PostgreSQL batch store (../store.ts says what a lease is for). A lease
// is taken in one statement: the candidate rows are selected `FOR UPDATE SKIP LOCKED` — free, this
// replica's own, or expired — and updated to this owner, so two replicas looking at once take
// different rows and neither waits. A row's previous owner comes back with it: a batch whose owner
// was another replica has been taken over, and what that replica left running runs again.
import type { Sql, TransactionSql } from 'postgres';
import { str, toBatch, type Row } from '../rows.js';
import type { BatchStore, Lease } from '../store.js';
import type { BatchState } from '../types.js';
import type { BatchTables } from './schema.js';

export type Pg = Sql | TransactionSql;
export type Param = string | number | boolean | Buffer | null | string[] | number[];

/** How the store runs a statement, and a transaction. */
export interface Runner {
  sql: Sql;
  q: (db: Pg, text: string, params?: Param[]) => Promise<Row[]>;
  tx: <T>(work: (t: TransactionSql) => Promise<T>) => Promise<T>;
}

const ENDED = ['completed', 'cancelled', 'expired', 'failed'];
const TERMINAL_ITEMS = ['succeeded', 'errored', 'canceled', 'expired'];
/** States whose lease a live replica keeps renewing. */
const LEASED_STATES = ['collecting', 'in_progress', 'cancelling'];

/**
 * Leases `candidates` (a SELECT of `id` and the current owner as `prev` from `alias`, whose
 * parameters are $1 owner, $2 now, $4…) until $3; returns the rows with their previous owner.
 */
const leaseSql = (table: string, alias: string, candidates: string) =>
  `WITH c AS (${candidates} FOR UPDATE OF ${alias} SKIP LOCKED)
   UPDATE ${table} x SET lease_owner = $1, lease_expires_at = $3 FROM c WHERE x.id = c.id
   RETURNING x.*, c.prev`;

/** The rows of `alias` this owner may lease at $2: free, its own, or expired. */
const free = (alias: string) => `(${alias}.lease_owner IS NULL OR ${alias}.lease_owner = $1 OR ${alias}.lease_expires_at < $2)`;

export function leaseMethods(
  { sql, q, tx }: Runner,
  T: BatchTables,
): Pick<BatchStore, 'leaseBatches' | 'renewLeases' | 'releaseLeases' | 'endedBatchesWithHolds' | 'jobsToDeliver'> {
  const args = (lease: Lease, rest: Param): Param[] => [lease.owner, lease.now, lease.until, rest];
  return {
    leaseBatches: (states: readonly BatchState[], lease: Lease) =>
      tx(async (t) => {
        const candidates = `SELECT b.id, b.lease_owner AS prev FROM ${T.batches} b WHERE b.state = ANY($4::text[]) AND ${free('b')} ORDER BY b.created_at, b.id`;
        const rows = await q(t, leaseSql(T.batches, 'b', candidates), args(lease, [...states]));
        const takenOver = rows.filter((r) => r.prev !== null && r.prev !== lease.owner).map((r) => str(r.id));
        if (takenOver.length > 0) {
          await q(t, `UPDATE ${T.items} SET state = 'pending' WHERE batch_id = ANY($1::text[]) AND state = 'running'`, [takenOver]);
        }
        const batches = rows.map(toBatch).sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
        return { batches, takenOver };
      }),

    async renewLeases(lease: Lease) {
      await q(sql, `UPDATE ${T.batches} SET lease_expires_at = $2 WHERE lease_owner = $1 AND state = ANY($3::text[])`, [
        lease.owner,
        lease.until,
        LEASED_STATES,
      ]);
    },

    async releaseLeases(owner: string) {
      await q(sql, `UPDATE ${T.batches} SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = $1`, [owner]);
      await q(sql, `UPDATE ${T.jobs} SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = $1`, [owner]);
    },

    endedBatchesWithHolds: (lease: Lease) =>
      tx(async (t) => {
        const candidates = `SELECT b.id, b.lease_owner AS prev FROM ${T.batches} b
          WHERE b.state = ANY($4::text[]) AND EXISTS (SELECT 1 FROM ${T.holds} h WHERE h.batch_id = b.id) AND ${free('b')}`;
        return (await q(t, leaseSql(T.batches, 'b', candidates), args(lease, ENDED))).map((r) => str(r.id));
      }),

    jobsToDeliver: (lease: Lease) =>
      tx(async (t) => {
        const candidates = `SELECT j.id, j.lease_owner AS prev FROM ${T.jobs} j
          JOIN ${T.items} i ON i.batch_id = j.batch_id AND i.custom_id = j.custom_id
          WHERE j.webhook_state = 'waiting' AND i.state = ANY($4::text[]) AND ${free('j')} LIMIT 100`;
        const rows = await q(t, leaseSql(T.jobs, 'j', candidates), args(lease, TERMINAL_ITEMS));
        return rows.map((r) => ({ id: str(r.id), batchId: str(r.batch_id), customId: str(r.custom_id) }));
      }),
  };
}
