// Reads, validates and resolves the configuration: YAML → zod → cross-references → catalog.
// Every problem is reported with its exact path; nothing is served from an invalid config.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { configSchema, type Config } from './schema.js';
import { DEFAULT_CONFIG } from './defaults.js';
import { resolvePricing } from '../cost/prices.js';
import { dirname, isAbsolute, resolve } from 'node:path';
import { routerModelRefs } from './router-schema.js';
import { KNOWN_EMBEDDING_DIMS } from './embedding-dims.js';
import { describeIssue } from './issues.js';
import { withDefaults } from './extend.js';
import { didYouMean } from './suggest.js';
import { REGIONAL_BASE_URL } from '../providers/cloud-endpoint.js';
import { resolveCloudSettings } from './cloud-settings.js';
import { ENV_REF, resolveSecret } from './secret.js';

export { resolveSecret } from './secret.js';

export { formatPath } from './issues.js';

export class ConfigError extends Error {
  constructor(
    readonly problems: string[],
    readonly file: string,
  ) {
    super(`invalid configuration${file ? ` in ${file}` : ''}:\n` + problems.map((p) => `  - ${p}`).join('\n'));
    this.name = 'ConfigError';
  }
}

const TIER_ORDER = ['cheap', 'mid', 'frontier'] as const;

const DEFAULT_KEY_ENV: Record<string, string[]> = {
  openai: ['OPENAI_API_KEY'],
  anthropic: ['ANTHROPIC_API_KEY'],
  gemini: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'],
  'openai-compatible': [],
  'azure-openai': ['AZURE_OPENAI_API_KEY'],
  bedrock: [],
  vertex: [],
};

const DEFAULT_BASE_URL: Record<string, string | undefined> = {
  openai: 'https://api.openai.com',
  anthropic: 'https://api.anthropic.com',
  gemini: 'https://generativelanguage.googleapis.com',
  'openai-compatible': undefined,
  'azure-openai': undefined,
  // `{region}` is filled per deployment by the adapter (src/providers/cloud-endpoint.ts).
  bedrock: REGIONAL_BASE_URL.bedrock,
  vertex: REGIONAL_BASE_URL.vertex,
};

/** `models[i]` or `addModels[j]`: where entry `i` of the combined list was written. */
function entryPath(list: 'providers' | 'models', baseCount: number, i: number): string {
  const add = list === 'providers' ? 'addProviders' : 'addModels';
  return i < baseCount ? `${list}[${i}]` : `${add}[${i - baseCount}]`;
}

const arrayAt = (raw: unknown, key: string): unknown[] => {
  const v = (raw as Record<string, unknown> | null)?.[key];
  return Array.isArray(v) ? v : [];
};

function unknownProviderRefs(raw: unknown): string[] {
  const providers = [...arrayAt(raw, 'providers'), ...arrayAt(raw, 'addProviders')];
  const names = providers.map((p: unknown) => (p as { name?: unknown } | null)?.name).filter((n): n is string => typeof n === 'string');
  const baseModels = arrayAt(raw, 'models').length;
  const out: string[] = [];
  [...arrayAt(raw, 'models'), ...arrayAt(raw, 'addModels')].forEach((m: unknown, i) => {
    const provider = (m as { provider?: unknown } | null)?.provider;
    if (typeof provider === 'string' && !names.includes(provider)) out.push(unknownProvider(entryPath('models', baseModels, i), provider, names));
  });
  return out;
}

function unknownProvider(path: string, provider: string, known: string[]): string {
  return `${path}.provider: unknown provider "${provider}" (known: ${known.map((n) => `"${n}"`).join(', ')})${didYouMean(provider, known)}`;
}

export interface LoadedConfig {
  config: Config;
  /** Path of the file read, or '' for the embedded default. */
  source: string;
}

export function parseConfig(raw: unknown, source: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const parsed = configSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    // Report reference errors too, so one run shows every problem.
    throw new ConfigError([...parsed.error.issues.flatMap((issue) => describeIssue(issue, configSchema)), ...unknownProviderRefs(raw)], source);
  }
  const { addProviders, addModels, ...rest } = parsed.data;
  const config: Config = { ...rest, providers: [...rest.providers, ...addProviders], models: [...rest.models, ...addModels] };
  const providerPath = (i: number): string => entryPath('providers', rest.providers.length, i);
  const modelPath = (i: number): string => entryPath('models', rest.models.length, i);
  const problems: string[] = [];

  const providerNames = new Map<string, number>();
  config.providers.forEach((p, i) => {
    if (providerNames.has(p.name)) problems.push(`${providerPath(i)}.name: duplicate provider "${p.name}" (also ${providerPath(providerNames.get(p.name)!)})`);
    providerNames.set(p.name, i);
    if (!p.baseUrl && p.kind === 'azure-openai' && p.resource) p.baseUrl = `https://${p.resource}.openai.azure.com`;
    if (!p.baseUrl) {
      const fallback = DEFAULT_BASE_URL[p.kind];
      if (fallback) p.baseUrl = fallback;
      else problems.push(`${providerPath(i)}.baseUrl: required for kind "${p.kind}"${p.kind === 'azure-openai' ? ' (or give resource)' : ''}`);
    } else if (p.baseUrl !== 'emulator') {
      try {
        const u = new URL(p.baseUrl);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('protocol');
      } catch {
        problems.push(`${providerPath(i)}.baseUrl: not an http(s) URL: "${p.baseUrl}"`);
      }
    }
    const key = resolveSecret(p.apiKey, env) ?? DEFAULT_KEY_ENV[p.kind]!.map((v) => env[v]).find(Boolean);
    if (p.apiKey && ENV_REF.test(p.apiKey) && key === undefined) {
      problems.push(`${providerPath(i)}.apiKey: environment variable ${p.apiKey.slice(2, -1)} is not set`);
    }
    if (key !== undefined) p.apiKey = key;
    else delete p.apiKey;
    problems.push(...resolveCloudSettings(p, providerPath(i), env));
  });

  const modelNames = new Map<string, number>();
  const deploymentIds = new Map<string, number>();
  config.models.forEach((m, i) => {
    const first = modelNames.get(m.name);
    if (first === undefined) modelNames.set(m.name, i);
    else if (config.models[first]!.kind !== m.kind)
      problems.push(
        `${modelPath(i)}.kind: "${m.name}" is a ${config.models[first]!.kind} model in ${modelPath(first)}; deployments of one model share its kind`,
      );
    const id = `${m.name}\u0000${m.provider}\u0000${m.region ?? ''}\u0000${m.upstreamModel ?? m.name}\u0000${m.serviceTier ?? ''}`;
    if (deploymentIds.has(id))
      problems.push(
        `${modelPath(i)}: duplicate deployment of "${m.name}" (also ${modelPath(deploymentIds.get(id)!)}); deployments of one model differ in provider, region or upstreamModel`,
      );
    deploymentIds.set(id, i);
    const pi = providerNames.get(m.provider);
    if (pi === undefined) {
      problems.push(unknownProvider(modelPath(i), m.provider, [...providerNames.keys()]));
      return;
    }
    const provider = config.providers[pi]!;
    if (m.api === 'responses' && provider.kind !== 'openai' && provider.kind !== 'openai-compatible') {
      problems.push(`models[${i}].api: "responses" needs an openai or openai-compatible provider; "${m.provider}" is ${provider.kind}`);
    }
    if (m.api === 'invoke' && (provider.kind !== 'bedrock' || !/(^|\.)anthropic\.claude-/.test(m.upstreamModel ?? m.name))) {
      problems.push(
        `${modelPath(i)}.api: "invoke" needs a bedrock provider and an anthropic.claude-… model; "${m.provider}" is ${provider.kind}, the model ${m.upstreamModel ?? m.name}`,
      );
    }
    if (m.deployment !== undefined && provider.kind !== 'azure-openai') {
      problems.push(`${modelPath(i)}.deployment: only azure-openai providers have deployments; "${m.provider}" is ${provider.kind}`);
    }
    if (m.serviceTier !== undefined && provider.kind !== 'openai' && provider.kind !== 'azure-openai') {
      problems.push(`${modelPath(i)}.serviceTier: only openai and azure-openai providers have service tiers; "${m.provider}" is ${provider.kind}`);
    }
    if (m.serviceTier === 'priority' && m.pricing === undefined) {
      problems.push(`${modelPath(i)}.pricing: required with serviceTier "priority" (genai-prices has no priority prices)`);
    }
    if (provider.kind === 'bedrock' && m.region === undefined && provider.region === undefined) {
      problems.push(`${modelPath(i)}.region: required for bedrock provider "${m.provider}", which has no region`);
    }
    if (!resolvePricing(provider.kind, m.upstreamModel ?? m.name, m.pricing)) {
      problems.push(
        `${modelPath(i)}.pricing: no list price known for "${m.upstreamModel ?? m.name}" on ${provider.kind}; set pricing: {input, output} in USD per million tokens`,
      );
    }
  });

  config.routing.rules.forEach((rule, i) => {
    const target = rule.route;
    if ('model' in target && !modelNames.has(target.model)) problems.push(`routing.rules[${i}].route.model: unknown model "${target.model}"`);
    if ('router' in target && config.routing.routers[target.router] === undefined) {
      const known =
        Object.keys(config.routing.routers)
          .map((n) => `"${n}"`)
          .join(', ') || 'none configured';
      problems.push(`routing.rules[${i}].route.router: unknown router "${target.router}" (known: ${known})`);
    }
    if ('tier' in target && !config.models.some((m) => m.tier !== undefined && TIER_ORDER.indexOf(m.tier) >= TIER_ORDER.indexOf(target.tier))) {
      problems.push(`routing.rules[${i}].route.tier: no model has tier "${target.tier}" or a higher one`);
    }
  });

  for (const [model, chain] of Object.entries(config.routing.fallbacks)) {
    if (!modelNames.has(model)) problems.push(`routing.fallbacks.${model}: unknown model "${model}"`);
    chain.forEach((target, j) => {
      if (!modelNames.has(target)) problems.push(`routing.fallbacks.${model}[${j}]: unknown model "${target}"`);
      else if (target === model) problems.push(`routing.fallbacks.${model}[${j}]: a model cannot fall back to itself`);
    });
  }

  for (const [name, router] of Object.entries(config.routing.routers)) {
    for (const ref of routerModelRefs(name, router)) if (!modelNames.has(ref.model)) problems.push(`${ref.path}: unknown model "${ref.model}"`);
    // A model file path is relative to the config file; stored absolute for the gateway.
    if (router.kind === 'learned' && router.model !== 'default' && !isAbsolute(router.model)) {
      router.model = resolve(source ? dirname(source) : process.cwd(), router.model);
    }
  }

  const outcomes = config.emulator.outcomes;
  if (outcomes) {
    for (const model of Object.keys(outcomes.models)) if (!modelNames.has(model)) problems.push(`emulator.outcomes.models.${model}: unknown model "${model}"`);
    // Relative to the config file, like a router's model file.
    if (outcomes.files) outcomes.files = outcomes.files.map((f) => (isAbsolute(f) ? f : resolve(source ? dirname(source) : process.cwd(), f)));
  }

  const calibration = config.cache.semantic.calibration;
  if (calibration !== undefined && !isAbsolute(calibration)) config.cache.semantic.calibration = resolve(source ? dirname(source) : process.cwd(), calibration);

  const embedder = config.cache.semantic.embedder;
  if (typeof embedder === 'object') {
    const m = config.models.find((x) => x.name === embedder.model);
    if (!m || m.kind !== 'embedding') problems.push(`cache.semantic.embedder.model: "${embedder.model}" is not an embedding model in the catalog`);
    else if (embedder.dimensions === undefined && KNOWN_EMBEDDING_DIMS[m.upstreamModel ?? m.name] === undefined) {
      problems.push(`cache.semantic.embedder.dimensions: required for "${embedder.model}" (its vector width is not known to costwise)`);
    }
  }

  const redisUrl = resolveSecret(config.cache.redisUrl, env);
  if (redisUrl === undefined) problems.push(`cache.redisUrl: environment variable ${config.cache.redisUrl.slice(2, -1)} is not set`);
  else config.cache.redisUrl = redisUrl;

  const ledger = config.storage.ledger;
  if (ledger.kind === 'postgres') {
    const url = resolveSecret(ledger.url, env);
    if (url === undefined || url === '') problems.push(`storage.ledger.url: environment variable ${ledger.url.slice(2, -1)} is not set`);
    else ledger.url = url;
  }

  const state = config.storage.state;
  if (state.kind === 'redis') {
    const url = resolveSecret(state.url, env);
    if (url === undefined) problems.push(`storage.state.url: environment variable ${state.url.slice(2, -1)} is not set`);
    else state.url = url;
  }

  const adminKey = resolveSecret(config.server.adminKey, env) ?? env['COSTWISE_ADMIN_KEY'];
  if (adminKey !== undefined && adminKey !== '') config.server.adminKey = adminKey;
  else delete config.server.adminKey;

  if (problems.length) throw new ConfigError(problems, source);
  return { config, source };
}

export function loadConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  if (!file) return parseConfig(withDefaults({}, DEFAULT_CONFIG), '', env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`cannot read file: ${(err as Error).message}`], file);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError([`YAML syntax: ${(err as Error).message.split('\n')[0]}`], file);
  }
  return parseConfig(withDefaults(raw ?? {}, DEFAULT_CONFIG), file, env);
}
