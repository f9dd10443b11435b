// Items on the providers' batch APIs: one provider batch per (costwise batch, deployment),
// recorded before it is created upstream and tracked by polling until its results are stored.
//
// Crash safety: the provider batch row and its items' move to `submitted` are one transaction,
// written BEFORE the create call. A crash before the upstream id is stored leaves the row in
// `creating`; on the next tick the provider is asked whether that create happened (find) before
// anything is sent again. Results are applied only to items still `submitted`, so a provider
// batch collected twice changes nothing, and ledger rows have deterministic ids.
import { randomBytes } from 'node:crypto';
import type { CanonicalRequest } from '../core/canonical.js';
import { toGatewayError } from '../core/errors.js';
import type { Catalog } from '../config/catalog.js';
import type { DurableStore } from '../storage/types.js';
import { storeError } from './errors.js';
import { billItems } from './billing.js';
import { chargeNative } from './ledger.js';
import { deploymentByKey } from './plan.js';
import { nativeClient, type NativeResult } from './providers/index.js';
import type { BatchStore, ItemOutcome } from './store.js';
import type { BatchRecord, ItemRecord, ItemResult, ProviderBatchRecord, StoredError } from './types.js';

export interface NativeDeps {
  store: BatchStore;
  ledger: DurableStore;
  catalog: Catalog;
  log: (message: string) => void;
  now: () => number;
}

/** Provider batches whose create call is in flight in this process (not to be reconciled). */
const inflight = new Set<string>();

function errored(item: ItemRecord, from: ItemRecord['state'][], error: StoredError): ItemOutcome {
  return { batchId: item.batchId, seq: item.seq, from, state: 'errored', result: { type: 'errored', error }, costPico: 0, baselinePico: 0 };
}

/** Starts a provider batch for each deployment with pending native items of `batch`. */
export async function submitPending(deps: NativeDeps, batch: BatchRecord): Promise<void> {
  const pending = await deps.store.itemsIn(batch.id, 'pending', 'native');
  const groups = new Map<string, ItemRecord[]>();
  for (const item of pending) {
    const key = item.deploymentKey ?? '';
    const list = groups.get(key);
    if (list) list.push(item);
    else groups.set(key, [item]);
  }
  for (const [key, items] of groups) {
    const deployment = deploymentByKey(deps.catalog, items[0]!.servedModel, key);
    const client = deployment && nativeClient(deployment.provider.kind);
    if (!deployment || !client) {
      const error: StoredError = {
        status: 404,
        kind: 'not_found',
        message: `deployment ${key} is no longer in the catalog`,
        param: 'model',
        code: 'model_not_found',
      };
      await deps.store.settle(items.map((i) => errored(i, ['pending'], error)));
      continue;
    }
    const pb: ProviderBatchRecord = {
      id: `cwpb_${randomBytes(8).toString('hex')}`,
      batchId: batch.id,
      providerName: deployment.provider.name,
      kind: deployment.provider.kind as 'openai' | 'anthropic',
      deploymentKey: key,
      state: 'creating',
      upstreamId: null,
      items: items.length,
      createdAt: deps.now(),
      cancelSent: false,
    };
    if (
      (await deps.store.assign(
        pb,
        items.map((i) => i.seq),
      )) === 0
    )
      continue;
    await create(deps, batch, pb);
  }
}

async function create(deps: NativeDeps, batch: BatchRecord, pb: ProviderBatchRecord): Promise<void> {
  const all = await deps.store.itemsOf(pb.id);
  const deployment = deploymentByKey(deps.catalog, all[0]?.servedModel ?? null, pb.deploymentKey);
  const client = nativeClient(pb.kind)!;
  const items = all.filter((i) => i.state === 'submitted');
  if (!deployment || items.length === 0) return;
  inflight.add(pb.id);
  try {
    const bodies = items.map((i) => ({
      customId: i.upstreamCustomId,
      body: client.toUpstreamBody(JSON.parse(i.request) as CanonicalRequest, deployment.upstreamModel, []),
    }));
    const upstreamId = await client.create(deployment.provider, bodies, { tag: pb.id, forwardHeaders: batch.forwardHeaders });
    await deps.store.submitted(pb.id, upstreamId);
  } catch (err) {
    const e = toGatewayError(err);
    if (e.retryable) {
      // Left `creating`: the next tick asks the provider whether it was created before retrying.
      deps.log(`costwise: batch ${batch.id}: creating a ${pb.kind} batch failed (${e.message}); retrying`);
      return;
    }
    await deps.store.settle(
      items.map((i) => errored(i, ['submitted'], storeError(e))),
      { id: pb.id, state: 'failed' },
    );
  } finally {
    inflight.delete(pb.id);
  }
}

/**
 * Provider batches of `batchIds` (the batches this replica holds) left `creating` by a crash — of
 * this process or of a replica whose batches were taken over — or by a failed create: adopt what
 * the provider made, else create again.
 */
export async function reconcileCreating(deps: NativeDeps, batchIds: ReadonlySet<string>): Promise<void> {
  for (const pb of await deps.store.providerBatchesIn(['creating'])) {
    if (inflight.has(pb.id) || !batchIds.has(pb.batchId)) continue;
    const batch = await deps.store.batch(pb.batchId);
    const deployment = deploymentByKey(deps.catalog, (await deps.store.itemsOf(pb.id))[0]?.servedModel ?? null, pb.deploymentKey);
    if (!batch || !deployment) continue;
    const found = await nativeClient(pb.kind)!.find(deployment.provider, {
      tag: pb.id,
      createdAfterMs: pb.createdAt,
      items: pb.items,
      known: await deps.store.knownUpstreamIds(),
    });
    if (found) await deps.store.submitted(pb.id, found);
    else await create(deps, batch, pb);
  }
}

function outcomeFor(item: ItemRecord, r: NativeResult | undefined, status: string, failure: StoredError | undefined, deps: NativeDeps): ItemOutcome {
  const from: ItemRecord['state'][] = ['submitted'];
  if (!r) {
    if (status === 'cancelled' || status === 'canceled' || status === 'ended')
      return { batchId: item.batchId, seq: item.seq, from, state: 'canceled', result: { type: 'canceled' }, costPico: 0, baselinePico: 0 };
    return errored(
      item,
      from,
      failure ?? { status: 502, kind: 'upstream_error', message: 'the provider batch ended without a result for this request', param: null, code: null },
    );
  }
  const o = r.outcome;
  if (o.type !== 'succeeded') {
    const result: ItemResult = o.type === 'errored' ? { type: 'errored', error: o.error } : { type: o.type };
    return { batchId: item.batchId, seq: item.seq, from, state: o.type, result, costPico: 0, baselinePico: 0 };
  }
  const served = deploymentByKey(deps.catalog, item.servedModel, item.deploymentKey)!;
  const requested = item.requestedModel ? deps.catalog.get(item.requestedModel) : undefined;
  const charge = chargeNative(o.response.usage, served, requested);
  // Warnings are what the translation could not carry: recomputed, as the body was built.
  const warnings: string[] = [];
  nativeClient(served.provider.kind)!.toUpstreamBody(JSON.parse(item.request) as CanonicalRequest, served.upstreamModel, warnings);
  return {
    batchId: item.batchId,
    seq: item.seq,
    from,
    state: 'succeeded',
    result: { type: 'succeeded', response: o.response, model: served.name, warnings },
    costPico: charge.costPico,
    baselinePico: charge.baselinePico,
  };
}

/** Polls every submitted provider batch of `batchIds`; an ended one has its results stored and billed. */
export async function pollSubmitted(deps: NativeDeps, batchIds: ReadonlySet<string>): Promise<void> {
  for (const pb of await deps.store.providerBatchesIn(['submitted'])) {
    if (!batchIds.has(pb.batchId)) continue;
    const batch = await deps.store.batch(pb.batchId);
    const items = (await deps.store.itemsOf(pb.id)).filter((i) => i.state === 'submitted');
    const deployment = deploymentByKey(deps.catalog, items[0]?.servedModel ?? null, pb.deploymentKey);
    if (!batch || !deployment || pb.upstreamId === null) continue;
    const client = nativeClient(pb.kind)!;
    try {
      if (batch.state === 'cancelling' && !pb.cancelSent) {
        await client
          .cancel(deployment.provider, pb.upstreamId)
          .catch((err: unknown) => deps.log(`costwise: cancelling ${pb.upstreamId}: ${(err as Error).message}`));
        await deps.store.cancelSent(pb.id);
      }
      const status = await client.poll(deployment.provider, pb.upstreamId);
      if (!status.ended) continue;
      const byId = new Map(status.results.map((r) => [r.customId, r]));
      const outcomes = items.map((i) => outcomeFor(i, byId.get(i.upstreamCustomId), status.status, status.failure, deps));
      const applied = await deps.store.settle(outcomes, { id: pb.id, state: 'collected' });
      await billItems(deps, applied);
    } catch (err) {
      deps.log(`costwise: polling ${pb.kind} batch ${pb.upstreamId}: ${(err as Error).message}`);
    }
  }
}
