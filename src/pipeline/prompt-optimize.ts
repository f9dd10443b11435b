// Stage: prompt optimisation, before prompt-cache planning. It picks the route's mode
// (`promptOptimization.rules`, else `.mode`) and rewrites the request without changing its content
// (src/promptcache/optimize). The tokens removed are counted with the routed model's tokenizer;
// pricing adds them back to the baseline, so the saving shows on the ledger row, attributed to
// `prompt_optimization` when no other technique moved the request.
import type { Config } from '../config/schema.js';
import type { PromptOptimizationMode, PromptOptimizationPolicies } from '../config/prompt-optimization-schema.js';
import { optimizeLossless } from '../promptcache/optimize/index.js';
import type { RequestFeatures } from '../routing/policy/features.js';
import { compileMatch } from '../routing/policy/rules.js';
import { countCanonicalInputTokens } from '../tokens/count.js';
import { featuresOf } from './context.js';
import type { Stage } from './stage.js';

export interface PromptOptimization {
  mode: PromptOptimizationMode;
  rules: ReadonlyArray<{ matches(f: RequestFeatures): boolean; mode: PromptOptimizationMode }>;
}

export function createPromptOptimization(config: Config['promptOptimization']): PromptOptimization {
  return { mode: config.mode, rules: config.rules.map((r) => ({ matches: compileMatch(r.match), mode: r.mode })) };
}

const LOSSLESS: PromptOptimizationPolicies = { lossless: true, cachedPrefix: 'keep' };

export function promptOptimizeStage(opt: PromptOptimization): Stage {
  return {
    name: 'prompt-optimize',
    run(ctx, next) {
      const mode = opt.rules.length === 0 ? opt.mode : (opt.rules.find((r) => r.matches(featuresOf(ctx)))?.mode ?? opt.mode);
      const policies = mode === 'off' ? undefined : mode === 'lossless' ? LOSSLESS : mode;
      const d = ctx.deployment;
      if (policies?.lossless !== true || d === undefined) return next(ctx);
      const before = ctx.request;
      const after = optimizeLossless(before, { cachedPrefix: policies.cachedPrefix });
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
