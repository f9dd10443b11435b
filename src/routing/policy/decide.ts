// The rule-and-tier part of routing: which model serves a request, and why.
//   1. a rule that matches decides the target (a model, a tier or a named router);
//   2. else an explicit catalog model is honoured;
//   3. else `auto` (or a tier name) goes to the cheapest capable model of the default tier.
// Capability constraints are hard at every step: an incapable model is never chosen; a target
// that cannot serve moves up a tier or, for an explicit model, is reported as unservable.
import type { Catalog, Deployment } from '../../config/catalog.js';
import { incapability, type Incapability } from './capabilities.js';
import type { RequestFeatures } from './features.js';
import type { RouteTarget } from '../../config/rule-schema.js';
import { firstMatch, type CompiledRule } from './rules.js';
import { pickInTier, TIERS, type Tier } from './tiers.js';

export interface PolicyConfig {
  rules: readonly CompiledRule[];
  /** Tier used for `model: "auto"` when no rule matches. */
  defaultTier: Tier;
}

export type Decision =
  | { kind: 'serve'; deployment: Deployment; reason: string }
  /** Hand the request to a named router (learned, cascade) with this reason so far. */
  | { kind: 'router'; router: string; reason: string }
  | { kind: 'unservable'; model: string; why: Incapability | 'unknown_model' | 'no_capable_model'; reason: string };

export function decide(features: RequestFeatures, catalog: Catalog, policy: PolicyConfig): Decision {
  const rule = firstMatch(policy.rules, features);
  if (rule) return toTarget(rule.route, features, catalog, `rule:${rule.name}`);
  if (features.model === 'auto') return toTarget({ tier: policy.defaultTier }, features, catalog, 'auto');
  if ((TIERS as readonly string[]).includes(features.model)) return toTarget({ tier: features.model as Tier }, features, catalog, `tier:${features.model}`);
  if (features.model.startsWith('router/')) return { kind: 'router', router: features.model.slice('router/'.length), reason: 'requested' };
  return toTarget({ model: features.model }, features, catalog, 'requested');
}

function toTarget(target: RouteTarget, f: RequestFeatures, catalog: Catalog, reason: string): Decision {
  if ('router' in target) return { kind: 'router', router: target.router, reason };
  if ('tier' in target) {
    const picked = pickInTier(catalog.list(), target.tier, f);
    if (!picked) return { kind: 'unservable', model: `tier:${target.tier}`, why: 'no_capable_model', reason };
    const moved = picked.tier !== target.tier ? `(${target.tier}->${picked.tier})` : '';
    return { kind: 'serve', deployment: picked.deployment, reason: `${reason}${moved}->${picked.deployment.name}` };
  }
  const d = catalog.get(target.model);
  if (!d) return { kind: 'unservable', model: target.model, why: 'unknown_model', reason };
  const why = incapability(d, f);
  if (why) return { kind: 'unservable', model: d.name, why, reason };
  return { kind: 'serve', deployment: d, reason: reason === 'requested' ? 'requested' : `${reason}->${d.name}` };
}
