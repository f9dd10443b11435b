// The learned router model: one logistic regression per candidate model over the prompt features
// of ./features.ts, predicting P(model answers this prompt well). Decision rule, knob q in [0, 1]:
// the cheapest candidate whose predicted P clears a bar; if none clears it, the highest predicted P.
//   rule 'absolute': bar = q                (q = "required chance of a good answer")
//   rule 'relative': bar = max_j P_j − (1 − q)  (q = 1: never accept a candidate predicted worse
//                    than the best one; q = 0: always the cheapest). For two models this sends a
//                    prompt to the strong model iff P_strong − P_weak > 1 − q, i.e. it ranks prompts by
//                    the predicted gain of the strong model, which measured better (APGR) than
//                    ranking by P_weak alone.
// "Cheapest" is by the candidate's mean cost per call in the training data (`costPerCall`).
import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { dot, featurize, type SparseVector } from './features.js';

export const MODEL_FORMAT = 'costwise-learned-router';

const CandidateSchema = z.strictObject({
  name: z.string().min(1),
  /** Mean USD per call in the training data; orders candidates from cheapest. */
  costPerCall: z.number().nonnegative(),
  weights: z.array(z.number()),
});

export const RouterModelSchema = z
  .strictObject({
    format: z.literal(MODEL_FORMAT),
    version: z.literal(1),
    dim: z.number().int().min(64),
    /** Knob value chosen at training time (see train.ts `chooseDefaultQuality`). */
    defaultQuality: z.number().min(0).max(1),
    rule: z.enum(['absolute', 'relative']),
    candidates: z.array(CandidateSchema).min(1),
    training: z.strictObject({
      rows: z.number().int().nonnegative(),
      sources: z.array(z.string()),
      note: z.string().optional(),
    }),
  })
  .refine((m) => m.candidates.every((c) => c.weights.length === m.dim), { message: 'weights length must equal dim' });

export type RouterModel = z.infer<typeof RouterModelSchema>;

export interface RouteDecision {
  /** Index into model.candidates. */
  index: number;
  name: string;
  /** Predicted P(good answer), one per candidate. */
  probabilities: number[];
  /** 'cleared' = cheapest over the knob; 'best-effort' = none cleared, highest P chosen. */
  reason: 'cleared' | 'best-effort';
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** A loaded model ready for decisions: weights as Float64Array, candidates ordered by cost. */
export class LearnedRouter {
  private readonly weights: Float64Array[];
  private readonly byCost: number[];

  constructor(readonly model: RouterModel) {
    this.weights = model.candidates.map((c) => Float64Array.from(c.weights));
    this.byCost = model.candidates.map((_, i) => i).sort((a, b) => {
      const ca = model.candidates[a]?.costPerCall ?? 0;
      const cb = model.candidates[b]?.costPerCall ?? 0;
      return ca - cb || a - b;
    });
  }

  get candidateNames(): string[] {
    return this.model.candidates.map((c) => c.name);
  }

  predictFeatures(x: SparseVector): number[] {
    return this.weights.map((w) => sigmoid(dot(w, x)));
  }

  predict(prompt: string): number[] {
    return this.predictFeatures(featurize(prompt, this.model.dim));
  }

  /** Apply the decision rule to already-predicted probabilities. */
  choose(probabilities: readonly number[], quality: number): RouteDecision {
    let best = 0;
    for (let i = 1; i < probabilities.length; i++) if ((probabilities[i] ?? 0) > (probabilities[best] ?? 0)) best = i;
    const bar = this.model.rule === 'absolute' ? quality : (probabilities[best] ?? 0) - (1 - quality) - 1e-12;
    for (const i of this.byCost) {
      if ((probabilities[i] ?? 0) >= bar) return this.decision(i, probabilities, 'cleared');
    }
    return this.decision(best, probabilities, 'best-effort');
  }

  decide(prompt: string, quality = this.model.defaultQuality): RouteDecision {
    return this.choose(this.predict(prompt), quality);
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
  return JSON.stringify({ ...model, candidates: model.candidates.map((c) => ({ ...c, weights: c.weights.map(round) })) });
}

export function saveRouterModel(file: string, model: RouterModel): void {
  writeFileSync(file, serializeRouterModel(model) + '\n');
}
