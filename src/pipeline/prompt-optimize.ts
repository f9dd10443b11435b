// Stage: prompt optimisation, before prompt-cache planning. It picks the route's mode
// (`promptOptimization.rules`, else `.mode`) and rewrites the request without changing its content
// (src/promptcache/optimize). The lossy policies are opt-in: with `elideToolResults`, old tool
// results become stubs; with `capMessageTokens`, an oversized message keeps its head and tail; with
// `historyBudget`, the oldest messages between the first and the last turns are dropped until the
// prompt fits. Each applies only when the elision gate finds that the tokens removed outweigh the
// cache reads lost (what the planner believes is cached). The tokens removed are counted with the
// routed model's tokenizer; pricing adds them back to the baseline, and the ledger row keeps them
// (`promptTokensRemoved`), attributed to `prompt_optimization` when no other technique moved the request.
import type { CanonicalRequest } from '../core/canonical.js';
import type { Config } from '../config/schema.js';
import type { Deployment } from '../config/catalog.js';
import type { PromptOptimizationMode, PromptOptimizationPolicies } from '../config/prompt-optimization-schema.js';
import { blockEnds, blocksOfRequest, hasCallerCacheControl, isClaudeModel } from '../promptcache/index.js';
import { unitPrices } from '../promptcache/cost-model.js';
import { capMessageTokens, elideOldToolResults, elisionNetPico, keepHistoryBudget, optimizeLossless, type Elision } from '../promptcache/optimize/index.js';
import type { RequestFeatures } from '../routing/policy/features.js';
import { compileMatch } from '../routing/policy/rules.js';
import { countCanonicalInputTokens, countTextTokens } from '../tokens/count.js';
import { featuresOf, type RequestContext } from './context.js';
import type { PromptCachePlanning } from './prompt-cache.js';
import type { Stage } from './stage.js';

export interface PromptOptimization {
  mode: PromptOptimizationMode;
  rules: ReadonlyArray<{ matches(f: RequestFeatures): boolean; mode: PromptOptimizationMode }>;
}

export function createPromptOptimization(config: Config['promptOptimization']): PromptOptimization {
  return { mode: config.mode, rules: config.rules.map((r) => ({ matches: compileMatch(r.match), mode: r.mode })) };
}

const LOSSLESS: PromptOptimizationPolicies = { lossless: true, cachedPrefix: 'keep' };

export function promptOptimizeStage(opt: PromptOptimization, planning: PromptCachePlanning): Stage {
  return {
    name: 'prompt-optimize',
    run(ctx, next) {
      const mode = opt.rules.length === 0 ? opt.mode : (opt.rules.find((r) => r.matches(featuresOf(ctx)))?.mode ?? opt.mode);
      const d = ctx.deployment;
      if (mode === 'off' || d === undefined) return next(ctx);
      const policies = mode === 'lossless' ? LOSSLESS : mode;
      const before = ctx.request;
      let after = policies.lossless ? optimizeLossless(before, { cachedPrefix: policies.cachedPrefix }) : before;
      const lossy = policies.elideToolResults !== undefined || policies.capMessageTokens !== undefined || policies.historyBudget !== undefined;
      if (lossy && (policies.cachedPrefix === 'optimize' || !hasCallerCacheControl(after))) {
        const count = (text: string): number => countTextTokens(text, d.upstreamModel);
        const elide = policies.elideToolResults;
        if (elide) after = ifItPays(after, elideOldToolResults(after, elide.olderThanSteps, count), d, ctx, planning);
        const capAt = policies.capMessageTokens;
        if (capAt) after = ifItPays(after, capMessageTokens(after, capAt.maxTokens, count), d, ctx, planning);
        const budget = policies.historyBudget;
        if (budget) after = ifItPays(after, keepHistoryBudget(after, budget.maxTokens, count), d, ctx, planning);
      }
      if (after !== before) {
        const removed = countCanonicalInputTokens(before, d.upstreamModel) - countCanonicalInputTokens(after, d.upstreamModel);
        if (removed > 0) {
          ctx.request = after;
          ctx.promptTokensRemoved = removed;
          ctx.technique ??= 'prompt_optimization';
        }
      }
      return next(ctx);
    },
  };
}

const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

/** The lossy rewrite when the elision gate finds it pays against the cache reads it forfeits, else the request. */
function ifItPays(req: CanonicalRequest, elision: Elision | undefined, d: Deployment, ctx: RequestContext, planning: PromptCachePlanning): CanonicalRequest {
  if (!elision) return req;
  const total = countCanonicalInputTokens(req, d.upstreamModel);
  const net = elisionNetPico({
    removedTokens: elision.removedTokens,
    firstEditAt: elision.firstEditAt,
    cachedPrefixTokens: believedCachedTokens(req, d, ctx, planning, total),
    prices: unitPrices(d.pricing, total),
  });
  return net > 0 ? elision.request : req;
}

/**
 * What the provider is believed to hold for this prompt: on Anthropic, the planner's tracker;
 * elsewhere (automatic caching) everything before the last message, i.e. the previous turn.
 */
function believedCachedTokens(req: CanonicalRequest, d: Deployment, ctx: RequestContext, planning: PromptCachePlanning, total: number): number {
  if (d.provider.kind === 'anthropic' && isClaudeModel(d.upstreamModel)) {
    const blocks = blocksOfRequest(req, estimateTokens);
    const cached = planning.planner.tracker.cachedPrefixes(`${d.key}|${ctx.caller.tenant}`, d.upstreamModel, blocks, planning.now());
    const ends = blockEnds(blocks);
    let tokens = 0;
    blocks.forEach((b, i) => {
      if (cached.has(b.hash)) tokens = ends[i]!;
    });
    return tokens;
  }
  const last = req.messages[req.messages.length - 1];
  return last ? total - countCanonicalInputTokens({ ...req, messages: [last], system: [], tools: [] }, d.upstreamModel) : 0;
}
