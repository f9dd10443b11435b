// The catalog: every servable model with its provider, capabilities and prices, resolved once.
import type { Config, ModelEntry } from './schema.js';
import type { ProviderConfig } from '../providers/types.js';
import { resolvePricing, type ModelPricing } from '../cost/prices.js';

export interface Deployment {
  /** Public name callers use. */
  name: string;
  kind: ModelEntry['kind'];
  provider: ProviderConfig;
  upstreamModel: string;
  tier: ModelEntry['tier'];
  region: string | undefined;
  capabilities: ModelEntry['capabilities'];
  pricing: ModelPricing;
}

export interface Catalog {
  get(name: string): Deployment | undefined;
  list(): Deployment[];
}

/** `emulatorUrl` replaces the `emulator` base URL of embedded providers. */
export function buildCatalog(config: Config, emulatorUrl?: string): Catalog {
  const providers = new Map<string, ProviderConfig>();
  for (const p of config.providers) {
    const baseUrl = p.baseUrl === 'emulator' ? emulatorUrl : p.baseUrl;
    if (!baseUrl) throw new Error(`provider ${p.name} uses the emulator but none is running`);
    providers.set(p.name, {
      name: p.name,
      kind: p.kind,
      baseUrl,
      ...(p.apiKey !== undefined ? { apiKey: p.apiKey } : {}),
      headers: p.headers,
      timeoutMs: p.timeoutMs,
      connections: p.connections,
    });
  }
  const byName = new Map<string, Deployment>();
  for (const m of config.models) {
    const provider = providers.get(m.provider)!;
    const upstreamModel = m.upstreamModel ?? m.name;
    byName.set(m.name, {
      name: m.name,
      kind: m.kind,
      provider,
      upstreamModel,
      tier: m.tier,
      region: m.region,
      capabilities: m.capabilities,
      pricing: resolvePricing(provider.kind, upstreamModel, m.pricing)!,
    });
  }
  const all = [...byName.values()];
  return { get: (name) => byName.get(name), list: () => all };
}

export function usesEmulator(config: Config): boolean {
  return config.providers.some((p) => p.baseUrl === 'emulator');
}
