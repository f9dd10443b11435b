// Telemetry at the pipeline's edges: a request starts (in flight, its span) and ends (its span
// gets how it ended: models, usage, cost, baseline, technique, route). Called by settle.
import type { Telemetry } from '../telemetry/index.js';
import type { RequestContext } from './context.js';

export function observeStart(ctx: RequestContext, telemetry: Telemetry): void {
  ctx.trace = telemetry.requestStarted(ctx.inbound.headers);
}

export function observeEnd(ctx: RequestContext, telemetry: Telemetry): void {
  telemetry.requestEnded();
  const trace = ctx.trace;
  if (trace === undefined) return;
  const s = ctx.settlement;
  const exit = ctx.exit;
  trace.finish({
    requestId: ctx.requestId,
    operation: ctx.embedding !== undefined ? 'embeddings' : 'chat',
    requestModel: ctx.request.model,
    deployment: ctx.deployment,
    usage: s?.usage,
    costPico: s?.costPico ?? 0,
    baselinePico: s?.baselinePico ?? 0,
    subCallCostPico: ctx.subCallCostPico,
    technique: ctx.technique,
    routeReason: ctx.routeReason,
    cache: ctx.cacheResult,
    status: exit?.status ?? 500,
    errorKind: exit?.error?.kind ?? ctx.error?.kind,
    stream: ctx.request.stream,
  });
}
