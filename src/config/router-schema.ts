// Named routers in the config (`model: "router/<name>"`, or a rule's `route: {router: <name>}`).
import { z } from 'zod';
import { cascadeCheckSchema } from './cascade-check-schema.js';

export const learnedRouterSchema = z.strictObject({
  kind: z.literal('learned'),
  /** A model file from `costwise router train`, or `default` for the shipped one (models/router-default.json). */
  model: z.string().min(1).default('default'),
  /**
   * The knob: the required predicted chance of a good answer (rule `absolute`) or how close to the
   * best candidate's chance the cheaper choice must be (rule `relative`). Default: the model file's.
   */
  quality: z.number().min(0).max(1).optional(),
  /** Outcome-data model name (as in the model file) → catalog model that plays it. */
  candidates: z.record(z.string().min(1), z.string().min(1)),
  /**
   * Where a prompt unlike the model's training prompts goes (model files with a domain sketch):
   * `strong` = the priciest mapped candidate; `{model}` = that catalog model; `none` = trust the model.
   */
  fallback: z.union([z.enum(['strong', 'none']), z.strictObject({ model: z.string().min(1) })]).default('strong'),
});

export const cascadeRouterSchema = z.strictObject({
  kind: z.literal('cascade'),
  /** Catalog models, cheapest first; the last one answers whatever the others could not. */
  steps: z.array(z.string().min(1)).min(2),
  /** Run on every step's answer but the last; the first failing check escalates. */
  checks: z.array(cascadeCheckSchema).min(1),
});

export const namedRouterSchema = z.discriminatedUnion('kind', [learnedRouterSchema, cascadeRouterSchema]);

export type NamedRouterConfig = z.output<typeof namedRouterSchema>;
export type LearnedRouterConfig = z.output<typeof learnedRouterSchema>;
export type CascadeRouterConfig = z.output<typeof cascadeRouterSchema>;

/** Names the model names a config refers to, for the config loader's checks (no I/O). */
export function routerModelRefs(name: string, r: NamedRouterConfig): Array<{ path: string; model: string }> {
  const base = `routing.routers.${name}`;
  if (r.kind === 'learned') {
    const refs = Object.entries(r.candidates).map(([from, model]) => ({ path: `${base}.candidates.${from}`, model }));
    if (typeof r.fallback === 'object') refs.push({ path: `${base}.fallback.model`, model: r.fallback.model });
    return refs;
  }
  const refs = r.steps.map((model, i) => ({ path: `${base}.steps[${i}]`, model }));
  r.checks.forEach((c, i) => {
    if (c.kind === 'judge' || c.kind === 'consistency') refs.push({ path: `${base}.checks[${i}].model`, model: c.model });
  });
  return refs;
}
