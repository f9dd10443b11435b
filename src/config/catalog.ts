// The catalog: every servable model with its deployments, capabilities and prices, resolved once.
// A public model may have several deployments (providers, regions, keys at different prices):
// routing picks the model, dispatch picks and falls back among its deployments.
import type { Config, ModelEntry } from './schema.js';
import type { ProviderConfig, UpstreamTarget } from '../providers/types.js';
import { resolvePricing, type ModelPricing } from '../cost/prices.js';
import { batchPricing } from '../cost/batch.js';

export interface Deployment {
  /** Public name callers use. */
  name: string;
  /** Unique among all deployments: `name@provider[/region]` (plus `#n` when that repeats). */
  key: string;
  kind: ModelEntry['kind'];
  provider: ProviderConfig;
  upstreamModel: string;
  tier: ModelEntry['tier'];
  region: string | undefined;
  weight: number;
  capabilities: ModelEntry['capabilities'];
  pricing: ModelPricing;
  /** The API the deployment is called through (`models[].api`): OpenAI's chat or responses, Bedrock's invoke (chat means Converse there). */
  api: 'chat' | 'responses' | 'invoke';
  /** What adapters are given: provider, upstream model and, where set, API, Azure deployment, region and service tier. */
  target: UpstreamTarget;
  /** A flex-tier deployment: the same deployment at the default tier and price, where a request goes when flex has no capacity. */
  defaultTier?: Deployment;
  /** A default-tier deployment: its flex-tier twin (same provider, upstream model, region, API), where deferrable requests go. */
  flexTier?: Deployment;
}

export interface Catalog {
  /** The model's primary deployment (listed first): its public face for routing and baselines. */
  get(name: string): Deployment | undefined;
  /** Every deployment of a public model, in config order; empty when unknown. */
  deployments(name: string): readonly Deployment[];
  /** One primary deployment per public model. */
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
      contextCache: p.contextCache,
      ...(p.apiVersion !== undefined ? { apiVersion: p.apiVersion } : {}),
      ...(p.entraToken !== undefined ? { entraToken: p.entraToken } : {}),
      ...(p.region !== undefined ? { region: p.region } : {}),
      ...(p.project !== undefined ? { project: p.project } : {}),
      ...(p.aws !== undefined && 'accessKeyId' in p.aws ? { aws: p.aws } : {}),
      ...(p.aws !== undefined && 'profile' in p.aws ? { awsProfile: p.aws.profile } : {}),
      ...(p.googleCredentialsFile !== undefined ? { googleCredentialsFile: p.googleCredentialsFile } : {}),
    });
  }
  const byName = new Map<string, Deployment[]>();
  const keys = new Set<string>();
  for (const m of config.models) {
    const provider = providers.get(m.provider)!;
    const upstreamModel = m.upstreamModel ?? m.name;
    const base = `${m.name}@${provider.name}${m.region ? `/${m.region}` : ''}${m.serviceTier ? `~${m.serviceTier}` : ''}`;
    let key = base;
    for (let n = 2; keys.has(key); n++) key = `${base}#${n}`;
    keys.add(key);
    const deployment: Deployment = {
      name: m.name,
      key,
      kind: m.kind,
      provider,
      upstreamModel,
      tier: m.tier,
      region: m.region,
      weight: m.weight,
      capabilities: m.capabilities,
      pricing: tierPricing(m, resolvePricing(provider.kind, upstreamModel, m.pricing)!),
      api: m.api ?? 'chat',
      target: {
        provider,
        upstreamModel,
        ...(m.api === 'responses' || m.api === 'invoke' ? { api: m.api } : {}),
        ...(m.deployment !== undefined ? { deployment: m.deployment } : {}),
        ...(m.region !== undefined ? { region: m.region } : {}),
        ...(m.serviceTier !== undefined ? { serviceTier: m.serviceTier } : {}),
      },
    };
    if (m.serviceTier === 'flex') {
      const { serviceTier: _flex, ...defaultTarget } = deployment.target;
      const defaultKey = `${key.replace(/~flex/, '')}~default`;
      deployment.defaultTier = {
        ...deployment,
        key: defaultKey,
        pricing: resolvePricing(provider.kind, upstreamModel) ?? deployment.pricing,
        target: defaultTarget,
      };
      delete deployment.defaultTier.defaultTier;
    }
    const list = byName.get(m.name);
    if (list) list.push(deployment);
    else byName.set(m.name, [deployment]);
  }
  linkFlexTwins([...byName.values()].flat());
  const primaries = [...byName.values()].map((list) => list[0]!);
  const none: readonly Deployment[] = Object.freeze([]);
  return {
    get: (name) => byName.get(name)?.[0],
    deployments: (name) => byName.get(name) ?? none,
    list: () => primaries,
  };
}

/** The same upstream call but for its service tier. */
function callKey(d: Deployment): string {
  const t = d.target;
  return [d.provider.name, t.upstreamModel, t.region ?? '', t.deployment ?? '', t.api ?? ''].join('\u0000');
}

function linkFlexTwins(all: readonly Deployment[]): void {
  const flex = new Map<string, Deployment>();
  for (const d of all) if (d.target.serviceTier === 'flex' && !flex.has(callKey(d))) flex.set(callKey(d), d);
  if (flex.size === 0) return;
  for (const d of all) {
    if (d.target.serviceTier !== undefined) continue;
    const twin = flex.get(callKey(d));
    if (twin) d.flexTier = twin;
  }
}

/** Flex bills at the batch price (OpenAI: "priced at Batch API rates"), unless the config gives the flex price itself. */
function tierPricing(m: ModelEntry, pricing: ModelPricing): ModelPricing {
  return m.serviceTier === 'flex' && m.pricing === undefined ? batchPricing(pricing) : pricing;
}

export function usesEmulator(config: Config): boolean {
  return config.providers.some((p) => p.baseUrl === 'emulator');
}
