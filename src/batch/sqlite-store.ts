// The SQLite batch store (store.ts): one file (WAL), one process. Synchronous inside (better-sqlite3),
// so every method's work is done when it returns; leases are trivial: every batch is this process's.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { migrateBatchDb } from './schema.js';
import { BATCH_COLUMNS, batchParams, ITEM_COLUMNS, itemParams, sameGroup, str, toBatch, toFile, toItem, toJob, toProviderBatch, type Row } from './rows.js';
import type { BatchStore, DeferredAppend, HoldRecord, ItemOutcome, JobRecord, ListQuery, StateCounts } from './store.js';
import type { BatchRecord, BatchState, Estimate, FileRecord, ItemRecord, ItemState, ProviderBatchRecord, ProviderBatchState } from './types.js';

const ok = <T>(value: T): Promise<T> => Promise.resolve(value);
const marks = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

const INSERT_ITEM = `INSERT INTO items (${ITEM_COLUMNS}) VALUES (${marks(13)})`;

export class SqliteBatchStore implements BatchStore {
  private readonly db: Database.Database;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
    this.db = new Database(path, { timeout: 5_000 });
    migrateBatchDb(this.db);
  }

  close(): Promise<void> {
    this.db.close();
    return ok(undefined);
  }

  private all(sql: string, ...args: unknown[]): Row[] {
    return this.db.prepare(sql).all(...args) as Row[];
  }

  private one(sql: string, ...args: unknown[]): Row | undefined {
    return this.db.prepare(sql).get(...args) as Row | undefined;
  }

  // ---- files

  private insertFileNow(f: FileRecord, content: Buffer): void {
    this.db
      .prepare('INSERT INTO files (id, purpose, filename, bytes, lines, created_at, key_id, batch_id, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(f.id, f.purpose, f.filename, f.bytes, f.lines, f.createdAt, f.keyId, f.batchId, content);
  }

  insertFile(f: FileRecord, content: Buffer): Promise<void> {
    this.insertFileNow(f, content);
    return ok(undefined);
  }

  file(id: string): Promise<FileRecord | null> {
    const r = this.one('SELECT id, purpose, filename, bytes, lines, created_at, key_id, batch_id FROM files WHERE id = ?', id);
    return ok(r ? toFile(r) : null);
  }

  fileContent(id: string): Promise<Buffer | null> {
    const r = this.db.prepare('SELECT content FROM files WHERE id = ?').get(id) as { content: Buffer } | undefined;
    return ok(r ? r.content : null);
  }

  deleteFile(id: string): Promise<boolean> {
    return ok(this.db.prepare('DELETE FROM files WHERE id = ?').run(id).changes > 0);
  }

  // ---- batches

  insertBatch(b: BatchRecord, items: readonly ItemRecord[]): Promise<void> {
    const insertBatch = this.db.prepare(`INSERT INTO batches (${BATCH_COLUMNS}) VALUES (${marks(23)})`);

    const insertItem = this.db.prepare(INSERT_ITEM);
    this.db.transaction(() => {
      insertBatch.run(...batchParams(b));

      for (const i of items) insertItem.run(...itemParams(i));
    })();
    return ok(undefined);
  }

  appendDeferred(a: DeferredAppend): Promise<{ seq: number; total: number } | null> {
    return ok(
      this.db.transaction(() => {
        const r = this.one("SELECT * FROM batches WHERE id = ? AND state = 'collecting'", a.batchId);
        if (!r) return null;
        const b = toBatch(r);
        const seq = (this.one('SELECT COALESCE(MAX(seq), -1) + 1 AS n FROM items WHERE batch_id = ?', a.batchId) as { n: number }).n;
        const { item, model } = a.item(seq);
        this.db.prepare(INSERT_ITEM).run(...itemParams(item));
        const models = [...new Set([...b.models, model])];
        this.db.prepare('UPDATE batches SET total = total + 1, models = ? WHERE id = ?').run(JSON.stringify(models), a.batchId);
        const j = a.job;
        this.db
          .prepare('INSERT INTO jobs (id, batch_id, custom_id, format, created_at, not_after, webhook_state) VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(j.id, a.batchId, item.customId, j.format, j.createdAt, j.notAfter, j.webhook ? 'waiting' : 'none');
        if (a.reservation !== null) {
          this.db
            .prepare('INSERT INTO budget_holds (id, batch_id, seq, reservation) VALUES (?, ?, ?, ?)')
            .run(`${a.batchId}:${seq}`, a.batchId, seq, a.reservation);
        }
        return { seq, total: b.total + 1 };
      })(),
    );
  }

  setEstimate(batchId: string, estimate: Estimate): Promise<void> {
    this.db.prepare('UPDATE batches SET estimate = ? WHERE id = ?').run(JSON.stringify(estimate), batchId);
    return ok(undefined);
  }

  private batchNow(id: string): BatchRecord | null {
    const r = this.one('SELECT * FROM batches WHERE id = ?', id);
    return r ? toBatch(r) : null;
  }

  batch(id: string): Promise<BatchRecord | null> {
    return ok(this.batchNow(id));
  }

  listBatches(q: ListQuery): Promise<{ data: BatchRecord[]; hasMore: boolean }> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.format) {
      where.push('format = ?');
      args.push(q.format);
    }
    if (q.keyId !== undefined) {
      where.push('key_id = ?');
      args.push(q.keyId);
    }
    where.push("origin = 'api'");
    let order = 'DESC';
    if (q.after) {
      const anchor = this.batchNow(q.after);
      if (anchor) {
        where.push('(created_at < ? OR (created_at = ? AND id < ?))');
        args.push(anchor.createdAt, anchor.createdAt, anchor.id);
      }
    } else if (q.before) {
      const anchor = this.batchNow(q.before);
      if (anchor) {
        where.push('(created_at > ? OR (created_at = ? AND id > ?))');
        args.push(anchor.createdAt, anchor.createdAt, anchor.id);
        order = 'ASC';
      }
    }
    const rows = this.all(`SELECT * FROM batches WHERE ${where.join(' AND ')} ORDER BY created_at ${order}, id ${order} LIMIT ?`, ...args, q.limit + 1);
    const data = rows.slice(0, q.limit).map(toBatch);
    if (order === 'ASC') data.reverse();
    return ok({ data, hasMore: rows.length > q.limit });
  }

  batchesIn(states: readonly BatchState[]): Promise<BatchRecord[]> {
    return ok(this.all(`SELECT * FROM batches WHERE state IN (${marks(states.length)}) ORDER BY created_at`, ...states).map(toBatch));
  }

  transition(
    id: string,
    from: readonly BatchState[],
    to: BatchState,
    times: { approvedAt?: number; inProgressAt?: number; cancelRequestedAt?: number } = {},
  ): Promise<boolean> {
    const r = this.db
      .prepare(
        `UPDATE batches SET state = ?, approved_at = COALESCE(?, approved_at), in_progress_at = COALESCE(?, in_progress_at),
           cancel_requested_at = COALESCE(?, cancel_requested_at)
         WHERE id = ? AND state IN (${marks(from.length)})`,
      )
      .run(to, times.approvedAt ?? null, times.inProgressAt ?? null, times.cancelRequestedAt ?? null, id, ...from);
    return ok(r.changes > 0);
  }

  finish(id: string, state: BatchState, endedAt: number, files: Array<{ record: FileRecord; content: Buffer; role: 'output' | 'error' }>): Promise<boolean> {
    return ok(
      this.db.transaction(() => {
        const r = this.db
          .prepare("UPDATE batches SET state = ?, ended_at = ? WHERE id = ? AND state IN ('in_progress', 'cancelling', 'awaiting_approval')")
          .run(state, endedAt, id);
        if (r.changes === 0) return false;
        for (const f of files) {
          this.insertFileNow(f.record, f.content);
          this.db.prepare(`UPDATE batches SET ${f.role === 'output' ? 'output_file_id' : 'error_file_id'} = ? WHERE id = ?`).run(f.record.id, id);
        }
        return true;
      })(),
    );
  }

  deleteBatch(id: string): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM items WHERE batch_id = ?').run(id);
      this.db.prepare('DELETE FROM provider_batches WHERE batch_id = ?').run(id);
      this.db.prepare('DELETE FROM batches WHERE id = ?').run(id);
    })();
    return ok(undefined);
  }

  // ---- leases: one process, every batch is its own

  async leaseBatches(states: readonly BatchState[]): Promise<{ batches: BatchRecord[]; takenOver: string[] }> {
    return { batches: await this.batchesIn(states), takenOver: [] };
  }

  renewLeases(): Promise<void> {
    return ok(undefined);
  }

  releaseLeases(): Promise<void> {
    return ok(undefined);
  }

  recover(): Promise<number> {
    return ok(this.db.prepare("UPDATE items SET state = 'pending' WHERE state = 'running'").run().changes);
  }

  // ---- items

  items(batchId: string): Promise<ItemRecord[]> {
    return ok(this.all('SELECT * FROM items WHERE batch_id = ? ORDER BY seq', batchId).map(toItem));
  }

  item(batchId: string, customId: string): Promise<ItemRecord | null> {
    const r = this.one('SELECT * FROM items WHERE batch_id = ? AND custom_id = ?', batchId, customId);
    return ok(r ? toItem(r) : null);
  }

  itemAt(batchId: string, seq: number): Promise<ItemRecord | null> {
    const r = this.one('SELECT * FROM items WHERE batch_id = ? AND seq = ?', batchId, seq);
    return ok(r ? toItem(r) : null);
  }

  itemsIn(batchId: string, state: ItemState, route?: ItemRecord['route']): Promise<ItemRecord[]> {
    const sql = `SELECT * FROM items WHERE batch_id = ? AND state = ?${route ? ' AND route = ?' : ''} ORDER BY seq`;
    return ok(this.all(sql, ...(route ? [batchId, state, route] : [batchId, state])).map(toItem));
  }

  itemsOf(providerBatchId: string): Promise<ItemRecord[]> {
    return ok(this.all('SELECT * FROM items WHERE provider_batch_id = ? ORDER BY seq', providerBatchId).map(toItem));
  }

  counts(batchId: string): Promise<StateCounts> {
    const c: StateCounts = { pending: 0, submitted: 0, running: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
    for (const r of this.all('SELECT state, COUNT(*) AS n FROM items WHERE batch_id = ? GROUP BY state', batchId)) c[r.state as ItemState] = Number(r.n);
    return ok(c);
  }

  costPico(batchId: string): Promise<bigint> {
    const r = this.one('SELECT CAST(COALESCE(SUM(cost_pico), 0) AS TEXT) AS total FROM items WHERE batch_id = ?', batchId);
    return ok(BigInt(str(r?.total ?? '0')));
  }

  claim(batchId: string, seq: number): Promise<boolean> {
    return ok(this.db.prepare("UPDATE items SET state = 'running' WHERE batch_id = ? AND seq = ? AND state = 'pending'").run(batchId, seq).changes > 0);
  }

  settle(outcomes: readonly ItemOutcome[], providerBatch?: { id: string; state: ProviderBatchState }): Promise<ItemOutcome[]> {
    const applied: ItemOutcome[] = [];
    this.db.transaction(() => {
      for (const o of outcomes) {
        const r = this.db
          .prepare(
            `UPDATE items SET state = ?, result = ?, cost_pico = ?, baseline_pico = ?
             WHERE batch_id = ? AND seq = ? AND state IN (${marks(o.from.length)})`,
          )
          .run(o.state, JSON.stringify(o.result), o.costPico, o.baselinePico, o.batchId, o.seq, ...o.from);
        if (r.changes > 0) applied.push(o);
      }
      if (providerBatch) this.db.prepare('UPDATE provider_batches SET state = ? WHERE id = ?').run(providerBatch.state, providerBatch.id);
    })();
    return ok(applied);
  }

  unbilled(batchIds?: readonly string[]): Promise<ItemRecord[]> {
    const only = batchIds ? ` AND batch_id IN (${marks(batchIds.length)})` : '';
    return ok(this.all(`SELECT * FROM items WHERE billed = 0 AND state = 'succeeded'${only}`, ...(batchIds ?? [])).map(toItem));
  }

  markBilled(keys: ReadonlyArray<{ batchId: string; seq: number }>): Promise<void> {
    const stmt = this.db.prepare('UPDATE items SET billed = 1 WHERE batch_id = ? AND seq = ?');
    this.db.transaction(() => {
      for (const k of keys) stmt.run(k.batchId, k.seq);
    })();
    return ok(undefined);
  }

  // ---- provider batches

  assign(pb: ProviderBatchRecord, seqs: readonly number[]): Promise<number> {
    return ok(
      this.db.transaction(() => {
        this.db
          .prepare(
            'INSERT INTO provider_batches (id, batch_id, provider_name, kind, deployment_key, state, upstream_id, items, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
          )
          .run(pb.id, pb.batchId, pb.providerName, pb.kind, pb.deploymentKey, pb.state, pb.upstreamId, pb.items, pb.createdAt);
        const stmt = this.db.prepare("UPDATE items SET state = 'submitted', provider_batch_id = ? WHERE batch_id = ? AND seq = ? AND state = 'pending'");
        let n = 0;
        for (const seq of seqs) n += stmt.run(pb.id, pb.batchId, seq).changes;
        if (n === 0) this.db.prepare('DELETE FROM provider_batches WHERE id = ?').run(pb.id);
        else this.db.prepare('UPDATE provider_batches SET items = ? WHERE id = ?').run(n, pb.id);
        return n;
      })(),
    );
  }

  submitted(pbId: string, upstreamId: string): Promise<void> {
    this.db.prepare("UPDATE provider_batches SET state = 'submitted', upstream_id = ? WHERE id = ? AND state = 'creating'").run(upstreamId, pbId);
    return ok(undefined);
  }

  cancelSent(pbId: string): Promise<void> {
    this.db.prepare('UPDATE provider_batches SET cancel_sent = 1 WHERE id = ?').run(pbId);
    return ok(undefined);
  }

  providerBatchesIn(states: readonly ProviderBatchState[]): Promise<ProviderBatchRecord[]> {
    return ok(this.all(`SELECT * FROM provider_batches WHERE state IN (${marks(states.length)}) ORDER BY created_at`, ...states).map(toProviderBatch));
  }

  knownUpstreamIds(): Promise<Set<string>> {
    return ok(new Set(this.all('SELECT upstream_id FROM provider_batches WHERE upstream_id IS NOT NULL').map((r) => str(r.upstream_id))));
  }

  // ---- budget holds

  addHold(h: { id: string; batchId: string; seq: number | null; reservation: string }): Promise<void> {
    this.db.prepare('INSERT INTO budget_holds (id, batch_id, seq, reservation) VALUES (?, ?, ?, ?)').run(h.id, h.batchId, h.seq, h.reservation);
    return ok(undefined);
  }

  holdsOf(batchId: string): Promise<HoldRecord[]> {
    const rows = this.all('SELECT id, seq, reservation FROM budget_holds WHERE batch_id = ?', batchId);
    return ok(rows.map((r) => ({ id: str(r.id), seq: r.seq === null ? null : Number(r.seq), reservation: str(r.reservation) })));
  }

  endedBatchesWithHolds(): Promise<string[]> {
    const rows = this.all(
      "SELECT DISTINCT h.batch_id FROM budget_holds h JOIN batches b ON b.id = h.batch_id WHERE b.state IN ('completed', 'cancelled', 'expired', 'failed')",
    );
    return ok(rows.map((r) => str(r.batch_id)));
  }

  removeHold(id: string): Promise<void> {
    this.db.prepare('DELETE FROM budget_holds WHERE id = ?').run(id);
    return ok(undefined);
  }

  // ---- deferred jobs

  job(id: string): Promise<JobRecord | null> {
    const r = this.one('SELECT * FROM jobs WHERE id = ?', id);
    return ok(r ? toJob(r) : null);
  }

  jobsToDeliver(): Promise<Array<{ id: string; batchId: string; customId: string }>> {
    const rows = this.all(
      `SELECT j.id, j.batch_id, j.custom_id FROM jobs j JOIN items i ON i.batch_id = j.batch_id AND i.custom_id = j.custom_id
       WHERE j.webhook_state = 'waiting' AND i.state IN ('succeeded', 'errored', 'canceled', 'expired') LIMIT 100`,
    );
    return ok(rows.map((r) => ({ id: str(r.id), batchId: str(r.batch_id), customId: str(r.custom_id) })));
  }

  setWebhookState(jobId: string, state: 'delivered' | 'failed'): Promise<void> {
    this.db.prepare('UPDATE jobs SET webhook_state = ? WHERE id = ?').run(state, jobId);
    return ok(undefined);
  }

  collecting(
    format: string,
    caller?: { keyId: string; tenant: string; tags?: readonly string[] },
    forwardHeaders?: Readonly<Record<string, string>>,
  ): Promise<BatchRecord | null> {
    if (!caller) {
      const r = this.one("SELECT * FROM batches WHERE state = 'collecting' AND format = ? ORDER BY created_at LIMIT 1", format);
      return ok(r ? toBatch(r) : null);
    }
    const rows = this.all(
      "SELECT * FROM batches WHERE state = 'collecting' AND format = ? AND key_id = ? AND tenant = ? ORDER BY created_at",
      format,
      caller.keyId,
      caller.tenant,
    );
    return ok(sameGroup(rows, caller.tags ?? [], forwardHeaders ?? {}));
  }
}
