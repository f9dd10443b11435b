// Planned Anthropic prompt caching: the core the gateway stage and `costwise promptcache eval`
// share. Gateway flow: hasCallerCacheControl → blocksOfRequest → AutoCachePlanner.plan →
// applyBreakpoints → (response starts) commit().
export { blocksOfRequest, blockSlots, blockEnds, chainHash, type PromptBlock, type BlockKind, type BlockSlot } from './blocks.js';
export { isClaudeModel, minCacheableTokens } from './models.js';
export { PrefixStats, type PrefixStatsOptions, type PrefixReuse } from './prefix-stats.js';
export type { ReuseEstimate, ReuseModel } from './reuse.js';
export { planBreakpoints, AGGRESSIVE_PREMIUM_FACTOR, type Breakpoint, type BreakpointPlan, type PlanOptions, type PlannerMode } from './planner.js';
export { applyBreakpoints, hasCallerCacheControl } from './apply.js';
export { CacheTracker, type CacheTrackerOptions } from './cache-tracker.js';
export { AutoCachePlanner, type AutoCachePlannerOptions, type AutoPlan, type AutoPlanInput } from './auto.js';
export { decodeEvents, encodeEvents, type PlannerEvent, type ArrivalEvent, type SentEvent } from './observations.js';
export { RedisPlannerSync, type SharedPlannerOptions, type SharedPlannerStats } from './shared-redis.js';
export { TTL_MS, type Ttl } from './cost-model.js';
export { ContinuationModel, type ArrivalSignal, type ContinuationClass } from './continuation.js';
