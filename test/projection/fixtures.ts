// A two-model catalog at round prices (so the hand arithmetic in the tests stays readable) and the
// small scenario the hand-computed tests use, written to a temporary directory.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { TECHNIQUES } from '../../src/projection/engine.js';
import type { ReportJson } from '../../src/projection/report/model.js';
import { scenarioSchema, type AssumptionsInput, type RequestTypeInput, type ScenarioInput } from '../../src/projection/schema.js';
import { parseJson, shaped } from '../helpers/json.js';

// USD per million tokens. Both on an Anthropic-kind provider: batch API at 50%, 5m writes at 1.25×.
export const CONFIG_YAML = `
providers:
  - { name: anthropic, kind: anthropic, baseUrl: emulator, apiKey: test }
models:
  - { name: big, provider: anthropic, tier: frontier, pricing: { input: 3, output: 15, cacheRead: 0.3, cacheWrite5m: 3.75, cacheWrite1h: 6 } }
  - { name: small, provider: anthropic, tier: cheap, pricing: { input: 1, output: 5, cacheRead: 0.1, cacheWrite5m: 1.25, cacheWrite1h: 2 } }
`;

type PromptCacheInput = NonNullable<AssumptionsInput['prompt_cache']>;
type ResponseCacheInput = NonNullable<AssumptionsInput['response_cache']>;

/**
 * The hand-computed scenario's type: a scenario file, with its two request types as a pair and the
 * first one's assumptions spelled out, so a test can change any of them without a check.
 */
export interface HandScenario extends ScenarioInput {
  mix: [RequestTypeInput & { assumptions: AssumptionsInput & { prompt_cache: PromptCacheInput; response_cache: ResponseCacheInput } }, RequestTypeInput];
}

/** The hand-computed scenario: 2 months (1,000 then 2,000 requests), 2 request types. */
export function handScenario(): HandScenario {
  return {
    name: 'hand-computed',
    config: 'costwise.yaml',
    months: 2,
    volume: { launch: 1000, growth: 1 },
    naive_model: 'big',
    scale_factors: [1, 3],
    mix: [
      {
        name: 'faq',
        share: 0.6,
        input_tokens: 1000,
        output_tokens: 200,
        serve: { tier: 'cheap' },
        assumptions: {
          prompt_optimization: 0.1,
          response_cache: { exact_hit_rate: 0.1, semantic_hit_rate: 0.1 },
          prompt_cache: { prefix_share: 0.5, reuse_rate: 0.8 },
        },
      },
      {
        name: 'summary',
        share: 0.4,
        input_tokens: 2000,
        output_tokens: 500,
        serve: { model: 'big' },
        assumptions: { batchable_share: 0.5 },
      },
    ],
  };
}

export class TempDir {
  readonly dir = mkdtempSync(join(tmpdir(), 'costwise-projection-'));

  constructor() {
    writeFileSync(join(this.dir, 'costwise.yaml'), CONFIG_YAML);
  }

  /** Writes a scenario (object → YAML, or text as is) and returns its path. */
  scenario(content: object | string, name = 'scenario.yaml'): string {
    const path = join(this.dir, name);
    writeFileSync(path, typeof content === 'string' ? content : stringify(content));
    return path;
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const usd = z.number();
const savings = z.record(z.enum(TECHNIQUES), usd);
const cacheRates = z.object({ response_cache_hit_rate: z.number(), prompt_cache_reuse_rate: z.number() });
const month = z.object({
  month: z.number(),
  requests: z.number(),
  naive_cost_usd: usd,
  optimized_cost_usd: usd,
  savings_usd: savings,
  cache_rates: cacheRates,
});
const risingRates = z.object({ optimized_at_1x_rates_usd: usd, saving_usd: usd, share_of_sublinear_gap: z.number().nullable() });
const totals = z.object({ requests: z.number(), naive_cost_usd: usd, optimized_cost_usd: usd, savings_usd: savings });

/** `costwise project --format json`, checked against the report's own type at compile time and its shape at run time. */
const ReportSchema = z.object({
  scenario: z.object({
    name: z.string(),
    description: z.string(),
    catalog: z.string(),
    months: z.number(),
    volume: z.string(),
    monthly_requests: z.array(z.number()),
    scale_factors: z.array(z.number()),
    reuse_grows_with_volume: z.boolean(),
    technique_order: z.array(z.enum(TECHNIQUES)),
    types: z.array(
      z.object({
        name: z.string(),
        share: z.number(),
        input_tokens: z.number(),
        output_tokens: z.number(),
        serve: z.string(),
        served_model: z.string(),
        naive_model: z.string(),
        prompt_optimization: z.number(),
        exact_hit_rate: z.number(),
        semantic_hit_rate: z.number(),
        prefix_share: z.number(),
        reuse_rate: z.number(),
        ttl: z.string(),
        batchable_share: z.number(),
        exact_popularity: z.object({ zipf_exponent: z.number(), catalogue_size: z.number(), ttl_seconds: z.number() }).nullable(),
        prefix_popularity: z.object({ zipf_exponent: z.number(), catalogue_size: z.number() }).nullable(),
      }),
    ),
  }),
  months: z.array(month),
  totals,
  scales: z.array(z.object({ scale: z.number(), months: z.array(month), totals, optimized_vs_linear: z.number(), rising_cache_rates: risingRates })),
  sensitivity: z.object({
    range: z.number(),
    metric: z.string(),
    month1_optimized_usd: usd,
    total_optimized_usd: usd,
    rows: z.array(
      z.object({
        assumption: z.string(),
        month1_low_usd: usd,
        month1_high_usd: usd,
        total_low_usd: usd,
        total_high_usd: usd,
        swing_usd: usd,
      }),
    ),
  }),
}) satisfies z.ZodType<ReportJson>;

/** The JSON report text, parsed and checked. */
export function parseReport(text: string): ReportJson {
  return parseJson(text, ReportSchema);
}

/** A scenario printed as YAML (`--print-scenario`), parsed and checked against the scenario schema. */
export function parseScenario(text: string): ScenarioInput {
  return shaped(parse(text), scenarioSchema);
}
