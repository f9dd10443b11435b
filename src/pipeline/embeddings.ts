// The embeddings pipeline's own stages: the embedding model asked for (no routing: an embedding is
// only ever made by the model asked for, or vectors would not compare), and one upstream call,
// priced by its input tokens.
import { ZERO_USAGE } from '../core/canonical.js';
import { GatewayError } from '../core/errors.js';
import type { Catalog } from '../config/catalog.js';
import type { AdapterRegistry } from '../providers/registry.js';
import { need } from './context.js';
import { price } from './price.js';
import type { Stage } from './stage.js';

export function embeddingModelStage(deps: { catalog: Catalog }): Stage {
  return {
    name: 'route',
    run(ctx, next) {
      const model = ctx.request.model;
      const deployment = deps.catalog.get(model);
      if (!deployment || deployment.kind !== 'embedding') {
        throw new GatewayError({
          kind: 'not_found',
          message: `The model '${model}' does not exist or is not an embedding model in this costwise catalog.`,
          param: 'model',
          code: 'model_not_found',
        });
      }
      ctx.deployment = deployment;
      return next(ctx);
    },
  };
}

export function embedStage(deps: { adapters: AdapterRegistry }): Stage {
  return {
    name: 'dispatch',
    async run(ctx, next) {
      const deployment = need(ctx.deployment, 'deployment', 'route');
      const request = need(ctx.embedding, 'embedding', 'parse');
      const adapter = deps.adapters.forKind(deployment.provider.kind);
      if (!adapter.embed)
        throw new GatewayError({ kind: 'invalid_request', message: `provider ${deployment.provider.name} does not offer embeddings`, param: 'model' });
      const response = await adapter.embed(deployment.target, request, {
        signal: ctx.abort.signal,
        forwardHeaders: ctx.forwardHeaders,
      });
      price(ctx, { ...ZERO_USAGE, inputTokens: response.usage.inputTokens });
      ctx.outcome = { kind: 'embeddings', response, request };
      return next(ctx);
    },
  };
}
