// The ordered deployments a request may be sent to: the routed model's deployments, best first by
// the balancing strategy (with prefix affinity), then each configured fallback model's; only
// deployments able to serve the request; those behind an open breaker last (skipped unless
// their cool-down has passed, and they give the 503 its retry-after), and those a provider rate
// limit holds back after the rest (still tried: the provider may have room by then).
import type { CanonicalRequest } from '../core/canonical.js';
import type { Catalog, Deployment } from '../config/catalog.js';
import { incapability } from '../routing/policy/capabilities.js';
import type { RequestFeatures } from '../routing/policy/features.js';
import { expectedCostPico } from '../routing/policy/tiers.js';
import { affinityKey, rankDeployments } from '../routing/resilience/index.js';
import type { Resilience } from './resilience.js';

/** Characters of each prefix part hashed into the affinity key: enough to tell prompts apart. */
const PREFIX_CHARS = 4096;

export function candidateDeployments(model: Deployment, request: CanonicalRequest, features: RequestFeatures, catalog: Catalog, res: Resilience): Deployment[] {
  const out: Deployment[] = [];
  const unhealthy: Deployment[] = [];
  let key: string | undefined;
  const add = (name: string): void => {
    const all = catalog.deployments(name).filter((d) => !out.includes(d) && incapability(d, features) === null);
    if (all.length === 1) {
      if (res.breaker.isAvailable(all[0]!.key) && !res.throttle.isThrottled(all[0]!.key)) out.push(all[0]!);
      else unhealthy.push(all[0]!);
      return;
    }
    if (res.affinity && key === undefined) key = requestAffinityKey(request, features.tenant);
    const ranked = rankDeployments(all, res.balance, key !== undefined ? { affinityKey: key } : {}, {
      random: res.deps.random,
      isHealthy: (k) => res.breaker.isAvailable(k) && !res.throttle.isThrottled(k),
      stats: res.load,
      cost: (d) => expectedCostPico(d, features),
    });
    out.push(...ranked);
    for (const d of all) if (!ranked.includes(d)) unhealthy.push(d);
  };
  add(model.name);
  for (const name of res.fallbacks[model.name] ?? []) add(name);
  for (const d of unhealthy) if (!out.includes(d)) out.push(d);
  return out;
}

/**
 * The tenant plus the stable head of the prompt (system, tool names, first message): requests
 * that share it share a provider-side prompt cache, so they should share a deployment.
 */
export function requestAffinityKey(request: CanonicalRequest, tenant: string): string {
  let system = '';
  for (const part of request.system) {
    system += part.text;
    if (system.length >= PREFIX_CHARS) break;
  }
  let tools = '';
  for (const tool of request.tools ?? []) tools += tool.name + ',';
  let first = '';
  const head = request.messages[0];
  if (head) for (const part of head.content) if (part.type === 'text') first += part.text;
  return affinityKey([tenant, system.slice(0, PREFIX_CHARS), tools, system || tools ? '' : first.slice(0, PREFIX_CHARS)]);
}
