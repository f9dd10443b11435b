// Regional endpoints of the cloud providers. A Bedrock or Vertex provider without a base URL gets
// a template with `{region}`, filled per deployment (a cross-region inference profile is called in
// its own source region). Each filled-in provider is made once and reused, so the HTTP layer keeps
// one pool per regional origin.
import type { ProviderConfig, UpstreamTarget } from './types.js';

export const REGIONAL_BASE_URL = {
  bedrock: 'https://bedrock-runtime.{region}.amazonaws.com',
  vertex: 'https://{region}-aiplatform.googleapis.com',
} as const;

/** Vertex's `global` location has no region in its host name. */
const VERTEX_GLOBAL = 'https://aiplatform.googleapis.com';

const regional = new Map<string, ProviderConfig>();

/** The deployment's region, else the provider's (config load guarantees one for Bedrock). */
export function regionOf(target: UpstreamTarget): string {
  return target.region ?? target.provider.region ?? 'global';
}

/** The provider with its base URL for the target's region (the provider itself when it has a fixed base URL). */
export function regionalProvider(target: UpstreamTarget): ProviderConfig {
  const provider = target.provider;
  if (!provider.baseUrl.includes('{region}')) return provider;
  const region = regionOf(target);
  const key = `${provider.name}\u0000${region}\u0000${provider.baseUrl}`;
  let filled = regional.get(key);
  if (filled === undefined) {
    const baseUrl = provider.kind === 'vertex' && region === 'global' ? VERTEX_GLOBAL : provider.baseUrl.replace('{region}', region);
    filled = { ...provider, baseUrl };
    regional.set(key, filled);
  }
  return filled;
}
