// Which model serves a request type: the named model, or the gateway's own tier choice (the
// cheapest capable model of the tier, moving up a tier when none can serve).
import type { Deployment } from '../config/catalog.js';
import type { RequestFeatures } from '../routing/policy/features.js';
import { pickInTier } from '../routing/policy/tiers.js';
import type { RequestType } from './scenario.js';

export function featuresOf(t: Pick<RequestType, 'name' | 'inputTokens' | 'outputTokens' | 'tools' | 'images'>): RequestFeatures {
  return {
    model: t.name,
    tenant: '',
    tags: [],
    promptTokens: t.inputTokens,
    maxOutputTokens: t.outputTokens,
    hasTools: t.tools,
    hasImages: t.images,
    hasJsonSchema: false,
    lastUserText: '',
  };
}

/** The serving deployment, or undefined when no available model can serve the type. */
export function servingModel(t: RequestType, available: readonly Deployment[]): Deployment | undefined {
  if (t.serve.kind === 'model') return t.serve.model;
  return pickInTier(available, t.serve.tier, featuresOf(t))?.deployment;
}
