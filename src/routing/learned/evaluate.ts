// Offline evaluation of a trained router on held-out outcome rows: single models, the router's
// curve over the quality knob, random routing, the per-prompt oracle and (two models) RouteLLM's
// APGR / CPT. Missing score cells count as wrong; missing cost cells cost the model's mean cost.
import type { OutcomeDataset } from './data.js';
import { LearnedRouter, type Estimate } from './model.js';
import { apgr, cpt, pgrCurve } from './metrics.js';
import { EVAL_KNOBS, KNOB_GRID } from './train.js';

export interface OperatingPoint {
  accuracy: number;
  cost_usd: number;
}
export interface EvalReport {
  rows: number;
  models: ({ name: string } & OperatingPoint)[];
  curve: ({ knob: number; strong_share?: number } & OperatingPoint)[];
  default: { knob: number } & OperatingPoint;
  oracle: OperatingPoint;
  /** Mixing the cheapest and the most accurate model at random, share p of calls to the latter. */
  random: ({ share: number } & OperatingPoint)[];
  /** Cheapest curve point reaching the most accurate single model's accuracy, if any. */
  matches_best?: { knob: number; cost_share_of_best: number } & OperatingPoint;
  weak?: string;
  strong?: string;
  apgr?: number;
  cpt50?: number;
  cpt80?: number;
  /** Share of test prompts out of the training domain (routed to the fallback at every knob). */
  out_of_domain_share: number;
  /** PGR curve down-sampled to 21 points (strong share 0..1). */
  pgr_curve?: { strong_share: number; pgr: number }[];
}

export interface EvalOptions {
  knobs?: readonly number[];
  /** Prompts never evaluated on (e.g. RouteLLM's contaminated prompts). */
  exclude?: ReadonlySet<string>;
}

export function evaluateRouter(router: LearnedRouter, data: OutcomeDataset, opts: EvalOptions = {}): EvalReport {
  const names = router.candidateNames;
  const col = names.map((n) => {
    const j = data.models.indexOf(n);
    if (j < 0) throw new Error(`test data has no column for router candidate "${n}"`);
    return j;
  });
  const rows = opts.exclude ? data.rows.filter((r) => !opts.exclude?.has(r.prompt)) : data.rows;
  const n = rows.length;
  if (n === 0) throw new Error('no test rows');
  const meanCost = col.map((j) => {
    const cs = rows.map((r) => r.costs[j]).filter((c): c is number => c !== null && c !== undefined);
    return cs.length ? cs.reduce((a, b) => a + b, 0) / cs.length : 0;
  });
  const score = rows.map((r) => col.map((j) => r.scores[j] ?? 0));
  const cost = rows.map((r) => col.map((j, m) => r.costs[j] ?? meanCost[m] ?? 0));
  const est = rows.map((r) => router.estimate(r.prompt));
  // Out-of-domain prompts take the fallback, the strongest candidate, at every knob.
  const fallback = router.strongestIndex;
  const pick = (knob: number): number[] => est.map((e) => (e.outOfDomain ? fallback : router.choose(e.probabilities, knob, e.costs).index));
  const at = (pick: (i: number) => number): OperatingPoint => {
    let a = 0;
    let c = 0;
    for (let i = 0; i < n; i++) {
      const m = pick(i);
      a += score[i]?.[m] ?? 0;
      c += cost[i]?.[m] ?? 0;
    }
    return { accuracy: a / n, cost_usd: c };
  };
  const models = names.map((name, m) => ({ name, ...at(() => m) }));
  const knobs = opts.knobs ?? EVAL_KNOBS;
  const curve: EvalReport['curve'] = knobs.map((knob) => {
    const choice = pick(knob);
    return { knob, ...at((i) => choice[i] ?? 0) };
  });
  const dq = router.model.defaultQuality;
  const defaultChoice = pick(dq);
  const oracle = at((i) => {
    const s = score[i] ?? [];
    const c = cost[i] ?? [];
    let best = 0;
    for (let m = 1; m < names.length; m++) {
      const better = (s[m] ?? 0) > (s[best] ?? 0) || ((s[m] ?? 0) === (s[best] ?? 0) && (c[m] ?? 0) < (c[best] ?? 0));
      if (better) best = m;
    }
    return best;
  });
  const cheapest = models.reduce((b, m, i) => (m.cost_usd < (models[b]?.cost_usd ?? Infinity) ? i : b), 0);
  const best = models.reduce((b, m, i) => (m.accuracy > (models[b]?.accuracy ?? -1) ? i : b), 0);
  const lo = models[cheapest] as OperatingPoint;
  const hi = models[best] as OperatingPoint;
  const random = KNOB_GRID.map((share) => ({
    share,
    accuracy: lo.accuracy + share * (hi.accuracy - lo.accuracy),
    cost_usd: lo.cost_usd + share * (hi.cost_usd - lo.cost_usd),
  }));
  const report: EvalReport = {
    rows: n,
    models,
    curve,
    default: { knob: dq, ...at((i) => defaultChoice[i] ?? 0) },
    oracle,
    random,
    out_of_domain_share: est.filter((e) => e.outOfDomain).length / n,
  };
  const reaching = curve.filter((p) => p.accuracy >= hi.accuracy - 1e-12).sort((a, b) => a.cost_usd - b.cost_usd)[0];
  if (reaching) report.matches_best = { ...reaching, cost_share_of_best: hi.cost_usd ? reaching.cost_usd / hi.cost_usd : 0 };
  if (names.length === 2) {
    const strong = best === cheapest ? 1 - cheapest : best;
    const weak = 1 - strong;
    // priority for the strong model, consistent with the knob rule (see model.ts)
    const pc = pgrCurve({
      weak: score.map((s) => s[weak] ?? 0),
      strong: score.map((s) => s[strong] ?? 0),
      priority: est.map((e) => (e.outOfDomain ? OUT_OF_DOMAIN_FIRST : strongPriority(router, e, { weak, strong }))),
    });
    report.weak = names[weak];
    report.strong = names[strong];
    report.apgr = apgr(pc);
    report.cpt50 = cpt(pc, 0.5);
    report.cpt80 = cpt(pc, 0.8);
    report.pgr_curve = KNOB_GRID.map((s) => {
      const p = pc[Math.round(s * n)];
      return { strong_share: s, pgr: p?.pgr ?? 0 };
    });
    for (let k = 0; k < curve.length; k++) {
      const choice = pick(knobs[k] ?? 0);
      const pt = curve[k];
      if (pt) pt.strong_share = choice.filter((c) => c === strong).length / n;
    }
  }
  return report;
}

/**
 * Out-of-domain prompts go to the strong model before every in-domain prompt (the fallback at any
 * knob), all at one priority: the router has no opinion there, so its curve over them is a coin's
 * (a tied block, see metrics.ts).
 */
const OUT_OF_DOMAIN_FIRST = 1e15;

/** How much a prompt needs the strong model, in the order the model's decision rule would send it. */
function strongPriority(router: LearnedRouter, e: Estimate, { weak, strong }: { weak: number; strong: number }): number {
  const pw = e.probabilities[weak] ?? 0;
  const ps = e.probabilities[strong] ?? 0;
  if (router.model.version === 2) return (ps - pw) / Math.max(1e-12, (e.costs[strong] ?? 0) - (e.costs[weak] ?? 0));
  return router.model.rule === 'absolute' ? -pw : ps - pw;
}
