// What the pipeline's stages use, built once at start-up (src/server/gateway.ts). Each stage
// factory takes only the part it needs.
import type { Catalog } from '../config/catalog.js';
import type { AdapterRegistry } from '../providers/registry.js';
import type { DurableStore } from '../storage/types.js';
import type { PolicyConfig } from '../routing/policy/decide.js';
import type { CompiledRouter } from '../routing/routers/compile.js';
import type { PrefixChurnDetector } from '../promptcache/churn.js';
import type { Resilience } from './resilience.js';
import type { ResponseCache } from './cache.js';
import type { PromptCachePlanning } from './prompt-cache.js';
import type { PromptOptimization } from './prompt-optimize.js';
import type { Governance } from './governance.js';
import type { Telemetry } from '../telemetry/index.js';
import type { ShadowEvaluator } from './shadow.js';
import type { PromptCapture } from './capture.js';

export interface PipelineDeps {
  /** Epoch ms: wall time, or a trace replay's simulated clock. */
  clock: () => number;
  catalog: Catalog;
  policy: PolicyConfig;
  /** Named routers (`router/<name>`). */
  routers: ReadonlyMap<string, CompiledRouter>;
  adapters: AdapterRegistry;
  resilience: Resilience;
  responseCache: ResponseCache;
  promptOptimization: PromptOptimization;
  promptCache: PromptCachePlanning;
  promptChurn: PrefixChurnDetector;
  /** The ledger. */
  store: DurableStore;
  /** Virtual keys, budgets and rate limits. */
  governance: Governance;
  /** Metrics and traces; absent when both are off. */
  telemetry?: Telemetry | undefined;
  /** Shadow evaluation for the advisor (advisor.shadow); absent when off. */
  shadow?: ShadowEvaluator | undefined;
  /** Prompt capture for router training (routing.learn.capturePrompts); absent when off. */
  prompts?: PromptCapture | undefined;
}
