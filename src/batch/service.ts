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
import { basename, dirname, join } from 'node:path';
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
import { BatchStore, type ItemOutcome } from './store.js';
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
  readonly store: BatchStore;
  private readonly pipeline: PipelineRunner;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private again = false;
  private closed = false;
  /** Hooks run at the end of every tick (deferral flushing and webhooks). */
  readonly afterTick: Array<() => Promise<void>> = [];

  constructor(
    readonly config: BatchConfig,
    dbPath: string,
    readonly deps: BatchDeps,
    private readonly log: (message: string) => void = (m) => process.stderr.write(`${m}\n`),
    readonly loop: BatchLoop = 'timer',
  ) {
    this.store = new BatchStore(dbPath);
    this.pipeline = new PipelineRunner(this.store, deps, config.concurrency, () => this.kick());
  }

  /** Recovery, then the loop: in-flight pipeline items run again, unbilled results are billed. */
  async start(): Promise<void> {
    const requeued = this.store.requeueRunning();
    if (requeued > 0) this.log(`costwise: batch: ${requeued} item(s) interrupted by a restart run again`);
    await billUnbilled(this.nativeDeps());
    // Reservations of batches that ended just before a stop are settled now.
    for (const batchId of this.store.endedBatchesWithHolds()) await settleBatchBudget(this.deps, this.store, batchId);
    if (this.loop === 'manual') return;
    this.timer = setInterval(() => this.kick(), this.config.pollIntervalMs);
    this.timer.unref();
    this.kick();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    await this.pipeline.drain();
    this.store.close();
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
  hasWork(): boolean {
    return this.store.batchesIn(['collecting', ...ACTIVE]).length > 0;
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
    for (const b of this.store.batchesIn(ACTIVE)) {
      if (b.state === 'in_progress' && now >= b.expiresAt) this.endPending(b.id, 'expired');
      if (b.state === 'cancelling') this.endPending(b.id, 'canceled');
      else {
        await submitPending(native, b);
        this.pipeline.fill(b);
      }
    }
    await reconcileCreating(native);
    await pollSubmitted(native);
    for (const b of this.store.batchesIn(ACTIVE)) await this.finishIfDone(b);
    for (const hook of this.afterTick) await hook();
  }

  private endPending(batchId: string, state: 'expired' | 'canceled'): void {
    const outcomes: ItemOutcome[] = this.store.itemsIn(batchId, 'pending').map((i) => ({
      batchId,
      seq: i.seq,
      from: ['pending'],
      state,
      result: { type: state },
      costPico: 0,
      baselinePico: 0,
    }));
    if (outcomes.length) this.store.settle(outcomes);
  }

  private async finishIfDone(b: BatchRecord): Promise<void> {
    const c = this.store.counts(b.id);
    if (c.pending + c.submitted + c.running > 0) return;
    const items = c.succeeded + c.errored + c.canceled + c.expired;
    const state: BatchState =
      b.state === 'cancelling' ? 'cancelled' : items === 0 && b.lineErrors.length > 0 ? 'failed' : c.expired > 0 ? 'expired' : 'completed';
    const now = this.now();
    this.store.finish(b.id, state, now, b.format === 'openai' ? this.outputFiles(b, now) : []);
    await settleBatchBudget(this.deps, this.store, b.id);
  }

  private outputFiles(b: BatchRecord, now: number): Array<{ record: FileRecord; content: Buffer; role: 'output' | 'error' }> {
    const out: string[] = [];
    const err: string[] = b.lineErrors.map((e) => JSON.stringify(lineErrorLine(b, e)));
    for (const item of this.store.items(b.id)) {
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
    this.store.insertBatch(
      batch,
      planned.map((p) => p.item),
    );
    holdBudget(this.store, id, null, reservation);
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
    const file = this.store.file(q.inputFileId);
    if (!file || file.keyId !== q.caller.keyId)
      throw new GatewayError({ kind: 'not_found', message: `No such File object: ${q.inputFileId}`, param: 'input_file_id' });
    if (file.purpose !== 'batch')
      throw invalidRequest(`The input file ${q.inputFileId} must be uploaded with purpose 'batch' (it has '${file.purpose}').`, 'input_file_id');
    const parsed = parseOpenAIInput(this.store.fileContent(q.inputFileId)!, q.endpoint);
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

  uploadFile(q: { keyId: string; filename: string; purpose: string; content: Buffer }): FileRecord {
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
    this.store.insertFile(record, q.content);
    return record;
  }

  // ---- control

  approve(id: string): BatchRecord {
    const b = this.mustGet(id);
    const now = this.now();
    if (!this.store.transition(id, ['awaiting_approval'], 'in_progress', { approvedAt: now, inProgressAt: now })) {
      throw invalidRequest(`batch ${id} is ${b.state}, not awaiting_approval`, null, 'invalid_state');
    }
    this.kick();
    return this.mustGet(id);
  }

  cancel(id: string): BatchRecord {
    const b = this.mustGet(id);
    if (
      !this.store.transition(id, ['awaiting_approval', 'in_progress', 'collecting'], 'cancelling', { cancelRequestedAt: this.now() }) &&
      b.state !== 'cancelling'
    ) {
      throw invalidRequest(`Cannot cancel a batch with status '${b.state}'.`, null, 'invalid_state');
    }
    this.kick();
    return this.mustGet(id);
  }

  delete(id: string): void {
    const b = this.mustGet(id);
    if (b.state !== 'completed' && b.state !== 'cancelled' && b.state !== 'expired' && b.state !== 'failed') {
      throw invalidRequest(`Message batch ${id} is still processing: cancel it and wait until it has ended before deleting it.`);
    }
    this.store.deleteBatch(id);
  }

  get(id: string): BatchRecord | null {
    return this.store.batch(id);
  }

  mustGet(id: string): BatchRecord {
    const b = this.store.batch(id);
    if (!b) throw new GatewayError({ kind: 'not_found', message: `No such batch: ${id}`, param: 'batch_id' });
    return b;
  }

  /** Anthropic results JSONL (any batch format: the admin API renders OpenAI batches this way too). */
  anthropicResults(b: BatchRecord): string {
    const lines: string[] = [];
    for (const item of this.store.items(b.id)) {
      const l = anthropicResultLine(b, item);
      if (l) lines.push(`${JSON.stringify(l)}\n`);
    }
    return lines.join('');
  }
}

/**
 * `batch.path`, else the ledger's file name with `.batches.db` (`.costwise/costwise.db` →
 * `.costwise/costwise.batches.db`), so gateways with different ledgers never share batch state;
 * in memory with an in-memory ledger.
 */
export function batchDbPath(config: Config): string {
  if (config.batch.path) return config.batch.path;
  if (config.storage.ledger.kind !== 'sqlite') return join(config.storage.dataDir, 'batches.db');
  const ledger = config.storage.ledger.path;
  if (ledger === ':memory:' || ledger === '') return ':memory:';
  return join(dirname(ledger), `${basename(ledger).replace(/\.(db|sqlite3?)$/i, '')}.batches.db`);
}
