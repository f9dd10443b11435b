// Planning one item at submission: its body in the batch's wire format → the canonical request,
// routed by the real routing stage (rules, explicit model, tiers, named routers) → how it will run:
// on the serving provider's batch API (`native`), through the request pipeline (`pipeline`: no
// batch API, or a cascade router that must see each answer), or not at all (`none`: invalid).
import { invalidRequest } from '../core/errors.js';
import type { CanonicalRequest } from '../core/canonical.js';
import type { Catalog, Deployment } from '../config/catalog.js';
import { createContext, need, type Caller } from '../pipeline/context.js';
import { route, type RoutingDeps } from '../pipeline/route.js';
import { parseChatRequest } from '../wire/openai/request.js';
import { parseMessagesRequest } from '../wire/anthropic/request.js';
import { storeError } from './errors.js';
import { hasNativeBatch } from '../cost/batch.js';
import type { BatchFormat, ItemRecord } from './types.js';

export interface PlanInput {
  batchId: string;
  seq: number;
  customId: string;
  upstreamCustomId: string;
  format: BatchFormat;
  body: unknown;
  caller: Caller;
}

export interface Planned {
  item: ItemRecord;
  /** Set when the item can run. */
  request?: CanonicalRequest;
  deployment?: Deployment;
  requested?: Deployment;
}

/** The ledger id of an item: deterministic, so a row written twice is ignored (INSERT OR IGNORE). */
export function itemRequestId(batchId: string, customId: string): string {
  return `${batchId}:${customId}`;
}

export function parseItemBody(format: BatchFormat, body: unknown): CanonicalRequest {
  const request = format === 'openai' ? parseChatRequest(body) : parseMessagesRequest(body);
  if (request.stream) throw invalidRequest('stream: streaming is not supported in batch requests', 'stream');
  return request;
}

export function planItem(input: PlanInput, routing: RoutingDeps): Planned {
  const base: ItemRecord = {
    batchId: input.batchId,
    seq: input.seq,
    customId: input.customId,
    upstreamCustomId: input.upstreamCustomId,
    request: 'null',
    route: 'none',
    deploymentKey: null,
    servedModel: null,
    requestedModel: null,
    technique: null,
    routeReason: null,
    state: 'pending',
    providerBatchId: null,
    result: null,
    costPico: 0,
    baselinePico: 0,
    billed: false,
  };
  try {
    const request = parseItemBody(input.format, input.body);
    base.request = JSON.stringify(request);
    const ctx = createContext({
      requestId: itemRequestId(input.batchId, input.customId),
      ingress: input.format,
      endpoint: '/v1/batches',
      caller: input.caller,
      forwardHeaders: {},
    });
    ctx.request = request;
    route(ctx, routing);
    const deployment = need(ctx.deployment, 'deployment', 'route');
    const native = !ctx.cascade && hasNativeBatch(deployment.provider.kind);
    const item: ItemRecord = {
      ...base,
      route: native ? 'native' : 'pipeline',
      deploymentKey: deployment.key,
      servedModel: deployment.name,
      requestedModel: ctx.requestedDeployment?.name ?? null,
      technique: ctx.technique ?? null,
      routeReason: ctx.routeReason ?? null,
    };
    return { item, request, deployment, ...(ctx.requestedDeployment ? { requested: ctx.requestedDeployment } : {}) };
  } catch (err) {
    return { item: { ...base, state: 'errored', result: { type: 'errored', error: storeError(err) } } };
  }
}

/** A deployment by its key (`name@provider[/region]`), as the catalog knows it now. */
export function deploymentByKey(catalog: Catalog, name: string | null, key: string | null): Deployment | undefined {
  if (name === null || key === null) return undefined;
  return catalog.deployments(name).find((d) => d.key === key);
}
