// Stage: find the catalog deployment for the requested model and enforce its hard capabilities.
import { GatewayError, invalidRequest } from '../core/errors.js';
import type { Catalog } from '../config/catalog.js';
import type { RequestContext } from './context.js';

export function resolveModel(ctx: RequestContext, catalog: Catalog): void {
  const deployment = catalog.get(ctx.request.model);
  if (!deployment || deployment.kind !== 'chat') {
    throw new GatewayError({
      kind: 'not_found',
      message: `The model '${ctx.request.model}' does not exist or is not a chat model in this costwise catalog. GET /v1/models lists the models.`,
      param: 'model',
      code: 'model_not_found',
    });
  }
  const req = ctx.request;
  const caps = deployment.capabilities;
  if (!caps.tools && req.tools?.length) {
    throw invalidRequest(`model '${deployment.name}' does not support tools`, 'tools');
  }
  if (!caps.vision && hasImages(ctx)) {
    throw invalidRequest(`model '${deployment.name}' does not support image input`, 'messages');
  }
  if (caps.maxOutputTokens !== undefined && req.maxTokens !== undefined && req.maxTokens > caps.maxOutputTokens) {
    throw invalidRequest(
      `max tokens ${req.maxTokens} is above the maximum ${caps.maxOutputTokens} of model '${deployment.name}'`,
      ctx.ingress === 'anthropic' ? 'max_tokens' : 'max_completion_tokens',
    );
  }
  ctx.deployment = deployment;
}

function hasImages(ctx: RequestContext): boolean {
  for (const m of ctx.request.messages) {
    for (const p of m.content) {
      if (p.type === 'image') return true;
      if (p.type === 'tool_result' && p.content.some((c) => c.type === 'image')) return true;
    }
  }
  return false;
}
