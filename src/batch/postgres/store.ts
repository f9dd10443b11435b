// The PostgreSQL batch store (../store.ts): the batches of every replica that shares a PostgreSQL
// ledger, in the ledger's schema (schema.ts). Same semantics as SQLite's: each state change is a
// conditional UPDATE in a transaction. What SQLite gets from being one process, this gets from
// leases (../store.ts): a batch's work is done by the replica whose lease on it is live; a lease is
// taken with `FOR UPDATE SKIP LOCKED`, so replicas looking at once take different batches and none
// waits on another.
//
// The store opens at once (no I/O on this call); the migrations run on first use, under their own
// advisory lock, and `ready()` waits for them, for a start-up that must fail early.
import postgres, { type Sql, type TransactionSql } from 'postgres';
import { BATCH_COLUMNS, batchParams, ITEM_COLUMNS, itemParams, sameGroup, str, toBatch, toFile, toItem, toJob, toProviderBatch, type Row } from '../rows.js';
import type { BatchStore, DeferredAppend, HoldRecord, ItemOutcome, JobRecord, ListQuery, StateCounts } from '../store.js';
import type { BatchRecord, Estimate, FileRecord, ItemRecord, ItemState, ProviderBatchRecord, ProviderBatchState } from '../types.js';
import { leaseMethods } from './leases.js';
import { batchTables, migrate, quotedSchema } from './schema.js';

export interface PostgresBatchStoreOptions {
  /** Connection URL (the ledger's). */
  url: string;
  /** The ledger's schema; the batch tables are created in it when missing. */
  schema: string;
  /** A client to use instead of one of its own (the gateway's shared one): close() leaves it open. */
  sql?: Sql;
  /** Connections in the pool (default 3). */
  maxConnections?: number;
  /** application_name of the connections (default `costwise-batch`). */
  applicationName?: string;
}

export interface PostgresBatchStore extends BatchStore {
  /** Resolves once the schema is migrated; rejects with why not (the next call tries again). */
  ready(): Promise<void>;
}

import type { Param, Pg } from './leases.js';

export function openPostgresBatchStore(opts: PostgresBatchStoreOptions): PostgresBatchStore {
  const s = quotedSchema(opts.schema);
  const owned = opts.sql === undefined;
  const sql: Sql =
    opts.sql ??
    postgres(opts.url, {
      max: Math.max(2, Math.floor(opts.maxConnections ?? 3)),
      onnotice: () => undefined,
      connection: { application_name: opts.applicationName ?? 'costwise-batch', statement_timeout: 30_000, lock_timeout: 10_000 },
    });
  const T = batchTables(s);
  const dollars = (n: number): string => Array.from({ length: n }, (_, k) => `$${k + 1}`).join(', ');
  const insertItem = `INSERT INTO ${T.items} (${ITEM_COLUMNS}) VALUES (${dollars(13)})`;

  let closed = false;
  let migrated = false;
  let migrating: Promise<void> | null = null;

  function ready(): Promise<void> {
    if (closed) return Promise.reject(new Error('costwise: the batch store is closed'));
    if (migrated) return Promise.resolve();
    migrating ??= migrate(sql, opts.schema).then(
      () => void (migrated = true),
      (err: unknown) => {
        migrating = null;
        throw err;
      },
    );
    return migrating;
  }

  async function q(db: Pg, text: string, params: Param[] = []): Promise<Row[]> {
    if (!migrated) await ready();
    return db.unsafe<Row[]>(text, params as never[], { prepare: true });
  }

  /** One transaction; its result is wrapped because begin() awaits a returned array as a list of queries. */
  async function tx<T>(work: (t: TransactionSql) => Promise<T>): Promise<T> {
    if (!migrated) await ready();
    return (await sql.begin(async (t) => [await work(t)]))[0] as T;
  }

  const one = async (text: string, params: Param[]): Promise<Row | null> => (await q(sql, text, params))[0] ?? null;

  async function insertFile(db: Pg, f: FileRecord, content: Buffer): Promise<void> {
    await q(
      db,
      `INSERT INTO ${T.files} (id, purpose, filename, bytes, lines, created_at, key_id, batch_id, content) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [f.id, f.purpose, f.filename, f.bytes, f.lines, f.createdAt, f.keyId, f.batchId, content],
    );
  }

  async function batch(id: string): Promise<BatchRecord | null> {
    const r = await one(`SELECT * FROM ${T.batches} WHERE id = $1`, [id]);
    return r ? toBatch(r) : null;
  }

  const store: PostgresBatchStore = {
    ready,
    ...leaseMethods({ sql, q, tx }, T),

    async close() {
      if (closed) return;
      closed = true;
      if (owned) await sql.end({ timeout: 5 });
    },

    insertFile: (f, content) => insertFile(sql, f, content),

    async file(id) {
      const r = await one(`SELECT id, purpose, filename, bytes, lines, created_at, key_id, batch_id FROM ${T.files} WHERE id = $1`, [id]);
      return r ? toFile(r) : null;
    },

    async fileContent(id) {
      const r = await one(`SELECT content FROM ${T.files} WHERE id = $1`, [id]);
      return r ? (r.content as Buffer) : null;
    },

    async deleteFile(id) {
      return (await q(sql, `DELETE FROM ${T.files} WHERE id = $1 RETURNING id`, [id])).length > 0;
    },

    insertBatch: (b, items) =>
      tx(async (t) => {
        await q(t, `INSERT INTO ${T.batches} (${BATCH_COLUMNS}) VALUES (${dollars(23)})`, batchParams(b));
        for (const i of items) await q(t, insertItem, itemParams(i));
      }),

    appendDeferred: (a: DeferredAppend) =>
      tx(async (t) => {
        // The row lock orders appends to one batch, and a flush (collecting → in_progress) after them.
        const [r] = await q(t, `SELECT * FROM ${T.batches} WHERE id = $1 AND state = 'collecting' FOR UPDATE`, [a.batchId]);
        if (!r) return null;
        const b = toBatch(r);
        const [n] = await q(t, `SELECT COALESCE(MAX(seq), -1) + 1 AS n FROM ${T.items} WHERE batch_id = $1`, [a.batchId]);
        const seq = Number(n?.n);
        const { item, model } = a.item(seq);
        await q(t, insertItem, itemParams(item));
        await q(t, `UPDATE ${T.batches} SET total = total + 1, models = $2 WHERE id = $1`, [a.batchId, JSON.stringify([...new Set([...b.models, model])])]);
        const j = a.job;
        await q(t, `INSERT INTO ${T.jobs} (id, batch_id, custom_id, format, created_at, not_after, webhook_state) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
          j.id,
          a.batchId,
          item.customId,
          j.format,
          j.createdAt,
          j.notAfter,
          j.webhook ? 'waiting' : 'none',
        ]);
        if (a.reservation !== null) {
          await q(t, `INSERT INTO ${T.holds} (id, batch_id, seq, reservation) VALUES ($1, $2, $3, $4)`, [`${a.batchId}:${seq}`, a.batchId, seq, a.reservation]);
        }
        return { seq, total: b.total + 1 };
      }),

    async setEstimate(batchId: string, estimate: Estimate) {
      await q(sql, `UPDATE ${T.batches} SET estimate = $2 WHERE id = $1`, [batchId, JSON.stringify(estimate)]);
    },

    batch,

    async listBatches(lq: ListQuery) {
      const where: string[] = ["origin = 'api'"];
      const args: Param[] = [];
      const arg = (v: Param) => `$${args.push(v)}`;
      if (lq.format) where.push(`format = ${arg(lq.format)}`);
      if (lq.keyId !== undefined) where.push(`key_id = ${arg(lq.keyId)}`);
      let order = 'DESC';
      const anchor = lq.after ? await batch(lq.after) : lq.before ? await batch(lq.before) : null;
      if (anchor) {
        const op = lq.after ? '<' : '>';
        if (!lq.after) order = 'ASC';
        where.push(`(created_at, id) ${op} (${arg(anchor.createdAt)}::int8, ${arg(anchor.id)}::text)`);
      }
      const rows = await q(
        sql,
        `SELECT * FROM ${T.batches} WHERE ${where.join(' AND ')} ORDER BY created_at ${order}, id ${order} LIMIT ${arg(lq.limit + 1)}`,
        args,
      );
      const data = rows.slice(0, lq.limit).map(toBatch);
      if (order === 'ASC') data.reverse();
      return { data, hasMore: rows.length > lq.limit };
    },

    async batchesIn(states) {
      return (await q(sql, `SELECT * FROM ${T.batches} WHERE state = ANY($1::text[]) ORDER BY created_at, id`, [[...states]])).map(toBatch);
    },

    async transition(id, from, to, times = {}) {
      const rows = await q(
        sql,
        `UPDATE ${T.batches} SET state = $1, approved_at = COALESCE($2, approved_at), in_progress_at = COALESCE($3, in_progress_at),
           cancel_requested_at = COALESCE($4, cancel_requested_at)
         WHERE id = $5 AND state = ANY($6::text[]) RETURNING id`,
        [to, times.approvedAt ?? null, times.inProgressAt ?? null, times.cancelRequestedAt ?? null, id, [...from]],
      );
      return rows.length > 0;
    },

    finish: (id, state, endedAt, files) =>
      tx(async (t) => {
        const ended = await q(
          t,
          `UPDATE ${T.batches} SET state = $1, ended_at = $2 WHERE id = $3 AND state IN ('in_progress', 'cancelling', 'awaiting_approval') RETURNING id`,
          [state, endedAt, id],
        );
        if (ended.length === 0) return false;
        for (const f of files) {
          await insertFile(t, f.record, f.content);
          await q(t, `UPDATE ${T.batches} SET ${f.role === 'output' ? 'output_file_id' : 'error_file_id'} = $1 WHERE id = $2`, [f.record.id, id]);
        }
        return true;
      }),

    async deleteBatch(id) {
      // Items, provider batches and holds go with it (ON DELETE CASCADE).
      await q(sql, `DELETE FROM ${T.batches} WHERE id = $1`, [id]);
    },

    recover: () => Promise.resolve(0),

    async items(batchId) {
      return (await q(sql, `SELECT * FROM ${T.items} WHERE batch_id = $1 ORDER BY seq`, [batchId])).map(toItem);
    },

    async item(batchId, customId) {
      const r = await one(`SELECT * FROM ${T.items} WHERE batch_id = $1 AND custom_id = $2`, [batchId, customId]);
      return r ? toItem(r) : null;
    },

    async itemAt(batchId, seq) {
      const r = await one(`SELECT * FROM ${T.items} WHERE batch_id = $1 AND seq = $2`, [batchId, seq]);
      return r ? toItem(r) : null;
    },

    async itemsIn(batchId: string, state: ItemState, route?: ItemRecord['route']) {
      const text = `SELECT * FROM ${T.items} WHERE batch_id = $1 AND state = $2${route ? ' AND route = $3' : ''} ORDER BY seq`;
      return (await q(sql, text, route ? [batchId, state, route] : [batchId, state])).map(toItem);
    },

    async itemsOf(providerBatchId) {
      return (await q(sql, `SELECT * FROM ${T.items} WHERE provider_batch_id = $1 ORDER BY seq`, [providerBatchId])).map(toItem);
    },

    async counts(batchId) {
      const c: StateCounts = { pending: 0, submitted: 0, running: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
      for (const r of await q(sql, `SELECT state, COUNT(*) AS n FROM ${T.items} WHERE batch_id = $1 GROUP BY state`, [batchId])) {
        c[r.state as ItemState] = Number(r.n);
      }
      return c;
    },

    async costPico(batchId) {
      const r = await one(`SELECT COALESCE(SUM(cost_pico), 0)::text AS total FROM ${T.items} WHERE batch_id = $1`, [batchId]);
      return BigInt(str(r?.total ?? '0'));
    },

    async claim(batchId, seq) {
      const rows = await q(sql, `UPDATE ${T.items} SET state = 'running' WHERE batch_id = $1 AND seq = $2 AND state = 'pending' RETURNING seq`, [batchId, seq]);
      return rows.length > 0;
    },

    settle: (outcomes: readonly ItemOutcome[], providerBatch?: { id: string; state: ProviderBatchState }) =>
      tx(async (t) => {
        const applied: ItemOutcome[] = [];
        for (const o of outcomes) {
          const rows = await q(
            t,
            `UPDATE ${T.items} SET state = $1, result = $2, cost_pico = $3, baseline_pico = $4
             WHERE batch_id = $5 AND seq = $6 AND state = ANY($7::text[]) RETURNING seq`,
            [o.state, JSON.stringify(o.result), o.costPico, o.baselinePico, o.batchId, o.seq, [...o.from]],
          );
          if (rows.length > 0) applied.push(o);
        }
        if (providerBatch) await q(t, `UPDATE ${T.pbs} SET state = $1 WHERE id = $2`, [providerBatch.state, providerBatch.id]);
        return applied;
      }),

    async unbilled(batchIds?: readonly string[]) {
      const only = batchIds ? ' AND batch_id = ANY($1::text[])' : '';
      const rows = await q(
        sql,
        `SELECT * FROM ${T.items} WHERE NOT billed AND state = 'succeeded'${only} ORDER BY batch_id, seq`,
        batchIds ? [[...batchIds]] : [],
      );
      return rows.map(toItem);
    },

    async markBilled(keys) {
      if (keys.length === 0) return;
      await q(
        sql,
        `UPDATE ${T.items} i SET billed = true FROM unnest($1::text[], $2::int8[]) AS k(batch_id, seq) WHERE i.batch_id = k.batch_id AND i.seq = k.seq`,
        [keys.map((k) => k.batchId), keys.map((k) => k.seq)],
      );
    },

    assign: (pb: ProviderBatchRecord, seqs: readonly number[]) =>
      tx(async (t) => {
        await q(
          t,
          `INSERT INTO ${T.pbs} (id, batch_id, provider_name, kind, deployment_key, state, upstream_id, items, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [pb.id, pb.batchId, pb.providerName, pb.kind, pb.deploymentKey, pb.state, pb.upstreamId, pb.items, pb.createdAt],
        );
        const moved = await q(
          t,
          `UPDATE ${T.items} SET state = 'submitted', provider_batch_id = $1 WHERE batch_id = $2 AND seq = ANY($3::int8[]) AND state = 'pending' RETURNING seq`,
          [pb.id, pb.batchId, [...seqs]],
        );
        if (moved.length === 0) await q(t, `DELETE FROM ${T.pbs} WHERE id = $1`, [pb.id]);
        else await q(t, `UPDATE ${T.pbs} SET items = $1 WHERE id = $2`, [moved.length, pb.id]);
        return moved.length;
      }),

    async submitted(pbId, upstreamId) {
      await q(sql, `UPDATE ${T.pbs} SET state = 'submitted', upstream_id = $1 WHERE id = $2 AND state = 'creating'`, [upstreamId, pbId]);
    },

    async cancelSent(pbId) {
      await q(sql, `UPDATE ${T.pbs} SET cancel_sent = true WHERE id = $1`, [pbId]);
    },

    async providerBatchesIn(states: readonly ProviderBatchState[]) {
      return (await q(sql, `SELECT * FROM ${T.pbs} WHERE state = ANY($1::text[]) ORDER BY created_at, id`, [[...states]])).map(toProviderBatch);
    },

    async knownUpstreamIds() {
      return new Set((await q(sql, `SELECT upstream_id FROM ${T.pbs} WHERE upstream_id IS NOT NULL`)).map((r) => str(r.upstream_id)));
    },

    async addHold(h) {
      await q(sql, `INSERT INTO ${T.holds} (id, batch_id, seq, reservation) VALUES ($1, $2, $3, $4)`, [h.id, h.batchId, h.seq, h.reservation]);
    },

    async holdsOf(batchId): Promise<HoldRecord[]> {
      const rows = await q(sql, `SELECT id, seq, reservation FROM ${T.holds} WHERE batch_id = $1 ORDER BY id`, [batchId]);
      return rows.map((r) => ({ id: str(r.id), seq: r.seq === null ? null : Number(r.seq), reservation: str(r.reservation) }));
    },

    async removeHold(id) {
      await q(sql, `DELETE FROM ${T.holds} WHERE id = $1`, [id]);
    },

    async job(id): Promise<JobRecord | null> {
      const r = await one(`SELECT * FROM ${T.jobs} WHERE id = $1`, [id]);
      return r ? toJob(r) : null;
    },

    async setWebhookState(jobId, state) {
      await q(sql, `UPDATE ${T.jobs} SET webhook_state = $1 WHERE id = $2`, [state, jobId]);
    },

    async collecting(format, caller, forwardHeaders) {
      if (!caller) {
        const r = await one(`SELECT * FROM ${T.batches} WHERE state = 'collecting' AND format = $1 ORDER BY created_at LIMIT 1`, [format]);
        return r ? toBatch(r) : null;
      }
      const rows = await q(
        sql,
        `SELECT * FROM ${T.batches} WHERE state = 'collecting' AND format = $1 AND key_id = $2 AND tenant = $3 ORDER BY created_at, id`,
        [format, caller.keyId, caller.tenant],
      );
      return sameGroup(rows, caller.tags ?? [], forwardHeaders ?? {});
    },
  };
  return store;
}
