// Hard constraints: a model that cannot serve a request is never a candidate, whatever a rule,
// a tier or a learned router prefers.
import type { Deployment } from '../../config/catalog.js';
import type { RequestFeatures } from './features.js';

export type Incapability = 'context_window' | 'tools' | 'vision' | 'max_output_tokens' | 'not_chat';

/** Why `deployment` cannot serve the request, or null when it can. */
export function incapability(deployment: Deployment, features: RequestFeatures): Incapability | null {
  const caps = deployment.capabilities;
  if (deployment.kind !== 'chat') return 'not_chat';
  if (features.hasTools && !caps.tools) return 'tools';
  if (features.hasImages && !caps.vision) return 'vision';
  if (caps.maxOutputTokens !== undefined && features.maxOutputTokens !== undefined && features.maxOutputTokens > caps.maxOutputTokens) {
    return 'max_output_tokens';
  }
  if (caps.contextWindow !== undefined && features.promptTokens + (features.maxOutputTokens ?? 0) > caps.contextWindow) {
    return 'context_window';
  }
  return null;
}

export function capableOf(deployments: readonly Deployment[], features: RequestFeatures): Deployment[] {
  return deployments.filter((d) => incapability(d, features) === null);
}
