// Stage: decide which catalog model serves the request (rules → explicit model → tiers), with
// hard capability constraints, and say why in `x-costwise-route`.
import { GatewayError, invalidRequest } from '../core/errors.js';
import type { Catalog } from '../config/catalog.js';
import { extractFeatures } from '../routing/policy/features.js';
import { decide, type PolicyConfig } from '../routing/policy/decide.js';
import type { Incapability } from '../routing/policy/capabilities.js';
import type { RequestContext } from './context.js';

export function route(ctx: RequestContext, catalog: Catalog, policy: PolicyConfig): void {
  const features = extractFeatures(ctx.request, ctx.caller);
  ctx.features = features;
  const decision = decide(features, catalog, policy);
  switch (decision.kind) {
    case 'serve':
      ctx.deployment = decision.deployment;
      ctx.routeReason = decision.reason;
      if (decision.reason !== 'requested') ctx.technique = 'routing';
      {
        const asked = catalog.get(ctx.request.model);
        if (asked && asked.kind === 'chat' && asked !== decision.deployment) ctx.requestedDeployment = asked;
      }
      return;
    case 'router':
      throw new GatewayError({
        kind: 'not_found',
        message: `The router '${decision.router}' is not configured in this costwise gateway.`,
        param: 'model',
        code: 'model_not_found',
      });
    case 'unservable':
      throw unservable(ctx, decision.model, decision.why);
  }
}

function unservable(ctx: RequestContext, model: string, why: Incapability | 'unknown_model' | 'no_capable_model'): GatewayError {
  switch (why) {
    case 'unknown_model':
    case 'not_chat':
      return new GatewayError({
        kind: 'not_found',
        message: `The model '${model}' does not exist or is not a chat model in this costwise catalog. GET /v1/models lists the models.`,
        param: 'model',
        code: 'model_not_found',
      });
    case 'tools':
      return invalidRequest(`model '${model}' does not support tools`, 'tools');
    case 'vision':
      return invalidRequest(`model '${model}' does not support image input`, 'messages');
    case 'max_output_tokens':
      return invalidRequest(
        `max tokens ${ctx.request.maxTokens} is above the maximum of model '${model}'`,
        ctx.ingress === 'anthropic' ? 'max_tokens' : 'max_completion_tokens',
      );
    case 'context_window':
      return invalidRequest(`the prompt and max tokens exceed the context window of model '${model}'`, 'messages', 'context_length_exceeded');
    case 'no_capable_model':
      return invalidRequest(`no model in ${model} (or a higher tier) can serve this request (tools, images, context length or max tokens)`, 'model');
  }
}
