// The scenario file's shape (YAML, snake_case like the JSON report). Unknown keys are rejected and
// every value carries its own message, so a refusal names the exact path and the reason.
// Cross-references (models, tiers) are checked against the catalog in resolve.ts.
import { z } from 'zod';

const required = (what: string) => (issue: { input?: unknown }) => (issue.input === undefined ? 'required' : `expected ${what}`);

const count = (what: string) => z.number({ error: required('a number') }).min(0, `must not be negative (${what})`);
const tokens = () =>
  z
    .number({ error: required('a whole number of tokens') })
    .int('must be a whole number of tokens')
    .min(0, 'must not be negative');
const fraction = () =>
  z
    .number({ error: required('a fraction between 0 and 1') })
    .min(0, 'must be between 0 and 1')
    .max(1, 'must be between 0 and 1');
const name = () => z.string({ error: required('a string') }).min(1, 'must not be empty');

const zipfExponent = () =>
  z
    .number({ error: required('a number (the Zipf exponent, typically 0.6 to 1.2)') })
    .gt(0, 'must be greater than 0')
    .max(5, 'must be at most 5');
const catalogueSize = () =>
  z
    .number({ error: required('a whole number of distinct keys') })
    .int('must be a whole number of distinct keys')
    .min(1, 'must be at least 1')
    .max(1e9, 'must be at most 1,000,000,000');

/**
 * How often the same key comes back: requests draw keys from a Zipf popularity (p_i ∝ i^−s) over
 * `catalogue_size` keys. With it, a hit rate is derived from each month's request rate instead of
 * being fixed (src/projection/popularity.ts).
 */
const popularity = <T extends z.ZodRawShape>(extra: T) => z.strictObject({ zipf_exponent: zipfExponent(), catalogue_size: catalogueSize(), ...extra });

/** Technique assumptions: the defaults for every request type, each overridable per type. */
export const assumptionsSchema = z.strictObject({
  /** Share of input tokens removed by prompt optimisation (0 = none). */
  prompt_optimization: fraction().optional(),
  response_cache: z
    .strictObject({
      exact_hit_rate: fraction().optional(),
      semantic_hit_rate: fraction().optional(),
      /** Derive the exact hit rate per month from the popularity of exact-cache keys and the cache TTL. */
      popularity: popularity({
        ttl_seconds: z
          .number({ error: required('a number of seconds') })
          .positive('must be greater than 0')
          .optional(),
      }).optional(),
    })
    .refine((r) => (r.exact_hit_rate ?? 0) + (r.semantic_hit_rate ?? 0) <= 1 + 1e-9, 'exact_hit_rate + semantic_hit_rate must not exceed 1')
    .optional(),
  prompt_cache: z
    .strictObject({
      /** Share of each request's input tokens that is a prefix shared with other requests. */
      prefix_share: fraction().optional(),
      /** Share of requests that find that prefix still cached (the rest write it). */
      reuse_rate: fraction().optional(),
      ttl: z.enum(['5m', '1h'], { error: 'must be "5m" or "1h"' }).optional(),
      /** Derive the reuse rate per month from the popularity of shared prefixes and the TTL. */
      popularity: popularity({}).optional(),
    })
    .optional(),
  /** Share of requests that can wait for a provider batch API (up to 24 h). */
  batchable_share: fraction().optional(),
});
export type AssumptionsInput = z.infer<typeof assumptionsSchema>;

const serveSchema = z
  .strictObject({
    tier: z.enum(['cheap', 'mid', 'frontier'], { error: 'must be "cheap", "mid" or "frontier"' }).optional(),
    model: name().optional(),
  })
  .refine((s) => (s.tier === undefined) !== (s.model === undefined), 'give exactly one of tier or model');

const requestTypeSchema = z.strictObject({
  name: name(),
  share: fraction(),
  input_tokens: tokens(),
  output_tokens: tokens(),
  /** Which models may serve it: the cheapest capable model of a tier, or one named model. */
  serve: serveSchema,
  /** What a naive deployment sends every such request to (defaults to the top-level naive_model). */
  naive_model: name().optional(),
  tools: z.boolean({ error: 'expected true or false' }).optional(),
  images: z.boolean({ error: 'expected true or false' }).optional(),
  assumptions: assumptionsSchema.optional(),
});
export type RequestTypeInput = z.infer<typeof requestTypeSchema>;

const volumeSchema = z
  .strictObject({
    /** Requests in month 1 at scale 1. */
    launch: count('requests per month').optional(),
    /** Growth per month as a fraction (0.05 = 5%), or one rate per month after the first. */
    growth: z
      .union([z.number({ error: required('a number or a list of numbers') }), z.array(z.number({ error: 'expected a number' }))], {
        error: 'expected a number or a list of numbers',
      })
      .optional(),
    /** Month-by-month requests instead of launch and growth. */
    monthly: z.array(count('requests per month')).min(1, 'must list at least one month').optional(),
  })
  .superRefine((v, ctx) => {
    if (v.monthly !== undefined && (v.launch !== undefined || v.growth !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give either monthly or launch (and growth), not both' });
    } else if (v.monthly === undefined && v.launch === undefined) {
      ctx.addIssue({ code: 'custom', path: ['launch'], message: 'required (or give monthly: a list of requests per month)' });
    }
    const rates = typeof v.growth === 'number' ? [v.growth] : (v.growth ?? []);
    rates.forEach((g, i) => {
      if (g <= -1)
        ctx.addIssue({
          code: 'custom',
          path: typeof v.growth === 'number' ? ['growth'] : ['growth', i],
          message: 'must be greater than -1 (a month cannot lose all its traffic and more)',
        });
    });
  });

/** "shares sum to …" when the numeric shares of `mix` miss 1 by more than 1e-6; null otherwise. */
export function shareSumProblem(mix: unknown): string | null {
  if (!Array.isArray(mix)) return null;
  const shares = mix.map((t) => (t as { share?: unknown } | null)?.share).filter((v): v is number => typeof v === 'number');
  if (shares.length === 0) return null;
  const total = shares.reduce((sum, v) => sum + v, 0);
  return Math.abs(total - 1) > 1e-6 ? `shares sum to ${+total.toFixed(9)}, not 1 (±1e-6)` : null;
}

export const scenarioSchema = z
  .strictObject({
    name: name(),
    description: z.string().optional(),
    /** costwise.yaml whose catalog and prices to use (relative to the scenario); default: the embedded catalog. */
    config: name().optional(),
    /** Months to project; defaults to the length of volume.monthly. */
    months: z
      .number({ error: required('a whole number of months') })
      .int('must be a whole number of months')
      .min(1, 'must be at least 1')
      .max(120, 'must be at most 120')
      .optional(),
    volume: volumeSchema,
    /** Models routing may use; default: every chat model of the catalog that has a tier. */
    models: z.array(name()).min(1, 'must list at least one model').optional(),
    naive_model: name().optional(),
    assumptions: assumptionsSchema.optional(),
    /** true: prompt-cache reuse rises with traffic (requests arrive s× as often within the TTL). */
    reuse_grows_with_volume: z.boolean({ error: 'expected true or false' }).optional(),
    mix: z.array(requestTypeSchema, { error: required('a list of request types') }).min(1, 'must list at least one request type'),
    scale_factors: z
      .array(z.number({ error: 'expected a number' }).positive('must be greater than 0'))
      .min(1, 'must list at least one factor')
      .optional(),
  })
  .superRefine((s, ctx) => {
    const shares = shareSumProblem(s.mix);
    if (shares) ctx.addIssue({ code: 'custom', path: ['mix'], message: shares });
    const seen = new Map<string, number>();
    s.mix.forEach((t, i) => {
      const first = seen.get(t.name);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['mix', i, 'name'], message: `duplicate request type "${t.name}" (also mix[${first}])` });
      seen.set(t.name, i);
    });
    const monthly = s.volume.monthly;
    if (monthly !== undefined && s.months !== undefined && s.months !== monthly.length) {
      ctx.addIssue({ code: 'custom', path: ['months'], message: `is ${s.months} but volume.monthly lists ${monthly.length} months` });
    }
    if (monthly === undefined && s.months === undefined) ctx.addIssue({ code: 'custom', path: ['months'], message: 'required (or give volume.monthly)' });
    if (Array.isArray(s.volume.growth) && s.months !== undefined && s.volume.growth.length !== s.months - 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['volume', 'growth'],
        message: `lists ${s.volume.growth.length} rates; ${s.months} months need ${s.months - 1} (one per month after the first)`,
      });
    }
  });

export type ScenarioInput = z.infer<typeof scenarioSchema>;
