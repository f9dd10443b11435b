// Stage: send the canonical request to the deployment's upstream and keep what came back.
import { GatewayError } from '../core/errors.js';
import type { AdapterRegistry } from '../providers/registry.js';
import type { RequestContext } from './context.js';

/**
 * An upstream 401/403 means costwise's own provider credentials were refused, not the caller's:
 * passing it through would tell the caller their key is wrong. It becomes a 502 naming the provider.
 */
function maskCredentialErrors(err: unknown): never {
  if (err instanceof GatewayError && err.provider && (err.kind === 'authentication' || err.kind === 'permission')) {
    throw new GatewayError({
      kind: 'upstream_error',
      status: 502,
      message: `provider ${err.provider} refused costwise's credentials (${err.kind}): ${err.message}`,
      provider: err.provider,
      retryable: false,
      ...(err.upstreamRequestId ? { upstreamRequestId: err.upstreamRequestId } : {}),
    });
  }
  throw err;
}

export async function dispatch(ctx: RequestContext, adapters: AdapterRegistry): Promise<void> {
  try {
    await dispatchUnmasked(ctx, adapters);
  } catch (err) {
    maskCredentialErrors(err);
  }
}

async function dispatchUnmasked(ctx: RequestContext, adapters: AdapterRegistry): Promise<void> {
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
