// Stage: reserve (after route). For a virtual key with budgets (its own, its teams', its tags'),
// reserve the most this request can cost before it is sent: its input tokens at the dearest input
// class (a cache write) plus its output limit at the output price, on the dearest model that may
// serve it (the routed model or its fallbacks; every step and judge of a cascade). Settle turns the
// reservation into the exact cost. A reservation that does not fit is refused with 402
// `budget_exceeded` and the remaining budget in `x-costwise-budget-remaining-usd` — or, with the
// key's `onBudget: downgrade`, served by the cheapest allowed model whose reservation still fits.
// Cache hits and deferred requests never reach this stage, so they reserve nothing.
import { ZERO_USAGE } from '../core/canonical.js';
import { GatewayError } from '../core/errors.js';
import type { Catalog, Deployment } from '../config/catalog.js';
import { costPico } from '../cost/calculate.js';
import { formatUsd } from '../cost/money.js';
import { budgetScopes, isModelAllowed, type BudgetScope, type KeyRecord } from '../governance/index.js';
import { JUDGE_MAX_TOKENS } from '../routing/cascade/judge.js';
import { incapability } from '../routing/policy/capabilities.js';
import { countCanonicalInputTokens, countTextTokens } from '../tokens/count.js';
import { modelRefused } from './admit.js';
import { featuresOf, need, type RequestContext } from './context.js';
import type { Governance } from './governance.js';
import type { Resilience } from './resilience.js';
import type { Stage } from './stage.js';

export interface ReserveDeps {
  governance: Governance;
  catalog: Catalog;
  resilience: Resilience;
}

export function reserveStage(deps: ReserveDeps): Stage {
  return {
    name: 'reserve',
    run(ctx, next) {
      const key = ctx.caller.key;
      if (key === undefined) return next(ctx); // auth: open — no budgets, no promise of its own
      return reserveFor(ctx, deps, key).then(() => next(ctx));
    },
  };
}

async function reserveFor(ctx: RequestContext, deps: ReserveDeps, key: Readonly<KeyRecord>): Promise<void> {
  checkServedModel(ctx, key);
  const scopes = budgetScopes({
    key,
    teams: ctx.caller.teams ?? [],
    tags: ctx.caller.tags,
    tagBudgets: deps.governance.tagBudgets,
    at: ctx.receivedAt,
    timeZone: deps.governance.settings.timeZone,
  });
  if (scopes.length > 0) await reserve(ctx, deps, key, scopes);
}

/** The model routing chose must be one the key may use (unless the key named the model or router it asked for). */
function checkServedModel(ctx: RequestContext, key: Readonly<KeyRecord>): void {
  if (key.models.length === 0 || key.models.includes(ctx.request.model)) return;
  const served = need(ctx.deployment, 'deployment', 'route');
  const steps = ctx.cascade?.steps ?? [served];
  for (const d of steps) if (!isModelAllowed({ key, model: d.name, ...(d.tier ? { tier: d.tier } : {}) })) throw modelRefused(d.name);
}

async function reserve(ctx: RequestContext, deps: ReserveDeps, key: Readonly<KeyRecord>, scopes: BudgetScope[]): Promise<void> {
  const { governance } = deps;
  if (ctx.embedding === undefined && ctx.request.maxTokens === undefined) {
    // The reservation must bound the cost, so the output must be bounded too.
    ctx.request.maxTokens = governance.settings.defaultMaxOutputTokens;
    ctx.warnings.push(`max_tokens: set to ${ctx.request.maxTokens} (governance.defaultMaxOutputTokens) because this key has a budget`);
  }
  ctx.budgetScopes = scopes;
  const ttlMs = governance.settings.reservationTtlMs;
  const result = await governance.guard.reserve({ scopes, amountPico: BigInt(worstCasePico(ctx, deps)), ttlMs, chargeId: ctx.requestId });
  switch (result.status) {
    case 'reserved':
      ctx.reservation = result.reservation;
      return;
    case 'unavailable':
      if (governance.settings.failMode === 'open') {
        ctx.unreserved = true;
        return;
      }
      throw new GatewayError({
        kind: 'overloaded',
        status: 503,
        message: 'Budgets cannot be checked right now (shared state unavailable); try again shortly.',
        retryable: true,
      });
    case 'unseeded':
      throw new GatewayError({ kind: 'overloaded', status: 503, message: 'Budgets are being loaded; try again shortly.', retryable: true });
    case 'exceeded':
      if (key.onBudget === 'downgrade' && (await downgrade(ctx, deps, key, scopes))) return;
      throw new GatewayError({
        kind: 'budget_exceeded',
        message: `Budget exceeded for ${result.scope.subject} (${result.scope.window.period}): $${formatUsd(result.remainingPico)} left of $${formatUsd(result.scope.limitPico)}, and this request may cost up to $${formatUsd(BigInt(worstCasePico(ctx, deps)))}.`,
        code: 'budget_exceeded',
        retryable: false,
        headers: { 'x-costwise-budget-remaining-usd': formatUsd(result.remainingPico) },
      });
  }
}

/**
 * `onBudget: downgrade`: the cheapest capable chat model the key may use whose reservation fits,
 * tried cheapest first; the request is then served by it as if routing had chosen it.
 */
async function downgrade(ctx: RequestContext, deps: ReserveDeps, key: Readonly<KeyRecord>, scopes: BudgetScope[]): Promise<boolean> {
  const features = featuresOf(ctx);
  const current = ctx.deployment;
  const candidates = deps.catalog
    .list()
    .filter(
      (d) =>
        d.kind === 'chat' && d !== current && incapability(d, features) === null && isModelAllowed({ key, model: d.name, ...(d.tier ? { tier: d.tier } : {}) }),
    )
    .map((d) => ({ d, pico: boundOn([d], ctx) }))
    .filter((c) => current === undefined || c.pico < boundOn([current], ctx))
    .sort((a, b) => a.pico - b.pico);
  for (const { d, pico } of candidates) {
    const result = await deps.governance.guard.reserve({
      scopes,
      amountPico: BigInt(pico),
      ttlMs: deps.governance.settings.reservationTtlMs,
      chargeId: ctx.requestId,
    });
    if (result.status !== 'reserved') {
      if (result.status === 'exceeded') return false; // cheapest first: nothing dearer fits either
      continue;
    }
    ctx.reservation = result.reservation;
    const asked = current && ctx.requestedDeployment === undefined && ctx.routeReason === 'requested' ? current : ctx.requestedDeployment;
    if (asked !== undefined && asked !== d) ctx.requestedDeployment = asked;
    ctx.deployment = d;
    delete ctx.cascade;
    ctx.technique = 'routing';
    ctx.routeReason = `${ctx.routeReason ?? 'requested'}; budget-downgrade->${d.name}`;
    return true;
  }
  return false;
}

/** The most the request can cost, in pico-dollars, on any model that may answer it. */
function worstCasePico(ctx: RequestContext, deps: ReserveDeps): number {
  if (ctx.embedding !== undefined) return embeddingBound(need(ctx.deployment, 'deployment', 'route'), ctx.embedding.input);
  const cascade = ctx.cascade;
  if (cascade !== undefined) {
    let sum = 0;
    for (const step of cascade.steps) sum += boundOn(modelsOf(step, deps), ctx);
    for (const judge of cascade.router.judges.values()) sum += judgeBound(judge, ctx) * cascade.steps.length;
    return sum;
  }
  return boundOn(modelsOf(need(ctx.deployment, 'deployment', 'route'), deps), ctx);
}

/** Every deployment of the model and of its fallback models. */
function modelsOf(model: Deployment, deps: ReserveDeps): Deployment[] {
  const out = [...deps.catalog.deployments(model.name)];
  for (const name of deps.resilience.fallbacks[model.name] ?? []) out.push(...deps.catalog.deployments(name));
  return out.length > 0 ? out : [model];
}

function boundOn(deployments: readonly Deployment[], ctx: RequestContext): number {
  let worst = 0;
  for (const d of deployments) worst = Math.max(worst, bound(d, inputTokenBound(ctx, d), outputAllowanceOf(ctx)));
  return worst;
}

/** Prompt token counts per tokenizer model, for this request only (a request is counted once per model). */
const counts = new WeakMap<RequestContext, Map<string, number>>();

function outputAllowanceOf(ctx: RequestContext): number {
  return ctx.request.maxTokens ?? 0;
}

function judgeBound(judge: Deployment, ctx: RequestContext): number {
  return bound(judge, inputTokenBound(ctx, judge) + outputAllowanceOf(ctx) + 1024, JUDGE_MAX_TOKENS);
}

/** An embeddings request costs its input tokens (with the same margin as prompts for non-OpenAI models). */
function embeddingBound(d: Deployment, input: readonly string[]): number {
  let tokens = 0;
  for (const text of input) tokens += countTextTokens(text, d.upstreamModel);
  const bounded = d.provider.kind === 'openai' ? tokens + 16 : Math.ceil(tokens * 1.25) + 16;
  return costPico({ ...ZERO_USAGE, inputTokens: bounded }, d.pricing);
}

/** Input tokens at the dearest input class (a cache write can cost more than plain input), output at the output price. */
function bound(d: Deployment, inputTokens: number, outputTokens: number): number {
  const asInput = costPico({ ...ZERO_USAGE, inputTokens, outputTokens }, d.pricing);
  const as5m = costPico({ ...ZERO_USAGE, cacheWrite5mTokens: inputTokens, outputTokens }, d.pricing);
  const as1h = costPico({ ...ZERO_USAGE, cacheWrite1hTokens: inputTokens, outputTokens }, d.pricing);
  return Math.max(asInput, as5m, as1h);
}

/**
 * The prompt's tokens, counted with the model's tokenizer: exact for OpenAI models; other
 * providers' tokenizers are not public, so their count gets a 25% margin.
 */
function inputTokenBound(ctx: RequestContext, d: Deployment): number {
  let byModel = counts.get(ctx);
  if (byModel === undefined) counts.set(ctx, (byModel = new Map<string, number>()));
  let counted = byModel.get(d.upstreamModel);
  if (counted === undefined) byModel.set(d.upstreamModel, (counted = countCanonicalInputTokens(ctx.request, d.upstreamModel)));
  return d.provider.kind === 'openai' ? counted + 16 : Math.ceil(counted * 1.25) + 16;
}

/**
 * At settle: the reservation becomes the request's exact cost (its answer and its sub-calls), or
 * is released when nothing was billed; spend that was never reserved (shared state down,
 * `failMode: open`) is charged. Then budget alerts look at the new spend.
 */
export async function settleBudget(ctx: RequestContext, governance: Governance): Promise<void> {
  const actual = BigInt((ctx.settlement?.costPico ?? 0) + ctx.subCallCostPico);
  const { budgets } = governance;
  if (ctx.reservation !== undefined) {
    if (actual > 0n) await budgets.settle(ctx.reservation, actual);
    else await budgets.release(ctx.reservation);
  } else if (ctx.unreserved === true && ctx.budgetScopes !== undefined && actual > 0n) {
    await budgets.charge({ id: ctx.requestId, scopes: ctx.budgetScopes, amountPico: actual });
  }
  if (ctx.budgetScopes !== undefined && actual > 0n) governance.alerts.check(ctx.budgetScopes);
}
