// Stage: route. Decide which catalog model serves the request (rules → explicit model → tiers, or a
// named router: learned or cascade), with hard capability constraints, and say why in
// `x-costwise-route`. Batch submission plans each item with the same `route`.
import { GatewayError, invalidRequest } from '../core/errors.js';
import type { Catalog, Deployment } from '../config/catalog.js';
import type { RequestFeatures } from '../routing/policy/features.js';
import { decide, type PolicyConfig } from '../routing/policy/decide.js';
import { incapability, type Incapability } from '../routing/policy/capabilities.js';
import type { CompiledCascadeRouter, CompiledLearnedRouter, CompiledRouter } from '../routing/routers/compile.js';
import { featuresOf, type RequestContext } from './context.js';
import type { Stage } from './stage.js';

/** What routing decides with. */
export interface RoutingDeps {
  catalog: Catalog;
  policy: PolicyConfig;
  /** Named routers (`router/<name>`). */
  routers: ReadonlyMap<string, CompiledRouter>;
}

export function routeStage(deps: RoutingDeps): Stage {
  return {
    name: 'route',
    run(ctx, next) {
      route(ctx, deps);
      return next(ctx);
    },
  };
}

export function route(ctx: RequestContext, deps: RoutingDeps): void {
  const { catalog, policy, routers } = deps;
  const features = featuresOf(ctx);
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
    case 'router': {
      const router = routers.get(decision.router);
      if (!router) {
        throw new GatewayError({
          kind: 'not_found',
          message: `The router '${decision.router}' is not configured in this costwise gateway (routing.routers).`,
          param: 'model',
          code: 'model_not_found',
        });
      }
      if (router.kind === 'learned') routeLearned(ctx, router, features, decision.reason);
      else planCascade(ctx, router, features, decision.reason);
      return;
    }
    case 'unservable':
      throw unservable(ctx, decision.model, decision.why);
  }
}

function prefix(via: string): string {
  return via === 'requested' ? '' : `${via}; `;
}

/**
 * The cheapest mapped, capable candidate whose predicted chance of a good answer clears the
 * knob; the baseline is the priciest mapped model (what the caller pays without the router).
 * A prompt out of the model's training domain goes to the declared fallback instead (when capable).
 */
function routeLearned(ctx: RequestContext, r: CompiledLearnedRouter, f: RequestFeatures, via: string): void {
  const estimate = r.router.estimate(f.lastUserText);
  if (estimate.outOfDomain && r.fallback && incapability(r.fallback, f) === null) {
    ctx.deployment = r.fallback;
    ctx.routeReason = `${prefix(via)}learned:out-of-domain->${r.fallback.name}`;
    ctx.technique = 'routing';
    if (r.strongest !== r.fallback) ctx.requestedDeployment = r.strongest;
    return;
  }
  // Unmapped or incapable candidates can never be chosen.
  const allowed = r.targets.map((d) => d !== undefined && incapability(d, f) === null);
  const choice = r.router.choose(estimate.probabilities, r.quality, estimate.costs, allowed);
  const target = choice && r.targets[choice.index];
  if (!choice || !target) {
    throw invalidRequest(`no model of router '${r.name}' can serve this request (tools, images, context length or max tokens)`, 'model');
  }
  ctx.deployment = target;
  ctx.routeReason = `${prefix(via)}learned:q=${(estimate.probabilities[choice.index] ?? 0).toFixed(2)}->${target.name}`;
  ctx.technique = 'routing';
  if (r.strongest !== target) ctx.requestedDeployment = r.strongest;
}

/** The capable steps, cheapest first; the last one is the model the request is measured against. */
function planCascade(ctx: RequestContext, r: CompiledCascadeRouter, f: RequestFeatures, via: string): void {
  const steps: Deployment[] = r.steps.filter((d) => incapability(d, f) === null);
  const last = steps.at(-1);
  if (last === undefined) {
    throw invalidRequest(`no model of router '${r.name}' can serve this request (tools, images, context length or max tokens)`, 'model');
  }
  ctx.deployment = last;
  ctx.technique = 'cascade';
  ctx.routeReason = `${prefix(via)}cascade:${r.name}->${last.name}`;
  ctx.cascade = { router: r, steps, via };
  const strongest = r.steps.at(-1)!;
  if (strongest !== last) ctx.requestedDeployment = strongest;
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
