// Writes the ledger rows of items that succeeded, then marks them billed. Run after results are
// stored, and again at start-up for items a crash left unbilled: the ledger ignores a request id
// it already has, so a row is never counted twice.
import type { CanonicalRequest } from '../core/canonical.js';
import type { Catalog } from '../config/catalog.js';
import type { DurableStore } from '../storage/types.js';
import type { Deployment } from '../config/catalog.js';
import { uncachedCostPico } from '../cost/calculate.js';
import { recordBatchItem } from './ledger.js';
import { deploymentByKey } from './plan.js';
import { batchPricing } from '../cost/batch.js';
import type { BatchStore } from './store.js';
import type { BatchRecord, ItemRecord, ItemResult } from './types.js';

export interface BillingDeps {
  store: BatchStore;
  ledger: DurableStore;
  catalog: Catalog;
  /** The gateway's clock (a replay's simulated one): the rows' timestamps. */
  now: () => number;
}

/**
 * One succeeded item's ledger row, from its stored charge: a native item at batch rates with
 * technique `batch`, a pipeline item at synchronous prices with the technique the pipeline gave it.
 */
function bill(deps: BillingDeps, batch: BatchRecord, item: ItemRecord, result: Extract<ItemResult, { type: 'succeeded' }>, served: Deployment): void {
  const usage = result.response.usage;
  const native = item.route === 'native';
  const pricing = native ? batchPricing(served.pricing) : served.pricing;
  recordBatchItem(
    deps.ledger,
    {
      batch,
      item,
      served,
      requestedModel: (JSON.parse(item.request) as CanonicalRequest).model,
      usage,
      charge: { costPico: item.costPico, baselinePico: item.baselinePico, promptCachePico: uncachedCostPico(usage, pricing) - item.costPico },
      upstreamBatchId: native ? (item.providerBatchId ?? '') : 'pipeline',
      ...(native ? {} : { technique: item.technique }),
    },
    deps.now(),
  );
}

/** Bills the given (just settled) native items; `keys` name them. */
export async function billItems(deps: BillingDeps, keys: ReadonlyArray<{ batchId: string; seq: number; state: string }>): Promise<void> {
  const done: Array<{ batchId: string; seq: number }> = [];
  for (const k of keys) {
    if (k.state !== 'succeeded') continue;
    const batch = await deps.store.batch(k.batchId);
    const item = await deps.store.itemAt(k.batchId, k.seq);
    if (!batch || !item || item.route !== 'native' || item.result?.type !== 'succeeded') continue;
    const served = deploymentByKey(deps.catalog, item.servedModel, item.deploymentKey);
    if (!served) continue;
    bill(deps, batch, item, item.result, served);
    done.push({ batchId: k.batchId, seq: k.seq });
  }
  if (done.length === 0) return;
  await deps.ledger.flush();
  await deps.store.markBilled(done);
}

/**
 * At start-up, and for batches taken over from a replica that died: bill what a crash left
 * unbilled (native items; pipeline items bill themselves).
 */
export async function billUnbilled(deps: BillingDeps, batchIds?: readonly string[]): Promise<void> {
  const items = await deps.store.unbilled(batchIds);
  await billItems(
    deps,
    items.filter((i) => i.route === 'native'),
  );
  // A pipeline item's row is written by the pipeline's own recordLedger right after its result;
  // a crash in between loses that row, which is re-created here from the stored charge.
  const pipeline = items.filter((i) => i.route === 'pipeline' && i.result?.type === 'succeeded');
  for (const item of pipeline) {
    const batch = await deps.store.batch(item.batchId);
    const served = deploymentByKey(deps.catalog, item.servedModel, item.deploymentKey);
    if (!batch || !served || item.result?.type !== 'succeeded') continue;
    bill(deps, batch, item, item.result, served);
  }
  if (pipeline.length) {
    await deps.ledger.flush();
    await deps.store.markBilled(pipeline);
  }
}
