// Items of providers without a batch API (Gemini, OpenAI-compatible servers) and items for a
// cascade router run through the real request pipeline (src/pipeline: route → prompt-cache plan →
// dispatch or cascade, settled in one place) at low priority: at most `concurrency` at a time over
// all batches, each started on a later turn of the event loop than interactive requests. Their
// responder stores the result on the item; their ledger rows are the pipeline's own, with the
// item's deterministic request id.
import type { CanonicalRequest } from '../core/canonical.js';
import { toGatewayError, type GatewayError } from '../core/errors.js';
import { createContext, type Exit, type Outcome, type RequestContext, type Responder, type Seal } from '../pipeline/index.js';
import { storeError } from './errors.js';
import { itemRequestId } from './plan.js';
import type { BatchDeps } from './deps.js';
import type { BatchStore } from './store.js';
import type { BatchRecord, ItemRecord } from './types.js';

/**
 * A pipeline item's answer goes onto its stored item (once: a cancelled item is not settled again).
 * `fail` cannot wait for the store (the responder contract is synchronous there): its write is
 * kept in `written`, which the runner awaits.
 */
class ItemResponder implements Responder {
  written: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: BatchStore,
    private readonly key: { batchId: string; seq: number },
  ) {}

  async send(ctx: RequestContext, outcome: Outcome, seal: Seal): Promise<Exit> {
    if (outcome.kind !== 'complete') return this.fail(ctx, toGatewayError(new Error(`batch item answered with ${outcome.kind}`)), seal);
    const s = ctx.settlement;
    const result = { type: 'succeeded' as const, response: outcome.response, model: ctx.deployment?.name ?? '', warnings: [...ctx.warnings] };
    const applied = await this.store.settle([
      { ...this.key, from: ['running'], state: 'succeeded', result, costPico: s?.costPico ?? 0, baselinePico: s?.baselinePico ?? 0 },
    ]);
    // A cancelled item was not settled again: its answer is not billed.
    const exit: Exit = { status: 200, record: applied.length > 0 };
    void seal(ctx, exit);
    return exit;
  }

  fail(ctx: RequestContext, error: GatewayError, seal: Seal): Exit {
    this.written = this.store.settle([
      { ...this.key, from: ['running'], state: 'errored', result: { type: 'errored', error: storeError(error) }, costPico: 0, baselinePico: 0 },
    ]);
    const exit: Exit = { status: error.status, error, record: true };
    void seal(ctx, exit);
    return exit;
  }
}

export class PipelineRunner {
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly store: BatchStore,
    private readonly deps: BatchDeps,
    private readonly concurrency: number,
    private readonly onSettled: () => void,
  ) {}

  get active(): number {
    return this.running.size;
  }

  /** Claims pending pipeline items of `batch` while there is capacity. */
  async fill(batch: BatchRecord): Promise<void> {
    if (this.running.size >= this.concurrency) return;
    for (const item of await this.store.itemsIn(batch.id, 'pending', 'pipeline')) {
      if (this.running.size >= this.concurrency) return;
      if (!(await this.store.claim(batch.id, item.seq))) continue;
      const p: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => this.run(batch, item))
        .catch((err: unknown) => {
          process.stderr.write(`costwise: batch item ${batch.id}/${item.customId}: ${(err as Error).stack ?? String(err)}\n`);
        })
        .finally(() => {
          this.running.delete(p);
          this.onSettled();
        });
      this.running.add(p);
    }
  }

  async drain(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  private async run(batch: BatchRecord, item: ItemRecord): Promise<void> {
    const deps = this.deps;
    const key = { batchId: batch.id, seq: item.seq };
    const responder = new ItemResponder(this.store, key);
    const ctx = createContext({
      requestId: itemRequestId(batch.id, item.customId),
      ingress: batch.format,
      endpoint: batch.format === 'openai' ? '/v1/batches' : '/v1/messages/batches',
      responder,
      caller: { tenant: batch.tenant, keyId: batch.keyId, tags: batch.tags },
      forwardHeaders: batch.forwardHeaders,
    });
    ctx.request = { ...(JSON.parse(item.request) as CanonicalRequest), stream: false, streamUsage: false };
    await deps.runItem(ctx);
    await responder.written;
    if (ctx.exit?.status === 200 && ctx.exit.record) {
      await deps.store.flush();
      await this.store.markBilled([key]);
    }
  }
}
