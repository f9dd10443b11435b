// The learned router model. Two file versions, both loadable:
//
// Version 1: one logistic regression per candidate over the features of ./features.ts, predicting
// P(model answers this prompt well). Decision rule, knob q in [0, 1]: the cheapest candidate whose
// predicted P clears a bar; if none clears it, the highest predicted P.
//   rule 'absolute': bar = q                (q = "required chance of a good answer")
//   rule 'relative': bar = max_j P_j − (1 − q)  (q = 1: never accept a candidate predicted worse
//                    than the best one; q = 0: always the cheapest). For two models this sends a
//                    prompt to the strong model iff P_strong − P_weak > 1 − q, i.e. it ranks prompts by
//                    the predicted gain of the strong model, which measured better (APGR) than
//                    ranking by P_weak alone.
// "Cheapest" is by the candidate's mean cost per call in the training data (`costPerCall`).
//
// Version 2: features of ./features-v2.ts; P = (1 − blend) · logistic + blend · cluster estimate
// (./clusters.ts); a per-prompt cost prediction per candidate (./cost-model.ts); rule 'utility'
// (./utility.ts): maximise P − λ(q) · cost.
import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { dot, featurize, type SparseVector } from './features.js';
import { featurizeV2, STATS_V2 } from './features-v2.js';
import { ClusterScorer } from './clusters.js';
import { predictCost } from './cost-model.js';
import { chooseByUtility } from './utility.js';
import { DomainCheck, DomainSchema } from './domain.js';

export const MODEL_FORMAT = 'costwise-learned-router';

const CandidateSchema = z.strictObject({
  name: z.string().min(1),
  /** Mean USD per call in the training data; orders candidates from cheapest. */
  costPerCall: z.number().nonnegative(),
  weights: z.array(z.number()),
});

const TrainingSchema = z.strictObject({
  rows: z.number().int().nonnegative(),
  sources: z.array(z.string()),
  note: z.string().optional(),
});

export const RouterModelV1Schema = z
  .strictObject({
    format: z.literal(MODEL_FORMAT),
    version: z.literal(1),
    dim: z.number().int().min(64),
    /** Knob value chosen at training time (see train.ts `chooseDefaultQuality`). */
    defaultQuality: z.number().min(0).max(1),
    rule: z.enum(['absolute', 'relative']),
    candidates: z.array(CandidateSchema).min(1),
    training: TrainingSchema,
    /** Out-of-domain detector (./domain.ts); files without it never fall back. */
    domain: DomainSchema.optional(),
  })
  .refine((m) => m.candidates.every((c) => c.weights.length === m.dim), { error: 'weights length must equal dim' });

const CandidateV2Schema = CandidateSchema.extend({
  /** Per-prompt cost regression over the dense feature slots (./cost-model.ts). */
  cost: z.strictObject({ weights: z.array(z.number()).length(STATS_V2), smear: z.number().nonnegative() }),
});

const ClusterSchema = z.strictObject({
  idx: z.array(z.number().int().nonnegative()),
  val: z.array(z.number()),
  rates: z.array(z.number().min(0).max(1)),
  size: z.number().int().positive(),
});

export const RouterModelV2Schema = z
  .strictObject({
    format: z.literal(MODEL_FORMAT),
    version: z.literal(2),
    features: z.literal('v2'),
    dim: z.number().int().min(64),
    defaultQuality: z.number().min(0).max(1),
    rule: z.literal('utility'),
    /** Weight of the cluster estimate in P (the logistic model gets 1 − blend). */
    blend: z.number().min(0).max(1),
    candidates: z.array(CandidateV2Schema).min(1),
    clusters: z.strictObject({
      prior: z.array(z.number().min(0).max(1)),
      top: z.number().int().positive(),
      power: z.number().nonnegative(),
      priorWeight: z.number().positive(),
      clusters: z.array(ClusterSchema),
    }),
    training: TrainingSchema,
    domain: DomainSchema.optional(),
  })
  .refine((m) => m.candidates.every((c) => c.weights.length === m.dim), { error: 'weights length must equal dim' })
  .refine((m) => m.clusters.prior.length === m.candidates.length && m.clusters.clusters.every((c) => c.rates.length === m.candidates.length), {
    error: 'cluster rates must have one entry per candidate',
  })
  .refine((m) => m.clusters.clusters.every((c) => c.idx.length === c.val.length && c.idx.every((i) => i < m.dim)), {
    error: 'cluster centroids must be sparse vectors inside dim',
  });

export const RouterModelSchema = z.union([RouterModelV1Schema, RouterModelV2Schema]);

export type RouterModelV1 = z.infer<typeof RouterModelV1Schema>;
export type RouterModelV2 = z.infer<typeof RouterModelV2Schema>;
export type RouterModel = RouterModelV1 | RouterModelV2;

/** What a model predicts for one prompt, one entry per candidate. */
export interface Estimate {
  probabilities: number[];
  /** Predicted USD per call (version 1: the candidate's mean cost). */
  costs: number[];
  /** The prompt is unlike the training prompts (./domain.ts): the prediction is not to be trusted. */
  outOfDomain: boolean;
}

export interface RouteDecision {
  /** Index into model.candidates. */
  index: number;
  name: string;
  /** Predicted P(good answer), one per candidate. */
  probabilities: number[];
  /**
   * 'cleared' = cheapest over the knob; 'best-effort' = none cleared, highest P chosen (version 1);
   * 'utility' = highest P − λ·cost (version 2); 'out-of-domain' = the fallback (the priciest candidate).
   */
  reason: 'cleared' | 'best-effort' | 'utility' | 'out-of-domain';
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** A loaded model ready for decisions: typed-array weights, candidates ordered by mean cost. */
export class LearnedRouter {
  private readonly weights: Float64Array[];
  private readonly byCost: number[];
  private readonly meanCosts: number[];
  private readonly referenceCost: number;
  private readonly clusters: ClusterScorer | undefined;
  private readonly domain: DomainCheck | undefined;

  constructor(readonly model: RouterModel) {
    this.weights = model.candidates.map((c) => Float64Array.from(c.weights));
    this.meanCosts = model.candidates.map((c) => c.costPerCall);
    this.referenceCost = Math.max(0, ...this.meanCosts);
    this.byCost = model.candidates.map((_, i) => i).sort((a, b) => (this.meanCosts[a] ?? 0) - (this.meanCosts[b] ?? 0) || a - b);
    this.clusters = model.version === 2 ? new ClusterScorer(model.clusters, model.dim) : undefined;
    this.domain = model.domain ? new DomainCheck(model.domain, model.dim) : undefined;
  }

  /** The fallback for out-of-domain prompts: the candidate with the highest mean cost per call. */
  get strongestIndex(): number {
    return this.byCost[this.byCost.length - 1] ?? 0;
  }

  /** Familiarity of a prompt's features with the training prompts; undefined without a detector. */
  familiarity(x: SparseVector): number | undefined {
    return this.domain?.familiarity(x);
  }

  get candidateNames(): string[] {
    return this.model.candidates.map((c) => c.name);
  }

  featurize(prompt: string): SparseVector {
    return this.model.version === 2 ? featurizeV2(prompt, this.model.dim) : featurize(prompt, this.model.dim);
  }

  predictFeatures(x: SparseVector): number[] {
    const logistic = this.weights.map((w) => sigmoid(dot(w, x)));
    if (this.model.version === 1 || !this.clusters) return logistic;
    const blend = this.model.blend;
    if (blend === 0) return logistic;
    const near = this.clusters.predict(x);
    return logistic.map((p, i) => (1 - blend) * p + blend * (near[i] ?? p));
  }

  estimateFeatures(x: SparseVector): Estimate {
    const probabilities = this.predictFeatures(x);
    const m = this.model;
    const costs = m.version === 2 ? m.candidates.map((c) => predictCost(c.cost, x)) : [...this.meanCosts];
    return { probabilities, costs, outOfDomain: this.domain?.outOfDomain(x) ?? false };
  }

  predict(prompt: string): number[] {
    return this.predictFeatures(this.featurize(prompt));
  }

  estimate(prompt: string): Estimate {
    return this.estimateFeatures(this.featurize(prompt));
  }

  /**
   * Apply the decision rule to predicted probabilities (and, for version 2, predicted per-prompt
   * costs; the candidates' mean costs when absent). `allowed` restricts the choice (e.g. to the
   * candidates that can serve the request); undefined when none is allowed.
   */
  choose(probabilities: readonly number[], quality: number, costs?: readonly number[]): RouteDecision;
  choose(probabilities: readonly number[], quality: number, costs: readonly number[] | undefined, allowed: readonly boolean[]): RouteDecision | undefined;
  choose(probabilities: readonly number[], quality: number, costs?: readonly number[], allowed?: readonly boolean[]): RouteDecision | undefined {
    const ok = (i: number): boolean => !allowed || allowed[i] === true;
    if (this.model.version === 2) {
      const i = chooseByUtility(probabilities, costs ?? this.meanCosts, this.referenceCost, quality, allowed);
      return i < 0 ? undefined : this.decision(i, probabilities, 'utility');
    }
    let best = -1;
    for (let i = 0; i < probabilities.length; i++) if (ok(i) && (best < 0 || (probabilities[i] ?? 0) > (probabilities[best] ?? 0))) best = i;
    if (best < 0) return undefined;
    const bar = this.model.rule === 'absolute' ? quality : (probabilities[best] ?? 0) - (1 - quality) - 1e-12;
    for (const i of this.byCost) {
      if (ok(i) && (probabilities[i] ?? 0) >= bar) return this.decision(i, probabilities, 'cleared');
    }
    return this.decision(best, probabilities, 'best-effort');
  }

  /** The knob's choice, or the strongest candidate for an out-of-domain prompt (offline evaluation's rule). */
  decide(prompt: string, quality = this.model.defaultQuality): RouteDecision {
    const e = this.estimate(prompt);
    if (e.outOfDomain) return this.decision(this.strongestIndex, e.probabilities, 'out-of-domain');
    return this.choose(e.probabilities, quality, e.costs);
  }

  private decision(index: number, probabilities: readonly number[], reason: RouteDecision['reason']): RouteDecision {
    return { index, name: this.model.candidates[index]?.name ?? '', probabilities: [...probabilities], reason };
  }
}

export function parseRouterModel(json: unknown): RouterModel {
  return RouterModelSchema.parse(json);
}

export function loadRouterModel(file: string): LearnedRouter {
  return new LearnedRouter(parseRouterModel(JSON.parse(readFileSync(file, 'utf8')) as unknown));
}

/** Round weights to 5 significant digits so the JSON stays small. */
export function serializeRouterModel(model: RouterModel): string {
  const round = (v: number): number => (v === 0 ? 0 : Number(v.toPrecision(5)));
  const domain = model.domain ? { domain: { ...model.domain, centroids: model.domain.centroids.map((c) => ({ ...c, val: c.val.map(round) })) } } : {};
  if (model.version === 1) return JSON.stringify({ ...model, candidates: model.candidates.map((c) => ({ ...c, weights: c.weights.map(round) })), ...domain });
  return JSON.stringify({
    ...model,
    ...domain,
    candidates: model.candidates.map((c) => ({ ...c, weights: c.weights.map(round) })),
    clusters: { ...model.clusters, clusters: model.clusters.clusters.map((c) => ({ ...c, val: c.val.map(round), rates: c.rates.map(round) })) },
  });
}

export function saveRouterModel(file: string, model: RouterModel): void {
  writeFileSync(file, serializeRouterModel(model) + '\n');
}
