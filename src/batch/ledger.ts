// One ledger row per item answered on a provider's batch API: cost at batch rates (every token
// class, cache reads and writes included), baseline = the same usage as the request was sent (no
// prompt caching, on the model asked for) at SYNCHRONOUS prices, technique `batch` — so
// baseline − cost is the saving, attributed to batching. The request id is deterministic, so a row
// written again after a crash is ignored by the ledger (INSERT OR IGNORE on request_id).
import type { Usage } from '../core/canonical.js';
import type { Deployment } from '../config/catalog.js';
import { costPico, uncachedCostPico } from '../cost/calculate.js';
import type { DurableStore } from '../storage/types.js';
import { itemRequestId } from './plan.js';
import { batchPricing } from '../cost/batch.js';
import type { BatchRecord, ItemRecord } from './types.js';

export interface ItemCharge {
  costPico: number;
  baselinePico: number;
  promptCachePico: number;
}

export function chargeNative(usage: Usage, served: Deployment, requested: Deployment | undefined): ItemCharge {
  const rates = batchPricing(served.pricing);
  const cost = costPico(usage, rates);
  return {
    costPico: cost,
    baselinePico: uncachedCostPico(usage, (requested ?? served).pricing),
    promptCachePico: uncachedCostPico(usage, rates) - cost,
  };
}

export interface NativeRow {
  batch: BatchRecord;
  item: ItemRecord;
  served: Deployment;
  requestedModel: string;
  usage: Usage;
  charge: ItemCharge;
  upstreamBatchId: string;
  /** Default `batch`; a pipeline item keeps its own (routing or none). */
  technique?: string | null;
}

export function recordBatchItem(store: DurableStore, r: NativeRow, now: number): void {
  const u = r.usage;
  store.appendLedger({
    requestId: itemRequestId(r.batch.id, r.item.customId),
    ts: now,
    tenant: r.batch.tenant,
    keyId: r.batch.keyId,
    tags: r.batch.tags,
    ingress: r.batch.format,
    endpoint: r.batch.format === 'openai' ? '/v1/batches' : '/v1/messages/batches',
    requestedModel: r.requestedModel,
    servedModel: r.served.name,
    provider: r.served.provider.name,
    inputTokens: u.inputTokens,
    cacheReadTokens: u.cacheReadTokens,
    cacheWrite5mTokens: u.cacheWrite5mTokens,
    cacheWrite1hTokens: u.cacheWrite1hTokens,
    outputTokens: u.outputTokens,
    reasoningTokens: u.reasoningTokens,
    costPico: r.charge.costPico,
    baselinePico: r.charge.baselinePico,
    promptCachePico: r.charge.promptCachePico,
    promptTokensRemoved: 0,
    promptHash: null,
    maxTokens: null,
    stopReason: null,
    latencyMs: Math.max(0, now - (r.batch.inProgressAt ?? r.batch.createdAt)),
    status: 200,
    stream: false,
    errorKind: null,
    route: `${r.item.routeReason ?? 'requested'}; batch:${r.upstreamBatchId}`,
    technique: r.technique === undefined ? 'batch' : r.technique,
    parentId: null,
    attempts: null,
    cache: null,
  });
}
