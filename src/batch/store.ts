// The durable batch store: files, batches, their items and the provider batches they run in, in
// one SQLite file (WAL). Every state change is a conditional UPDATE inside a transaction, so a
// crash at any point leaves each item in exactly one state and a result is never applied twice.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { migrateBatchDb } from './schema.js';
import type { BatchRecord, BatchState, FileRecord, ItemRecord, ItemResult, ItemState, ProviderBatchRecord, ProviderBatchState } from './types.js';

type Row = Record<string, unknown>;

const str = (v: unknown): string => v as string;
const optStr = (v: unknown): string | null => (v === null || v === undefined ? null : (v as string));
const optNum = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function toBatch(r: Row): BatchRecord {
  return {
    id: str(r.id),
    format: r.format as BatchRecord['format'],
    state: r.state as BatchState,
    endpoint: str(r.endpoint),
    models: JSON.parse(str(r.models)) as string[],
    inputFileId: optStr(r.input_file_id),
    outputFileId: optStr(r.output_file_id),
    errorFileId: optStr(r.error_file_id),
    total: Number(r.total),
    estimate: JSON.parse(str(r.estimate)) as BatchRecord['estimate'],
    metadata: r.metadata === null ? null : (JSON.parse(str(r.metadata)) as Record<string, string>),
    lineErrors: JSON.parse(str(r.line_errors)) as BatchRecord['lineErrors'],
    tenant: str(r.tenant),
    keyId: str(r.key_id),
    tags: JSON.parse(str(r.tags)) as string[],
    forwardHeaders: JSON.parse(str(r.forward_headers)) as Record<string, string>,
    createdAt: Number(r.created_at),
    approvedAt: optNum(r.approved_at),
    inProgressAt: optNum(r.in_progress_at),
    cancelRequestedAt: optNum(r.cancel_requested_at),
    endedAt: optNum(r.ended_at),
    expiresAt: Number(r.expires_at),
    origin: r.origin as BatchRecord['origin'],
  };
}

function toItem(r: Row): ItemRecord {
  return {
    batchId: str(r.batch_id),
    seq: Number(r.seq),
    customId: str(r.custom_id),
    upstreamCustomId: str(r.upstream_custom_id),
    request: str(r.request),
    route: r.route as ItemRecord['route'],
    deploymentKey: optStr(r.deployment_key),
    servedModel: optStr(r.served_model),
    requestedModel: optStr(r.requested_model),
    technique: optStr(r.technique),
    routeReason: optStr(r.route_reason),
    state: r.state as ItemState,
    providerBatchId: optStr(r.provider_batch_id),
    result: r.result === null ? null : (JSON.parse(str(r.result)) as ItemResult),
    costPico: Number(r.cost_pico),
    baselinePico: Number(r.baseline_pico),
    billed: Number(r.billed) === 1,
  };
}

function toProviderBatch(r: Row): ProviderBatchRecord {
  return {
    id: str(r.id),
    batchId: str(r.batch_id),
    providerName: str(r.provider_name),
    kind: r.kind as ProviderBatchRecord['kind'],
    deploymentKey: str(r.deployment_key),
    state: r.state as ProviderBatchState,
    upstreamId: optStr(r.upstream_id),
    items: Number(r.items),
    createdAt: Number(r.created_at),
    cancelSent: Number(r.cancel_sent) === 1,
  };
}

function toFile(r: Row): FileRecord {
  return {
    id: str(r.id),
    purpose: str(r.purpose),
    filename: str(r.filename),
    bytes: Number(r.bytes),
    lines: Number(r.lines),
    createdAt: Number(r.created_at),
    keyId: str(r.key_id),
    batchId: optStr(r.batch_id),
  };
}

/** One item's move to a terminal state, applied only if it is still in `from`. */
export interface ItemOutcome {
  batchId: string;
  seq: number;
  from: readonly ItemState[];
  state: ItemState;
  result: ItemResult;
  costPico: number;
  baselinePico: number;
}

export interface StateCounts {
  pending: number;
  submitted: number;
  running: number;
  succeeded: number;
  errored: number;
  canceled: number;
  expired: number;
}

export class BatchStore {
  private readonly db: Database.Database;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
    this.db = new Database(path, { timeout: 5_000 });
    migrateBatchDb(this.db);
  }

  close(): void {
    this.db.close();
  }

  // ---- files

  insertFile(f: FileRecord, content: Buffer): void {
    this.db
      .prepare('INSERT INTO files (id, purpose, filename, bytes, lines, created_at, key_id, batch_id, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(f.id, f.purpose, f.filename, f.bytes, f.lines, f.createdAt, f.keyId, f.batchId, content);
  }

  file(id: string): FileRecord | null {
    const r = this.db.prepare('SELECT id, purpose, filename, bytes, lines, created_at, key_id, batch_id FROM files WHERE id = ?').get(id) as Row | undefined;
    return r ? toFile(r) : null;
  }

  fileContent(id: string): Buffer | null {
    const r = this.db.prepare('SELECT content FROM files WHERE id = ?').get(id) as { content: Buffer } | undefined;
    return r ? r.content : null;
  }

  deleteFile(id: string): boolean {
    return this.db.prepare('DELETE FROM files WHERE id = ?').run(id).changes > 0;
  }

  // ---- batches

  insertBatch(b: BatchRecord, items: readonly ItemRecord[]): void {
    const insertBatch = this.db.prepare(
      `INSERT INTO batches (id, format, state, endpoint, models, input_file_id, output_file_id, error_file_id, total, estimate, metadata,
         line_errors, tenant, key_id, tags, forward_headers, created_at, approved_at, in_progress_at, cancel_requested_at, ended_at, expires_at, origin)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertItem = this.db.prepare(
      `INSERT INTO items (batch_id, seq, custom_id, upstream_custom_id, request, route, deployment_key, served_model, requested_model,
         technique, route_reason, state, result)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      insertBatch.run(
        b.id,
        b.format,
        b.state,
        b.endpoint,
        JSON.stringify(b.models),
        b.inputFileId,
        b.outputFileId,
        b.errorFileId,
        b.total,
        JSON.stringify(b.estimate),
        b.metadata === null ? null : JSON.stringify(b.metadata),
        JSON.stringify(b.lineErrors),
        b.tenant,
        b.keyId,
        JSON.stringify(b.tags),
        JSON.stringify(b.forwardHeaders),
        b.createdAt,
        b.approvedAt,
        b.inProgressAt,
        b.cancelRequestedAt,
        b.endedAt,
        b.expiresAt,
        b.origin,
      );
      for (const i of items) {
        insertItem.run(
          i.batchId,
          i.seq,
          i.customId,
          i.upstreamCustomId,
          i.request,
          i.route,
          i.deploymentKey,
          i.servedModel,
          i.requestedModel,
          i.technique,
          i.routeReason,
          i.state,
          i.result === null ? null : JSON.stringify(i.result),
        );
      }
    })();
  }

  /** Adds items to a batch that is still collecting (deferral). */
  addItems(batchId: string, items: readonly ItemRecord[], total: number, estimate: BatchRecord['estimate'], models: string[]): void {
    const insertItem = this.db.prepare(
      `INSERT INTO items (batch_id, seq, custom_id, upstream_custom_id, request, route, deployment_key, served_model, requested_model,
         technique, route_reason, state, result)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      for (const i of items) {
        insertItem.run(
          i.batchId,
          i.seq,
          i.customId,
          i.upstreamCustomId,
          i.request,
          i.route,
          i.deploymentKey,
          i.servedModel,
          i.requestedModel,
          i.technique,
          i.routeReason,
          i.state,
          i.result === null ? null : JSON.stringify(i.result),
        );
      }
      this.db
        .prepare('UPDATE batches SET total = ?, estimate = ?, models = ? WHERE id = ?')
        .run(total, JSON.stringify(estimate), JSON.stringify(models), batchId);
    })();
  }

  setEstimate(batchId: string, estimate: BatchRecord['estimate']): void {
    this.db.prepare('UPDATE batches SET estimate = ? WHERE id = ?').run(JSON.stringify(estimate), batchId);
  }

  batch(id: string): BatchRecord | null {
    const r = this.db.prepare('SELECT * FROM batches WHERE id = ?').get(id) as Row | undefined;
    return r ? toBatch(r) : null;
  }

  /** Newest first; `after` is the id of the last batch of the previous page. */
  listBatches(q: { format?: BatchFormatFilter; keyId?: string; after?: string | null; before?: string | null; limit: number }): {
    data: BatchRecord[];
    hasMore: boolean;
  } {
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
      const anchor = this.batch(q.after);
      if (anchor) {
        where.push('(created_at < ? OR (created_at = ? AND id < ?))');
        args.push(anchor.createdAt, anchor.createdAt, anchor.id);
      }
    } else if (q.before) {
      const anchor = this.batch(q.before);
      if (anchor) {
        where.push('(created_at > ? OR (created_at = ? AND id > ?))');
        args.push(anchor.createdAt, anchor.createdAt, anchor.id);
        order = 'ASC';
      }
    }
    const rows = this.db
      .prepare(`SELECT * FROM batches WHERE ${where.join(' AND ')} ORDER BY created_at ${order}, id ${order} LIMIT ?`)
      .all(...args, q.limit + 1) as Row[];
    const data = rows.slice(0, q.limit).map(toBatch);
    if (order === 'ASC') data.reverse();
    return { data, hasMore: rows.length > q.limit };
  }

  batchesIn(states: readonly BatchState[]): BatchRecord[] {
    const rows = this.db.prepare(`SELECT * FROM batches WHERE state IN (${states.map(() => '?').join(', ')}) ORDER BY created_at`).all(...states) as Row[];
    return rows.map(toBatch);
  }

  /** Moves a batch from one of `from` to `to`; false when it was in another state. */
  transition(
    id: string,
    from: readonly BatchState[],
    to: BatchState,
    times: { approvedAt?: number; inProgressAt?: number; cancelRequestedAt?: number } = {},
  ): boolean {
    const r = this.db
      .prepare(
        `UPDATE batches SET state = ?, approved_at = COALESCE(?, approved_at), in_progress_at = COALESCE(?, in_progress_at),
           cancel_requested_at = COALESCE(?, cancel_requested_at)
         WHERE id = ? AND state IN (${from.map(() => '?').join(', ')})`,
      )
      .run(to, times.approvedAt ?? null, times.inProgressAt ?? null, times.cancelRequestedAt ?? null, id, ...from);
    return r.changes > 0;
  }

  /** Ends a batch and stores its output files, in one transaction. */
  finish(id: string, state: BatchState, endedAt: number, files: Array<{ record: FileRecord; content: Buffer; role: 'output' | 'error' }>): boolean {
    return this.db.transaction(() => {
      const r = this.db
        .prepare("UPDATE batches SET state = ?, ended_at = ? WHERE id = ? AND state IN ('in_progress', 'cancelling', 'awaiting_approval')")
        .run(state, endedAt, id);
      if (r.changes === 0) return false;
      for (const f of files) {
        this.insertFile(f.record, f.content);
        this.db.prepare(`UPDATE batches SET ${f.role === 'output' ? 'output_file_id' : 'error_file_id'} = ? WHERE id = ?`).run(f.record.id, id);
      }
      return true;
    })();
  }

  deleteBatch(id: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM items WHERE batch_id = ?').run(id);
      this.db.prepare('DELETE FROM provider_batches WHERE batch_id = ?').run(id);
      this.db.prepare('DELETE FROM batches WHERE id = ?').run(id);
    })();
  }

  // ---- items

  items(batchId: string): ItemRecord[] {
    return (this.db.prepare('SELECT * FROM items WHERE batch_id = ? ORDER BY seq').all(batchId) as Row[]).map(toItem);
  }

  item(batchId: string, customId: string): ItemRecord | null {
    const r = this.db.prepare('SELECT * FROM items WHERE batch_id = ? AND custom_id = ?').get(batchId, customId) as Row | undefined;
    return r ? toItem(r) : null;
  }

  itemAt(batchId: string, seq: number): ItemRecord | null {
    const r = this.db.prepare('SELECT * FROM items WHERE batch_id = ? AND seq = ?').get(batchId, seq) as Row | undefined;
    return r ? toItem(r) : null;
  }

  itemsIn(batchId: string, state: ItemState, route?: ItemRecord['route']): ItemRecord[] {
    const sql = `SELECT * FROM items WHERE batch_id = ? AND state = ?${route ? ' AND route = ?' : ''} ORDER BY seq`;
    return (this.db.prepare(sql).all(...(route ? [batchId, state, route] : [batchId, state])) as Row[]).map(toItem);
  }

  itemsOf(providerBatchId: string): ItemRecord[] {
    return (this.db.prepare('SELECT * FROM items WHERE provider_batch_id = ? ORDER BY seq').all(providerBatchId) as Row[]).map(toItem);
  }

  counts(batchId: string): StateCounts {
    const c: StateCounts = { pending: 0, submitted: 0, running: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
    for (const r of this.db.prepare('SELECT state, COUNT(*) AS n FROM items WHERE batch_id = ? GROUP BY state').all(batchId) as Array<{
      state: ItemState;
      n: number;
    }>) {
      c[r.state] = r.n;
    }
    return c;
  }

  /** pending → running; false when another worker (or a cancel) got there first. */
  claim(batchId: string, seq: number): boolean {
    return this.db.prepare("UPDATE items SET state = 'running' WHERE batch_id = ? AND seq = ? AND state = 'pending'").run(batchId, seq).changes > 0;
  }

  /** Applies outcomes whose items are still in their expected state; returns the ones applied. */
  settle(outcomes: readonly ItemOutcome[], providerBatch?: { id: string; state: ProviderBatchState }): ItemOutcome[] {
    const applied: ItemOutcome[] = [];
    this.db.transaction(() => {
      for (const o of outcomes) {
        const r = this.db
          .prepare(
            `UPDATE items SET state = ?, result = ?, cost_pico = ?, baseline_pico = ?
             WHERE batch_id = ? AND seq = ? AND state IN (${o.from.map(() => '?').join(', ')})`,
          )
          .run(o.state, JSON.stringify(o.result), o.costPico, o.baselinePico, o.batchId, o.seq, ...o.from);
        if (r.changes > 0) applied.push(o);
      }
      if (providerBatch) this.db.prepare('UPDATE provider_batches SET state = ? WHERE id = ?').run(providerBatch.state, providerBatch.id);
    })();
    return applied;
  }

  /** Items whose ledger row may not have been written yet (a crash between result and ledger). */
  unbilled(): ItemRecord[] {
    return (this.db.prepare("SELECT * FROM items WHERE billed = 0 AND state = 'succeeded'").all() as Row[]).map(toItem);
  }

  markBilled(keys: ReadonlyArray<{ batchId: string; seq: number }>): void {
    const stmt = this.db.prepare('UPDATE items SET billed = 1 WHERE batch_id = ? AND seq = ?');
    this.db.transaction(() => {
      for (const k of keys) stmt.run(k.batchId, k.seq);
    })();
  }

  /** After a restart: pipeline items that were in flight run again (their ledger row is idempotent). */
  requeueRunning(): number {
    return this.db.prepare("UPDATE items SET state = 'pending' WHERE state = 'running'").run().changes;
  }

  // ---- provider batches

  /** Records a provider batch about to be created and moves its items to `submitted`, atomically. */
  assign(pb: ProviderBatchRecord, seqs: readonly number[]): number {
    return this.db.transaction(() => {
      this.db
        .prepare(
          'INSERT INTO provider_batches (id, batch_id, provider_name, kind, deployment_key, state, upstream_id, items, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(pb.id, pb.batchId, pb.providerName, pb.kind, pb.deploymentKey, pb.state, pb.upstreamId, pb.items, pb.createdAt);
      const stmt = this.db.prepare("UPDATE items SET state = 'submitted', provider_batch_id = ? WHERE batch_id = ? AND seq = ? AND state = 'pending'");
      let n = 0;
      for (const seq of seqs) n += stmt.run(pb.id, pb.batchId, seq).changes;
      this.db.prepare('UPDATE provider_batches SET items = ? WHERE id = ?').run(n, pb.id);
      return n;
    })();
  }

  submitted(pbId: string, upstreamId: string): void {
    this.db.prepare("UPDATE provider_batches SET state = 'submitted', upstream_id = ? WHERE id = ? AND state = 'creating'").run(upstreamId, pbId);
  }

  cancelSent(pbId: string): void {
    this.db.prepare('UPDATE provider_batches SET cancel_sent = 1 WHERE id = ?').run(pbId);
  }

  providerBatchesIn(states: readonly ProviderBatchState[]): ProviderBatchRecord[] {
    const rows = this.db
      .prepare(`SELECT * FROM provider_batches WHERE state IN (${states.map(() => '?').join(', ')}) ORDER BY created_at`)
      .all(...states) as Row[];
    return rows.map(toProviderBatch);
  }

  knownUpstreamIds(): Set<string> {
    return new Set(
      (this.db.prepare('SELECT upstream_id FROM provider_batches WHERE upstream_id IS NOT NULL').all() as Array<{ upstream_id: string }>).map(
        (r) => r.upstream_id,
      ),
    );
  }

  // ---- deferred jobs

  /** A budget reservation the batch holds until it ends (seq: a deferred request's item; null: the whole batch). */
  addHold(h: { id: string; batchId: string; seq: number | null; reservation: string }): void {
    this.db.prepare('INSERT INTO budget_holds (id, batch_id, seq, reservation) VALUES (?, ?, ?, ?)').run(h.id, h.batchId, h.seq, h.reservation);
  }

  holdsOf(batchId: string): Array<{ id: string; seq: number | null; reservation: string }> {
    const rows = this.db.prepare('SELECT id, seq, reservation FROM budget_holds WHERE batch_id = ?').all(batchId) as Row[];
    return rows.map((r) => ({ id: str(r.id), seq: r.seq === null ? null : Number(r.seq), reservation: str(r.reservation) }));
  }

  /** Batches that have ended but still hold a budget reservation (a stop came between the two). */
  endedBatchesWithHolds(): string[] {
    const rows = this.db
      .prepare(
        "SELECT DISTINCT h.batch_id FROM budget_holds h JOIN batches b ON b.id = h.batch_id WHERE b.state IN ('completed', 'cancelled', 'expired', 'failed')",
      )
      .all() as Row[];
    return rows.map((r) => str(r.batch_id));
  }

  removeHold(id: string): void {
    this.db.prepare('DELETE FROM budget_holds WHERE id = ?').run(id);
  }

  insertJob(j: { id: string; batchId: string; customId: string; format: string; createdAt: number; notAfter: number; webhook: boolean }): void {
    this.db
      .prepare('INSERT INTO jobs (id, batch_id, custom_id, format, created_at, not_after, webhook_state) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(j.id, j.batchId, j.customId, j.format, j.createdAt, j.notAfter, j.webhook ? 'waiting' : 'none');
  }

  job(id: string): { id: string; batchId: string; customId: string; format: string; createdAt: number; notAfter: number; webhookState: string } | null {
    const r = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as Row | undefined;
    if (!r) return null;
    return {
      id: str(r.id),
      batchId: str(r.batch_id),
      customId: str(r.custom_id),
      format: str(r.format),
      createdAt: Number(r.created_at),
      notAfter: Number(r.not_after),
      webhookState: str(r.webhook_state),
    };
  }

  /** Jobs waiting for webhook delivery whose item has ended. */
  jobsToDeliver(): Array<{ id: string; batchId: string; customId: string }> {
    const rows = this.db
      .prepare(
        `SELECT j.id, j.batch_id, j.custom_id FROM jobs j JOIN items i ON i.batch_id = j.batch_id AND i.custom_id = j.custom_id
         WHERE j.webhook_state = 'waiting' AND i.state IN ('succeeded', 'errored', 'canceled', 'expired') LIMIT 100`,
      )
      .all() as Row[];
    return rows.map((r) => ({ id: str(r.id), batchId: str(r.batch_id), customId: str(r.custom_id) }));
  }

  setWebhookState(jobId: string, state: 'delivered' | 'failed'): void {
    this.db.prepare('UPDATE jobs SET webhook_state = ? WHERE id = ?').run(state, jobId);
  }

  /** The open deferral batch of a format (of one caller: its rows are billed to the batch's key and tenant), if any. */
  /**
   * The open deferral batch requests like this one join: same format, key and tenant, and the same
   * tags and forwarded headers, which the batch carries for all its items (tags onto their ledger
   * rows, headers onto the provider's batch request).
   */
  collecting(
    format: string,
    caller?: { keyId: string; tenant: string; tags?: readonly string[] },
    forwardHeaders?: Readonly<Record<string, string>>,
  ): BatchRecord | null {
    if (!caller) {
      const r = this.db.prepare("SELECT * FROM batches WHERE state = 'collecting' AND format = ? ORDER BY created_at LIMIT 1").get(format) as Row | undefined;
      return r ? toBatch(r) : null;
    }
    const rows = this.db
      .prepare("SELECT * FROM batches WHERE state = 'collecting' AND format = ? AND key_id = ? AND tenant = ? ORDER BY created_at")
      .all(format, caller.keyId, caller.tenant) as Row[];
    const tags = JSON.stringify(caller.tags ?? []);
    const headers = headerKey(forwardHeaders ?? {});
    for (const r of rows) {
      const b = toBatch(r);
      if (JSON.stringify(b.tags) === tags && headerKey(b.forwardHeaders) === headers) return b;
    }
    return null;
  }

  /** The next free item number of a batch. */
  nextSeq(batchId: string): number {
    const r = this.db.prepare('SELECT COALESCE(MAX(seq), -1) + 1 AS n FROM items WHERE batch_id = ?').get(batchId) as { n: number };
    return r.n;
  }
}

export type BatchFormatFilter = BatchRecord['format'];

const headerKey = (h: Readonly<Record<string, string>>): string => JSON.stringify(Object.entries(h).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
