// Automatic deferral: a chat request sent with `x-costwise-defer: <window>` is answered at once
// with 202 and a job id, and joins the open deferral batch of its wire format, key, tenant, tags
// and forwarded headers (a batch carries those for all its items). That batch is
// flushed — it starts like any approved batch, on the providers' batch APIs at batch prices —
// once it holds `deferral.maxItems` requests or its oldest is `deferral.maxAgeMs` old. The result
// is read with GET /v1/costwise/jobs/{id}, and POSTed to `deferral.webhookUrl` when one is set.
// Deferred batches skip approval: the caller chose to defer each request.
import { GatewayError } from '../core/errors.js';
import { formatUsd } from '../cost/money.js';
import type { CanonicalRequest } from '../core/canonical.js';
import type { Caller, DeferredJob } from '../pipeline/context.js';
import type { Deferrer } from '../pipeline/defer.js';
import { renderChatCompletion } from '../wire/openai/response.js';
import { renderOpenAIError } from '../wire/openai/errors.js';
import { renderMessage } from '../wire/anthropic/response.js';
import { renderAnthropicError } from '../wire/anthropic/errors.js';
import { estimateBatch, observedOutput, usdToPico, type ObservedOutput } from './estimate.js';
import { reservationJson, reserveBatchBudget } from './budget.js';
import type { Reservation } from '../governance/index.js';
import { gatewayError } from './errors.js';
import { deploymentByKey, itemRequestId, planItem, type Planned } from './plan.js';
import { newId } from './ids.js';
import type { BatchService } from './service.js';
import type { BatchFormat, BatchRecord, ItemRecord } from './types.js';

export async function deferRequest(
  svc: BatchService,
  q: { format: BatchFormat; body: unknown; caller: Caller; forwardHeaders: Record<string, string>; windowMs: number },
): Promise<DeferredJob> {
  const deps = svc.deps;
  // The request's worst case at batch prices is reserved first (402 when it does not fit), before
  // it joins a group: nothing else awaits between finding the open group and adding to it.
  const probe = planItem({ batchId: 'probe', seq: 0, customId: 'probe', upstreamCustomId: 'job-0', format: q.format, body: q.body, caller: q.caller }, deps);
  if (probe.item.result?.type === 'errored') throw gatewayError(probe.item.result.error);
  const reservedAt = svc.now();
  const reservation = await reserveBatchBudget(deps, {
    batchId: 'probe',
    seq: 0,
    caller: q.caller,
    worstPico: usdToPico(estimateBatch([probe], NOTHING_OBSERVED).worst_usd),
    now: reservedAt,
    expiresAt: reservedAt + q.windowMs + DAY_MS,
  });
  try {
    return await joinGroup(svc, q, reservation);
  } catch (err) {
    if (reservation !== undefined) await deps.governance.budgets.release(reservation);
    throw err;
  }
}

const DAY_MS = 86_400_000;
const NOTHING_OBSERVED: ObservedOutput = new Map();

async function joinGroup(
  svc: BatchService,
  q: { format: BatchFormat; body: unknown; caller: Caller; forwardHeaders: Record<string, string>; windowMs: number },
  reservation: Reservation | undefined,
): Promise<DeferredJob> {
  const deps = svc.deps;
  const jobId = newId('job_cw');
  // A group found open may be flushed (by this or another replica) before the request joins it:
  // the append then finds it no longer collecting, and the request looks again.
  for (let attempt = 0; attempt < 5; attempt++) {
    const batch =
      (await svc.store.collecting(q.format, q.caller, q.forwardHeaders)) ??
      (await svc.submit({
        format: q.format,
        caller: q.caller,
        forwardHeaders: q.forwardHeaders,
        requireApproval: false,
        endpoint: q.format === 'openai' ? '/v1/chat/completions' : '/v1/messages',
        inputFileId: null,
        metadata: null,
        items: [],
        lineErrors: [],
        origin: 'deferral',
      }));
    const now = svc.now();
    const joined = await svc.store.appendDeferred({
      batchId: batch.id,
      item: (seq) => {
        const planned = planItem(
          { batchId: batch.id, seq, customId: jobId, upstreamCustomId: `job-${seq}`, format: q.format, body: q.body, caller: q.caller },
          deps,
        );
        if (planned.item.result?.type === 'errored') throw gatewayError(planned.item.result.error);
        return { item: planned.item, model: planned.deployment!.name };
      },
      job: { id: jobId, format: q.format, createdAt: now, notAfter: now + q.windowMs, webhook: svc.config.deferral.webhookUrl !== undefined },
      reservation: reservation === undefined ? null : reservationJson(reservation),
    });
    if (!joined) continue;
    if (joined.total >= svc.config.deferral.maxItems) svc.kick();
    return { jobId, batchId: batch.id, notAfter: now + q.windowMs };
  }
  throw new GatewayError({ kind: 'overloaded', status: 503, message: 'No deferral group could take the request; try again shortly.' });
}

/** The defer stage's way into the batch service. */
export function deferrerFor(svc: BatchService): Deferrer {
  return { defer: (job) => deferRequest(svc, job) };
}

/** The loop's hook: flush full or old deferral batches this replica holds (with their estimate), deliver webhooks. */
export function deferralHook(svc: BatchService): (collecting: readonly BatchRecord[]) => Promise<void> {
  return async (collecting) => {
    const { maxItems, maxAgeMs } = svc.config.deferral;
    const now = svc.now();
    for (const { id } of collecting) {
      const b = await svc.store.batch(id); // its total as of now: requests joined since the lease
      if (!b || b.state !== 'collecting' || (b.total < maxItems && now - b.createdAt < maxAgeMs)) continue;
      const deps = svc.deps;
      const planned: Planned[] = (await svc.store.items(b.id)).map((item: ItemRecord) => {
        const deployment = deploymentByKey(deps.catalog, item.servedModel, item.deploymentKey);
        return { item, ...(deployment ? { deployment, request: JSON.parse(item.request) as CanonicalRequest } : {}) };
      });
      await svc.store.setEstimate(b.id, estimateBatch(planned, await observedOutput(deps.store)));
      await svc.store.transition(b.id, ['collecting'], 'in_progress', { approvedAt: now, inProgressAt: now });
      svc.kick();
    }
    const url = svc.config.deferral.webhookUrl;
    if (!url) return;
    for (const j of await svc.store.jobsToDeliver(svc.lease())) {
      const view = await jobView(svc, j.id, (await svc.store.batch(j.batchId))?.keyId ?? '');
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(view),
          signal: AbortSignal.timeout(10_000),
        });
        // A 4xx will not get better by retrying; anything else is retried on the next tick.
        if (res.ok) await svc.store.setWebhookState(j.id, 'delivered');
        else if (res.status >= 400 && res.status < 500) await svc.store.setWebhookState(j.id, 'failed');
      } catch {
        // unreachable: retried on the next tick
      }
    }
  };
}

/** A deferred job as its caller sees it (GET /v1/costwise/jobs/{id}, the webhook); null when there is none, or it belongs to another key. */
export async function jobView(svc: BatchService, id: string, keyId: string): Promise<Record<string, unknown> | null> {
  const job = await svc.store.job(id);
  if (!job) return null;
  const batch = await svc.store.batch(job.batchId);
  const item = batch && (await svc.store.item(job.batchId, job.customId));
  if (!batch || !item || batch.keyId !== keyId) return null;
  const requestId = itemRequestId(batch.id, item.customId);
  const r = item.result;
  let response: Record<string, unknown> | null = null;
  if (r?.type === 'succeeded') {
    response = {
      status_code: 200,
      body: job.format === 'openai' ? renderChatCompletion(r.response, r.model, requestId) : renderMessage(r.response, r.model, requestId),
    };
  } else if (r?.type === 'errored') {
    const e = gatewayError(r.error);
    const rendered = job.format === 'openai' ? renderOpenAIError(e) : renderAnthropicError(e, requestId);
    response = { status_code: rendered.status, body: rendered.body };
  }
  const status =
    r === null
      ? batch.state === 'collecting'
        ? 'queued'
        : 'in_progress'
      : r.type === 'succeeded'
        ? 'completed'
        : r.type === 'errored'
          ? 'failed'
          : r.type === 'canceled'
            ? 'cancelled'
            : 'expired';
  return {
    id: job.id,
    object: 'costwise.job',
    status,
    batch_id: batch.id,
    created_at: Math.floor(job.createdAt / 1000),
    not_after: Math.floor(job.notAfter / 1000),
    model: item.servedModel,
    cost_usd: formatUsd(item.costPico),
    response,
  };
}
