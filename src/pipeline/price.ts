// Pricing: a request's final usage → its cost, its baseline and prompt caching's share of the
// saving, in integer pico-dollars (`ctx.settlement`). Set by dispatch (a stream as it passes) and
// by the response cache on a hit.
import { ZERO_USAGE, type StreamEvent, type Usage } from '../core/canonical.js';
import { uncachedCostPico, costPico } from '../cost/calculate.js';
import type { RequestContext, Settlement } from './context.js';

export function price(ctx: RequestContext, usage: Usage): Settlement {
  if (ctx.cachedUsage) {
    // Served from the response cache: nothing billed, no tokens used; the baseline is what the
    // cached answer would cost now on the model asked for (or the one that made it).
    const model = ctx.requestedDeployment ?? ctx.deployment;
    ctx.settlement = { usage: ZERO_USAGE, costPico: 0, baselinePico: model ? uncachedCostPico(ctx.cachedUsage, model.pricing) : 0, promptCachePico: 0 };
    return ctx.settlement;
  }
  const served = ctx.deployment;
  const cost = served ? costPico(usage, served.pricing) : 0;
  const uncached = served ? uncachedCostPico(usage, served.pricing) : 0;
  // The baseline is the request as sent, with no optimisation: the same token counts with no
  // prompt caching, on the model asked for when routing moved the request.
  // Prompt optimisation's removed tokens are added back: the baseline is the prompt as the caller wrote it.
  const removed = ctx.promptTokensRemoved ?? 0;
  const asWritten = removed > 0 ? { ...usage, inputTokens: usage.inputTokens + removed } : usage;
  const baselineModel = ctx.requestedDeployment ?? served;
  const baseline = removed === 0 && !ctx.requestedDeployment ? uncached : baselineModel ? uncachedCostPico(asWritten, baselineModel.pricing) : 0;
  ctx.settlement = { usage, costPico: cost, baselinePico: baseline, promptCachePico: uncached - cost };
  return ctx.settlement;
}

/**
 * Wraps a stream so the request is priced from the final `finish` usage as it passes.
 * Usage seen in `start` (input and cache counts) is kept in case the stream is cut before the end.
 */
export async function* pricedStream(ctx: RequestContext, events: AsyncIterable<StreamEvent>): AsyncGenerator<StreamEvent> {
  for await (const event of events) {
    if (event.type === 'start') price(ctx, event.usage);
    else if (event.type === 'finish') {
      ctx.streamStopReason = event.stopReason;
      price(ctx, event.usage);
    }
    yield event;
  }
}
