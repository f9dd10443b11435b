// The batch service: submission (plan → estimate → approval), the work loop (start pending items,
// poll provider batches, finish batches), cancellation, and recovery after a restart. The HTTP
// handlers (src/server/batch-*.ts) and the CLI only talk to this.
//
// The loop, every `pollIntervalMs` (and at once after a create, approve or cancel):
//   1. expire pending items of batches past their completion window;
//   2. per running batch: cancel what has not started (cancelling), or start pending items —
//      native ones in provider batches, the rest through the pipeline under the concurrency limit;
//   3. reconcile provider batches a crash left `creating`, poll the submitted ones;
//   4. finish batches with no unfinished item (OpenAI format: write the output and error files);
//   5. deferral: flush due groups, deliver webhooks (deferral.ts).
//
// With several replicas on one PostgreSQL store, steps 1–5 run only for the batches this replica
// holds the lease of (store.ts); a timer renews them every leaseMs / 3 while a long tick runs.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '../config/schema.js';
import { invalidRequest, GatewayError } from '../core/errors.js';
import type { Caller } from '../pipeline/context.js';
import type { BatchDeps } from './deps.js';
import { billUnbilled } from './billing.js';
import { estimateBatch, observedOutput, usdToPico } from './estimate.js';
import { parseAnthropicInput, parseOpenAIInput, upstreamCustomIds, type RawItem } from './input.js';
import { pollSubmitted, reconcileCreating, submitPending, type NativeDeps } from './native-runner.js';
import { PipelineRunner } from './pipeline-runner.js';
import { planItem, type Planned } from './plan.js';
import { lineErrorLine, openAILine } from './render-openai.js';
import { anthropicResultLine } from './render-anthropic.js';
import type { BatchStore, ItemOutcome, Lease } from './store.js';
import { newId } from './ids.js';
import { holdBudget, reserveBatchBudget, settleBatchBudget } from './budget.js';
import type { BatchFormat, BatchRecord, BatchState, FileRecord, LineError } from './types.js';

export type BatchConfig = Config['batch'];

/**
 * `timer`: the loop runs every `pollIntervalMs` of wall time and whenever something changes.
 * `manual`: it runs only when runDue() is called, and there to completion (a trace replay drives
 * it from its simulated clock, so batch work happens at the same point of every run).
 */
export type BatchLoop = 'timer' | 'manual';

const DAY_MS = 86_400_000;
const ACTIVE: readonly BatchState[] = ['in_progress', 'cancelling'];

export interface Submission {
  format: BatchFormat;
  caller: Caller;
  forwardHeaders: Record<string, string>;
  /** Wait for approval whatever the cost (the CLI asks before it runs). */
  requireApproval: boolean;
  endpoint: string;
  inputFileId: string | null;
  metadata: Record<string, string> | null;
  items: RawItem[];
  lineErrors: LineError[];
  origin?: BatchRecord['origin'];
}

export class BatchService {
  /** This process's replica id: the owner of the leases it takes. */
  readonly replicaId = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly pipeline: PipelineRunner;
  private timer: NodeJS.Timeout | null = null;
  private renewer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private again = false;
  private closed = false;
  /** Hooks run at the end of every tick with the collecting batches this replica holds (deferral flushing and webhooks). */
  readonly afterTick: Array<(collecting: readonly BatchRecord[]) => Promise<void>> = [];

  constructor(
    readonly config: BatchConfig,
    readonly store: BatchStore,
    readonly deps: BatchDeps,
    private readonly log: (message: string) => void = (m) => process.stderr.write(`${m}\n`),
    readonly loop: BatchLoop = 'timer',
  ) {
    this.pipeline = new PipelineRunner(this.store, deps, config.concurrency, () => this.kick());
  }

  /** Recovery, then the loop: in-flight pipeline items run again, unbilled results are billed. */
  async start(): Promise<void> {
    const requeued = await this.store.recover();
    if (requeued > 0) this.log(`costwise: batch: ${requeued} item(s) interrupted by a restart run again`);
    await billUnbilled(this.nativeDeps());
    // Reservations of batches that ended just before a stop are settled now.
    await this.settleEndedHolds();
    if (this.loop === 'manual') return;
    this.timer = setInterval(() => this.kick(), this.config.pollIntervalMs);
    this.timer.unref();
    this.renewer = setInterval(
      () => {
        this.store.renewLeases(this.lease()).catch((err: unknown) => this.log(`costwise: batch: renewing leases: ${(err as Error).message}`));
      },
      Math.max(250, Math.floor(this.config.leaseMs / 3)),
    );
    this.renewer.unref();
    this.kick();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.renewer) clearInterval(this.renewer);
    await this.ticking;
    await this.pipeline.drain();
    await this.store.releaseLeases(this.replicaId).catch((err: unknown) => this.log(`costwise: batch: releasing leases: ${(err as Error).message}`));
    await this.store.close();
  }

  /** A lease from now (wall time, which every replica shares; a replay's clock is its own). */
  lease(): Lease {
    const now = Date.now();
    return { owner: this.replicaId, now, until: now + this.config.leaseMs };
  }

  /** Runs the loop now (coalesced: at most one tick runs, one more is queued). */
  kick(): void {
    if (this.closed) return;
    if (this.ticking || this.loop === 'manual') {
      this.again = true;
      return;
    }
    this.ticking = this.tick()
      .catch((err: unknown) => this.log(`costwise: batch loop: ${(err as Error).stack ?? String(err)}`))
      .finally(() => {
        this.ticking = null;
        if (this.again && !this.closed) {
          this.again = false;
          this.kick();
        }
      });
  }

  /**
   * Manual loop: runs it now, with the pipeline items it starts, and again for as long as a run
   * asked for another (a flushed deferral group starts, a finished item frees a slot).
   */
  async runDue(): Promise<void> {
    do {
      this.again = false;
      await this.tick();
      await this.pipeline.drain();
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- kick() sets `again` while the awaits above run
    } while (this.again && !this.closed);
  }

  /** Whether a batch is collecting or running (the manual loop has work when its time comes). */
  async hasWork(): Promise<boolean> {
    return (await this.store.batchesIn(['collecting', ...ACTIVE])).length > 0;
  }

  /** Resolves once the loop has run after this call (tests and the deferral flush). */
  async settle(): Promise<void> {
    if (this.loop === 'manual') return this.runDue();
    await this.ticking;
    this.kick();
    await this.ticking;
  }

  /** The gateway's clock: wall time, or a trace replay's simulated clock. */
  now(): number {
    return this.deps.clock();
  }

  private nativeDeps(): NativeDeps {
    const d = this.deps;
    return { store: this.store, ledger: d.store, catalog: d.catalog, log: this.log, now: d.clock };
  }

  private async tick(): Promise<void> {
    const native = this.nativeDeps();
    const now = this.now();
    const { batches: leased, takenOver } = await this.store.leaseBatches(['collecting', ...ACTIVE], this.lease());
    if (takenOver.length > 0) {
      this.log(`costwise: batch: took over ${takenOver.join(', ')} from a replica whose lease expired`);
      await billUnbilled(native, takenOver);
    }
    const active = leased.filter((b) => ACTIVE.includes(b.state));
    for (const b of active) {
      if (b.state === 'in_progress' && now >= b.expiresAt) await this.endPending(b.id, 'expired');
      if (b.state === 'cancelling') await this.endPending(b.id, 'canceled');
      else {
        await submitPending(native, b);
        await this.pipeline.fill(b);
      }
    }
    const mine = new Set(active.map((b) => b.id));
    await reconcileCreating(native, mine);
    await pollSubmitted(native, mine);
    for (const { id } of active) {
      const b = await this.store.batch(id);
      if (b && ACTIVE.includes(b.state)) await this.finishIfDone(b);
    }
    await this.settleEndedHolds();
    const collecting = leased.filter((b) => b.state === 'collecting');
    for (const hook of this.afterTick) await hook(collecting);
  }

  /** Budget reservations of batches that ended without settling them (a stop came between). */
  private async settleEndedHolds(): Promise<void> {
    for (const batchId of await this.store.endedBatchesWithHolds(this.lease())) await settleBatchBudget(this.deps, this.store, batchId);
  }

  private async endPending(batchId: string, state: 'expired' | 'canceled'): Promise<void> {
    const outcomes: ItemOutcome[] = (await this.store.itemsIn(batchId, 'pending')).map((i) => ({
      batchId,
      seq: i.seq,
      from: ['pending'],
      state,
      result: { type: state },
      costPico: 0,
      baselinePico: 0,
    }));
    if (outcomes.length) await this.store.settle(outcomes);
  }

  private async finishIfDone(b: BatchRecord): Promise<void> {
    const c = await this.store.counts(b.id);
    if (c.pending + c.submitted + c.running > 0) return;
    const items = c.succeeded + c.errored + c.canceled + c.expired;
    const state: BatchState =
      b.state === 'cancelling' ? 'cancelled' : items === 0 && b.lineErrors.length > 0 ? 'failed' : c.expired > 0 ? 'expired' : 'completed';
    const now = this.now();
    await this.store.finish(b.id, state, now, b.format === 'openai' ? await this.outputFiles(b, now) : []);
    await settleBatchBudget(this.deps, this.store, b.id);
  }

  private async outputFiles(b: BatchRecord, now: number): Promise<Array<{ record: FileRecord; content: Buffer; role: 'output' | 'error' }>> {
    const out: string[] = [];
    const err: string[] = b.lineErrors.map((e) => JSON.stringify(lineErrorLine(b, e)));
    for (const item of await this.store.items(b.id)) {
      const l = openAILine(b, item);
      if (l) (l.kind === 'output' ? out : err).push(JSON.stringify(l.line));
    }
    const file = (role: 'output' | 'error', lines: string[]) => {
      const content = Buffer.from(`${lines.join('\n')}\n`);
      const record: FileRecord = {
        id: newId('file-cw'),
        purpose: 'batch_output',
        filename: `${b.id}_${role}.jsonl`,
        bytes: content.length,
        lines: lines.length,
        createdAt: now,
        keyId: b.keyId,
        batchId: b.id,
      };
      return { record, content, role };
    };
    return [...(out.length ? [file('output', out)] : []), ...(err.length ? [file('error', err)] : [])];
  }

  // ---- submission

  /** Plans, prices and stores a batch; it starts at once unless it needs approval. */
  async submit(s: Submission): Promise<BatchRecord> {
    const d = this.deps;
    const id = newId(s.format === 'openai' ? 'batch_cw' : 'msgbatch_cw');
    const upstream = upstreamCustomIds(s.items.map((i) => i.customId));
    const planned: Planned[] = s.items.map((raw, seq) =>
      planItem({ batchId: id, seq, customId: raw.customId, upstreamCustomId: upstream[seq]!, format: s.format, body: raw.body, caller: s.caller }, d),
    );
    const estimate = estimateBatch(planned, await observedOutput(d.store));
    const overThreshold = usdToPico(estimate.worst_usd) > usdToPico(this.config.approvalThresholdUsd.toFixed(6));
    const now = this.now();
    // A deferral batch collects requests that each hold their own reservation (deferral.ts).
    const reservation =
      s.origin === 'deferral'
        ? undefined
        : await reserveBatchBudget(d, { batchId: id, seq: null, caller: s.caller, worstPico: usdToPico(estimate.worst_usd), now, expiresAt: now + DAY_MS });
    const waits = s.requireApproval || overThreshold;
    const state: BatchState = s.origin === 'deferral' ? 'collecting' : waits ? 'awaiting_approval' : 'in_progress';
    const batch: BatchRecord = {
      id,
      format: s.format,
      state,
      endpoint: s.endpoint,
      models: [...new Set(planned.map((p) => p.deployment?.name).filter((m): m is string => m !== undefined))],
      inputFileId: s.inputFileId,
      outputFileId: null,
      errorFileId: null,
      total: s.items.length + s.lineErrors.length,
      estimate,
      metadata: s.metadata,
      lineErrors: s.lineErrors,
      tenant: s.caller.tenant,
      keyId: s.caller.keyId,
      tags: s.caller.tags,
      forwardHeaders: s.forwardHeaders,
      createdAt: now,
      approvedAt: waits ? null : now,
      inProgressAt: state === 'in_progress' ? now : null,
      cancelRequestedAt: null,
      endedAt: null,
      expiresAt: now + DAY_MS,
      origin: s.origin ?? 'api',
    };
    await this.store.insertBatch(
      batch,
      planned.map((p) => p.item),
    );
    await holdBudget(this.store, id, reservation);
    this.kick();
    return batch;
  }

  async submitOpenAI(q: {
    caller: Caller;
    forwardHeaders: Record<string, string>;
    requireApproval: boolean;
    inputFileId: string;
    endpoint: string;
    metadata: Record<string, string> | null;
  }): Promise<BatchRecord> {
    const file = await this.store.file(q.inputFileId);
    if (!file || file.keyId !== q.caller.keyId)
      throw new GatewayError({ kind: 'not_found', message: `No such File object: ${q.inputFileId}`, param: 'input_file_id' });
    if (file.purpose !== 'batch')
      throw invalidRequest(`The input file ${q.inputFileId} must be uploaded with purpose 'batch' (it has '${file.purpose}').`, 'input_file_id');
    const parsed = parseOpenAIInput((await this.store.fileContent(q.inputFileId))!, q.endpoint);
    return this.submit({
      format: 'openai',
      caller: q.caller,
      forwardHeaders: q.forwardHeaders,
      requireApproval: q.requireApproval,
      endpoint: q.endpoint,
      inputFileId: q.inputFileId,
      metadata: q.metadata,
      items: parsed.items,
      lineErrors: parsed.errors,
    });
  }

  async submitAnthropic(q: { caller: Caller; forwardHeaders: Record<string, string>; requireApproval: boolean; body: unknown }): Promise<BatchRecord> {
    const items = parseAnthropicInput(q.body);
    return this.submit({
      format: 'anthropic',
      caller: q.caller,
      forwardHeaders: q.forwardHeaders,
      requireApproval: q.requireApproval,
      endpoint: '/v1/messages',
      inputFileId: null,
      metadata: null,
      items,
      lineErrors: [],
    });
  }

  async uploadFile(q: { keyId: string; filename: string; purpose: string; content: Buffer }): Promise<FileRecord> {
    const text = q.content.toString('utf8');
    const lines = text.split('\n').filter((l) => l.trim() !== '').length;
    const record: FileRecord = {
      id: newId('file-cw'),
      purpose: q.purpose,
      filename: q.filename,
      bytes: q.content.length,
      lines,
      createdAt: this.now(),
      keyId: q.keyId,
      batchId: null,
    };
    await this.store.insertFile(record, q.content);
    return record;
  }

  // ---- control

  async approve(id: string): Promise<BatchRecord> {
    const b = await this.mustGet(id);
    const now = this.now();
    if (!(await this.store.transition(id, ['awaiting_approval'], 'in_progress', { approvedAt: now, inProgressAt: now }))) {
      throw invalidRequest(`batch ${id} is ${b.state}, not awaiting_approval`, null, 'invalid_state');
    }
    this.kick();
    return this.mustGet(id);
  }

  async cancel(id: string): Promise<BatchRecord> {
    const b = await this.mustGet(id);
    if (
      !(await this.store.transition(id, ['awaiting_approval', 'in_progress', 'collecting'], 'cancelling', { cancelRequestedAt: this.now() })) &&
      b.state !== 'cancelling'
    ) {
      throw invalidRequest(`Cannot cancel a batch with status '${b.state}'.`, null, 'invalid_state');
    }
    this.kick();
    return this.mustGet(id);
  }

  async delete(id: string): Promise<void> {
    const b = await this.mustGet(id);
    if (b.state !== 'completed' && b.state !== 'cancelled' && b.state !== 'expired' && b.state !== 'failed') {
      throw invalidRequest(`Message batch ${id} is still processing: cancel it and wait until it has ended before deleting it.`);
    }
    await this.store.deleteBatch(id);
  }

  get(id: string): Promise<BatchRecord | null> {
    return this.store.batch(id);
  }

  async mustGet(id: string): Promise<BatchRecord> {
    const b = await this.store.batch(id);
    if (!b) throw new GatewayError({ kind: 'not_found', message: `No such batch: ${id}`, param: 'batch_id' });
    return b;
  }

  /** Anthropic results JSONL (any batch format: the admin API renders OpenAI batches this way too). */
  async anthropicResults(b: BatchRecord): Promise<string> {
    const lines: string[] = [];
    for (const item of await this.store.items(b.id)) {
      const l = anthropicResultLine(b, item);
      if (l) lines.push(`${JSON.stringify(l)}\n`);
    }
    return lines.join('');
  }
}
