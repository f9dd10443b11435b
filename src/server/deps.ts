import type { Config } from '../config/schema.js';
import type { Catalog } from '../config/catalog.js';
import type { AdapterRegistry } from '../providers/registry.js';
import type { DurableStore, SharedState } from '../storage/types.js';
import type { PolicyConfig } from '../routing/policy/decide.js';
import type { Resilience } from '../pipeline/resilience.js';
import type { CompiledRouter } from '../routing/routers/compile.js';
import type { ResponseCache } from '../pipeline/cache.js';
import type { PrefixChurnDetector } from '../promptcache/churn.js';
import type { PromptCachePlanning } from '../pipeline/prompt-cache.js';
import type { BatchService } from '../batch/service.js';
import type { DeferralRule } from './batch-defer.js';

/** Everything a route handler may use; built once at start-up. */
export interface AppDeps {
  config: Config;
  /** Epoch ms: wall time, or a trace replay's simulated clock. */
  clock: () => number;
  catalog: Catalog;
  policy: PolicyConfig;
  adapters: AdapterRegistry;
  resilience: Resilience;
  responseCache: ResponseCache;
  promptChurn: PrefixChurnDetector;
  promptCache: PromptCachePlanning;
  /** Named routers (`router/<name>`). */
  routers: ReadonlyMap<string, CompiledRouter>;
  store: DurableStore;
  state: SharedState;
  /** Deferrable routes (`batch.deferral.rules`). */
  deferralRules: readonly DeferralRule[];
  /** Batch processing (src/batch); started by the gateway after the rest. */
  batches?: BatchService;
}
