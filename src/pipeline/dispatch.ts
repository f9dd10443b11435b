// Stage: send the canonical request to the deployment's upstream and keep what came back.
import type { AdapterRegistry } from '../providers/registry.js';
import type { RequestContext } from './context.js';

export async function dispatch(ctx: RequestContext, adapters: AdapterRegistry): Promise<void> {
  const deployment = ctx.deployment!;
  const adapter = adapters.forKind(deployment.provider.kind);
  const target = { provider: deployment.provider, upstreamModel: deployment.upstreamModel };
  const options = { signal: ctx.abort.signal, forwardHeaders: ctx.forwardHeaders };
  if (ctx.request.stream) {
    const result = await adapter.stream(target, ctx.request, ctx.warnings, options);
    ctx.upstreamHeaders = result.upstreamHeaders;
    ctx.outcome = { kind: 'stream', events: result.events };
  } else {
    const result = await adapter.complete(target, ctx.request, ctx.warnings, options);
    ctx.upstreamHeaders = result.upstreamHeaders;
    ctx.outcome = { kind: 'complete', response: result.response };
  }
}
