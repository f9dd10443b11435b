// Scenario input → Scenario: catalog cross-references (models, tiers, naive models), assumption
// defaults merged per type, the month-by-month volume. Every problem is reported with its path.
import type { Catalog, Deployment } from '../config/catalog.js';
import { TIERS } from '../routing/policy/tiers.js';
import { servingModel } from './route.js';
import type { AssumptionsInput, ScenarioInput } from './schema.js';
import {
  DEFAULT_SCALE_FACTORS,
  NO_ASSUMPTIONS,
  RESPONSE_CACHE_TTL_SECONDS,
  type Assumptions,
  type RequestType,
  type Scenario,
  type Serve,
} from './scenario.js';

export type Resolution = { ok: true; scenario: Scenario } | { ok: false; problems: string[] };

function mergeAssumptions(base: Assumptions, over: AssumptionsInput | undefined): Assumptions {
  if (!over) return base;
  return {
    promptOptimization: over.prompt_optimization ?? base.promptOptimization,
    exactHitRate: over.response_cache?.exact_hit_rate ?? base.exactHitRate,
    semanticHitRate: over.response_cache?.semantic_hit_rate ?? base.semanticHitRate,
    prefixShare: over.prompt_cache?.prefix_share ?? base.prefixShare,
    reuseRate: over.prompt_cache?.reuse_rate ?? base.reuseRate,
    ttl: over.prompt_cache?.ttl ?? base.ttl,
    batchableShare: over.batchable_share ?? base.batchableShare,
    exactPopularity: over.response_cache?.popularity
      ? {
          zipfExponent: over.response_cache.popularity.zipf_exponent,
          catalogueSize: over.response_cache.popularity.catalogue_size,
          ttlSeconds: over.response_cache.popularity.ttl_seconds ?? RESPONSE_CACHE_TTL_SECONDS,
        }
      : base.exactPopularity,
    prefixPopularity: over.prompt_cache?.popularity
      ? { zipfExponent: over.prompt_cache.popularity.zipf_exponent, catalogueSize: over.prompt_cache.popularity.catalogue_size }
      : base.prefixPopularity,
  };
}

/** Requests per month at scale 1, unrounded: the explicit list, or launch compounded by growth. */
export function monthlyVolume(input: ScenarioInput): number[] {
  const v = input.volume;
  if (v.monthly) return [...v.monthly];
  const months = input.months ?? 1;
  const out: number[] = [v.launch ?? 0];
  for (let m = 1; m < months; m++) {
    const g = Array.isArray(v.growth) ? v.growth[m - 1]! : (v.growth ?? 0);
    out.push(out[m - 1]! * (1 + g));
  }
  return out;
}

function volumeNote(input: ScenarioInput): string {
  const v = input.volume;
  if (v.monthly) return `month by month: ${v.monthly.join(', ')}`;
  const g = v.growth;
  const growth =
    g === undefined
      ? 'no growth'
      : typeof g === 'number'
        ? `${+(g * 100).toFixed(4)}% a month`
        : `growth by month: ${g.map((x) => `${+(x * 100).toFixed(4)}%`).join(', ')}`;
  return `${v.launch} requests in month 1, ${growth}`;
}

export function resolveScenario(input: ScenarioInput, catalog: Catalog, catalogSource: string): Resolution {
  const problems: string[] = [];
  const chat = catalog.list().filter((d) => d.kind === 'chat');
  const known = (): string => chat.map((d) => d.name).join(', ');
  const lookup = (model: string, path: string): Deployment | undefined => {
    const d = catalog.get(model);
    if (!d) problems.push(`${path}: unknown model "${model}" (known: ${known()})`);
    else if (d.kind !== 'chat') problems.push(`${path}: "${model}" is an ${d.kind} model, not a chat model`);
    else return d;
    return undefined;
  };

  let available = chat.filter((d) => d.tier !== undefined);
  if (input.models) {
    available = [];
    input.models.forEach((m, i) => {
      const d = lookup(m, `models[${i}]`);
      if (d) available.push(d);
    });
  }
  const naiveDefault = input.naive_model !== undefined ? lookup(input.naive_model, 'naive_model') : undefined;
  const defaults = mergeAssumptions({ ...NO_ASSUMPTIONS }, input.assumptions);

  const types: RequestType[] = [];
  input.mix.forEach((t, i) => {
    const at = `mix[${i}]`;
    let naive: Deployment | undefined;
    if (t.naive_model !== undefined) naive = lookup(t.naive_model, `${at}.naive_model`);
    else if (input.naive_model === undefined) problems.push(`${at}.naive_model: required (no top-level naive_model to default to)`);
    else naive = naiveDefault;

    let serve: Serve | undefined;
    if (t.serve.model !== undefined) {
      const d = lookup(t.serve.model, `${at}.serve.model`);
      if (d && input.models && !input.models.includes(d.name))
        problems.push(`${at}.serve.model: "${d.name}" is not in models (the models available for routing)`);
      else if (d) serve = { kind: 'model', model: d };
    } else if (t.serve.tier !== undefined) {
      const tier = t.serve.tier;
      const from = TIERS.indexOf(tier);
      if (!available.some((d) => d.tier !== undefined && TIERS.indexOf(d.tier) >= from)) {
        problems.push(`${at}.serve.tier: no available model has tier "${tier}" or a higher one`);
      } else serve = { kind: 'tier', tier };
    }
    const assumptions = mergeAssumptions(defaults, t.assumptions);
    if (assumptions.exactHitRate + assumptions.semanticHitRate > 1 + 1e-9) {
      problems.push(`${at}.assumptions.response_cache: exact_hit_rate + semantic_hit_rate (with the defaults) must not exceed 1`);
    }
    if (!naive || !serve) return;
    const type: RequestType = {
      name: t.name,
      share: t.share,
      inputTokens: t.input_tokens,
      outputTokens: t.output_tokens,
      serve,
      naive,
      tools: t.tools ?? false,
      images: t.images ?? false,
      assumptions,
    };
    if (!servingModel(type, available)) {
      problems.push(
        `${at}.serve.tier: no available model of tier "${t.serve.tier}" or higher can serve ${t.input_tokens} input + ${t.output_tokens} output tokens${type.tools ? ' with tools' : ''}${type.images ? ' with images' : ''}`,
      );
    } else types.push(type);
  });

  if (problems.length) return { ok: false, problems };
  return {
    ok: true,
    scenario: {
      name: input.name,
      description: input.description ?? '',
      monthlyVolume: monthlyVolume(input),
      volumeNote: volumeNote(input),
      volumeSpec: input.volume.monthly
        ? { kind: 'monthly', monthly: [...input.volume.monthly] }
        : { kind: 'growth', launch: input.volume.launch ?? 0, growth: input.volume.growth ?? 0 },
      types,
      available,
      reuseGrowsWithVolume: input.reuse_grows_with_volume ?? false,
      scaleFactors: input.scale_factors ?? [...DEFAULT_SCALE_FACTORS],
      catalogSource,
    },
  };
}
