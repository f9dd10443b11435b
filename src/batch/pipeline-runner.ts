// Items of providers without a batch API (Gemini, OpenAI-compatible servers) and items for a
// cascade router run through the real request pipeline — route → dispatch (or cascade) → settle —
// at low priority: at most `concurrency` at a time over all batches, each started on a later turn
// of the event loop than interactive requests. Their ledger rows are the pipeline's own
// (recordLedger), with the item's deterministic request id.
import type { CanonicalRequest } from '../core/canonical.js';
import { toGatewayError } from '../core/errors.js';
import { createContext } from '../pipeline/context.js';
import { route } from '../pipeline/route.js';
import { dispatch } from '../pipeline/dispatch.js';
import { runCascade } from '../pipeline/cascade.js';
import { price, recordLedger } from '../pipeline/settle.js';
import type { AppDeps } from '../server/deps.js';
import { storeError } from './errors.js';
import { itemRequestId } from './plan.js';
import type { BatchStore } from './store.js';
import type { BatchRecord, ItemRecord } from './types.js';

export class PipelineRunner {
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly store: BatchStore,
    private readonly deps: () => AppDeps,
    private readonly concurrency: number,
    private readonly onSettled: () => void,
  ) {}

  get active(): number {
    return this.running.size;
  }

  /** Claims pending pipeline items of `batch` while there is capacity. */
  fill(batch: BatchRecord): void {
    if (this.running.size >= this.concurrency) return;
    for (const item of this.store.itemsIn(batch.id, 'pending', 'pipeline')) {
      if (this.running.size >= this.concurrency) return;
      if (!this.store.claim(batch.id, item.seq)) continue;
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
    const deps = this.deps();
    const ctx = createContext({
      requestId: itemRequestId(batch.id, item.customId),
      ingress: batch.format,
      endpoint: batch.format === 'openai' ? '/v1/batches' : '/v1/messages/batches',
      caller: { tenant: batch.tenant, keyId: batch.keyId, tags: batch.tags },
      forwardHeaders: batch.forwardHeaders,
    });
    ctx.request = { ...(JSON.parse(item.request) as CanonicalRequest), stream: false, streamUsage: false };
    const key = { batchId: batch.id, seq: item.seq };
    try {
      route(ctx, deps.catalog, deps.policy, deps.routers);
      await (ctx.cascade ? runCascade(ctx, deps) : dispatch(ctx, deps));
      const outcome = ctx.outcome;
      if (outcome?.kind !== 'complete') throw new Error('batch item answered with a stream');
      const s = price(ctx, outcome.response.usage);
      const result = { type: 'succeeded' as const, response: outcome.response, model: ctx.deployment!.name, warnings: [...ctx.warnings] };
      const applied = this.store.settle([{ ...key, from: ['running'], state: 'succeeded', result, costPico: s.costPico, baselinePico: s.baselinePico }]);
      if (applied.length === 0) return;
      recordLedger(ctx, deps.store, { status: 200 });
      await deps.store.flush();
      this.store.markBilled([key]);
    } catch (err) {
      const e = toGatewayError(err);
      this.store.settle([{ ...key, from: ['running'], state: 'errored', result: { type: 'errored', error: storeError(e) }, costPico: 0, baselinePico: 0 }]);
      recordLedger(ctx, deps.store, { status: e.status, error: e });
    }
  }
}
