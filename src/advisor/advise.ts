// The right-sizing advisor: from ledger rows, per scope (a tag, or a key for untagged traffic) and
// served model, the cheaper models shadow evaluation vouches for, and batching for non-streaming
// traffic; each with its saving at the window's volume, repriced exactly from the rows' token
// classes. A model change is recommended only when the Wilson interval of the candidate's agreement
// with the served answers bounds the accuracy it can lose by `maxLoss`: where the two agree, they
// score the same, so accuracy can drop at most by the disagreement rate. Agreement cannot vouch for a
// candidate that is as accurate but right on other prompts; where the deployment graded shadowed
// answers (`grades`), the paired interval of the graded accuracy difference can (paired.ts).
import { stringify } from 'yaml';
import { batchPricing } from '../cost/batch.js';
import { costPico } from '../cost/calculate.js';
import { formatUsd } from '../cost/money.js';
import type { ModelPricing } from '../cost/prices.js';
import type { LedgerRow } from '../storage/types.js';
import { parseShadowRoute, SHADOW_TECHNIQUE } from './shadow-route.js';
import type { AdviceReport, ModelEvidence, Recommendation, Rejected } from './types.js';
import { pairedLossInterval, type PairedCounts } from './paired.js';
import { maxTokensNote } from './max-tokens.js';
import { responseCaching } from './response-cache.js';
import { ledgerCost, monthly, pct, round, ruleName, sumCost, type ScopeModel, type ShadowTally } from './scope.js';
import { wilsonInterval } from './wilson.js';

export interface PricedModel {
  pricing: ModelPricing;
  /** Whether its provider has a batch API costwise submits to. */
  batch: boolean;
}

export interface AdviseOptions {
  /** Window: the last `days` days up to the newest row. */
  days: number;
  /** Largest accuracy loss a model change may risk (0.02: two points). */
  maxLoss: number;
  /** Two-sided confidence of the agreement interval. */
  confidence: number;
  /** The response cache's entry lifetime (`cache.ttlSeconds`): repeats count within it. */
  cacheTtlMs?: number;
  /** Catalog lookup: prices (and batch support) of a model by name; undefined when unknown. */
  model: (name: string) => PricedModel | undefined;
  /** Prefix-churn reports (`GET /api/promptcache`): prompts whose early difference defeats the provider's prefix cache. */
  churn?: readonly ChurnInput[];
  /**
   * Grades (1 right, 0 wrong) by ledger request id: a request's own id grades the served answer, a
   * shadow row's id (`<request>.shadow-<candidate>`) the candidate's. Pairs with both count.
   */
  grades?: ReadonlyMap<string, number>;
}

/** One route's prefix churn, as src/promptcache reports it. */
export interface ChurnInput {
  /** `tenant:model`. */
  route: string;
  requests: number;
  churned: number;
  tokensLost: number;
  picoLost: bigint;
  firstDifferenceAt: number;
  example: string;
}

const DAY_MS = 86_400_000;
/** `cache.ttlSeconds`' default. */
const DEFAULT_CACHE_TTL_MS = 3_600_000;
/** Share of non-streaming requests from which a scope is proposed for batching. */
const BATCHABLE_SHARE = 0.9;

export function advise(all: readonly LedgerRow[], opts: AdviseOptions): AdviceReport {
  const end = all.reduce((m, r) => Math.max(m, r.ts), -Infinity);
  const from = end - opts.days * DAY_MS;
  const rows = all.filter((r) => r.ts > from);
  const groups = new Map<string, ScopeModel>();
  const group = (r: LedgerRow, served: string): ScopeModel => {
    const tag = r.tags[0] ?? null;
    const scope = tag !== null ? `tag:${tag}` : `key:${r.keyId || r.tenant}`;
    const id = `${scope}\u0000${served}`;
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { scope, served, tag, requested: new Set(), rows: [], nonStreaming: 0, shadows: new Map() }));
    return g;
  };
  for (const r of rows) {
    if (r.technique === SHADOW_TECHNIQUE) {
      const c = parseShadowRoute(r.route);
      if (!c) continue;
      const g = group(r, c.served);
      const s = g.shadows.get(c.candidate) ?? g.shadows.set(c.candidate, newTally()).get(c.candidate)!;
      s.n++;
      if (c.verdict === 'agree') s.agree++;
      tallyGrades(s.graded, r, opts.grades);
      const kind = c.kind ?? 'unknown';
      s.kinds[kind] = (s.kinds[kind] ?? 0) + 1;
      continue;
    }
    // The requests themselves: answered, by a model, not a sub-call, not a response-cache hit.
    if (r.parentId !== null || r.status !== 200 || r.servedModel === '' || r.cache?.startsWith('hit')) continue;
    const g = group(r, r.servedModel);
    g.rows.push(r);
    g.requested.add(r.requestedModel);
    if (!r.stream) g.nonStreaming++;
  }

  const recommendations: Recommendation[] = [];
  const rejected: Rejected[] = [];
  for (const g of [...groups.values()].sort((a, b) => (a.scope + a.served < b.scope + b.served ? -1 : 1))) {
    if (g.rows.length === 0) continue;
    const current = ledgerCost(g.rows);
    const best = bestModel(g, current, opts, rejected);
    if (best) recommendations.push(best);
    const batch = batching(g, current, opts);
    if (batch) recommendations.push(batch);
    const cache = responseCaching(g, { days: opts.days, ttlMs: opts.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS });
    if (cache) recommendations.push(cache);
    const cap = maxTokensNote(g, opts.days);
    if (cap) recommendations.push(cap);
  }
  for (const c of opts.churn ?? []) {
    const p = promptCaching(c, rows, opts);
    if (p) recommendations.push(p);
  }
  recommendations.sort((a, b) => Number(usdPico(b.monthly_saving_usd) - usdPico(a.monthly_saving_usd)));
  return {
    window: { days: opts.days, from: rows.length ? new Date(from).toISOString() : null, to: rows.length ? new Date(end).toISOString() : null },
    recommendations,
    rejected,
  };
}

function newTally(): ShadowTally {
  return { n: 0, agree: 0, kinds: {}, graded: { n: 0, servedOnly: 0, candidateOnly: 0 } };
}

function tallyGrades(p: PairedCounts, shadow: LedgerRow, grades: ReadonlyMap<string, number> | undefined): void {
  const served = shadow.parentId === null ? undefined : grades?.get(shadow.parentId);
  const candidate = grades?.get(shadow.requestId);
  if (served === undefined || candidate === undefined) return;
  p.n++;
  if (served > candidate) p.servedOnly++;
  else if (candidate > served) p.candidateOnly++;
}

/**
 * The cheaper candidate with the largest saving whose loss bound stays within maxLoss. Every bound
 * tried for the scope (agreement, and graded where there are grades, for each cheaper candidate) is
 * one more chance of a wrong recommendation, so each is taken at a Bonferroni-adjusted confidence:
 * together they err no more often than one bound at `confidence`.
 */
function bestModel(g: ScopeModel, current: bigint, opts: AdviseOptions, rejected: Rejected[]): Recommendation | undefined {
  const priced = new Map<string, bigint>();
  let tests = 0;
  for (const [candidate, s] of g.shadows) {
    const model = opts.model(candidate);
    if (!model) continue;
    const repriced = sumCost(g.rows, (u) => costPico(u, model.pricing));
    priced.set(candidate, repriced);
    if (repriced < current) tests += s.graded.n > 0 ? 2 : 1;
  }
  const confidence = 1 - (1 - opts.confidence) / Math.max(1, tests);
  let best: Recommendation | undefined;
  for (const [candidate, s] of g.shadows) {
    const [lo, hi] = wilsonInterval(s.agree, s.n, confidence);
    const graded = s.graded.n > 0 ? pairedLossInterval(s.graded, confidence) : undefined;
    // Either bound may vouch: where they agree, answers score the same; the graded one measures the rest.
    const bound = Math.min(1 - lo, graded?.[1] ?? 1);
    const evidence: ModelEvidence = {
      shadow_samples: s.n,
      agreements: s.agree,
      agreement: round(s.agree / s.n),
      interval: [round(lo), round(hi)],
      confidence: round(confidence),
      max_accuracy_loss: round(bound),
      compared_as: s.kinds,
    };
    if (graded)
      evidence.graded = {
        pairs: s.graded.n,
        served_only_right: s.graded.servedOnly,
        candidate_only_right: s.graded.candidateOnly,
        accuracy_loss: round((s.graded.servedOnly - s.graded.candidateOnly) / s.graded.n),
        interval: [round(graded[0]), round(graded[1])],
      };
    const turnDown = (reason: string): void => void rejected.push({ scope: g.scope, current_model: g.served, candidate_model: candidate, reason, evidence });
    const repriced = priced.get(candidate);
    if (repriced === undefined) {
      turnDown('not in the catalog');
      continue;
    }
    if (repriced >= current) {
      turnDown('not cheaper at these requests');
      continue;
    }
    if (bound > opts.maxLoss) {
      const gradedNote = graded ? `; graded loss interval ${pct(graded[0])}–${pct(graded[1])} on ${s.graded.n} pairs` : '';
      turnDown(`agreement ${pct(lo)}–${pct(hi)}${gradedNote}: could lose up to ${pct(bound)} accuracy (limit ${pct(opts.maxLoss)})`);
      continue;
    }
    const saving = monthly(current - repriced, opts.days);
    if (best && usdPico(best.monthly_saving_usd) >= saving) continue;
    best = {
      kind: 'model',
      scope: g.scope,
      current_model: g.served,
      recommended_model: candidate,
      monthly_saving_usd: formatUsd(saving),
      evidence: {
        requests: g.rows.length,
        window_days: opts.days,
        current_cost_usd: formatUsd(current),
        repriced_cost_usd: formatUsd(repriced),
        model: evidence,
        note:
          graded && graded[1] < 1 - lo
            ? `${candidate} lost ${s.graded.servedOnly - s.graded.candidateOnly} net of ${s.graded.n} graded shadowed requests (loss ${pct(graded[0])}–${pct(graded[1])} at ${pct(confidence)} confidence)`
            : `${candidate} agreed with ${g.served} on ${s.agree} of ${s.n} shadowed requests (${pct(lo)}–${pct(hi)} at ${pct(confidence)} confidence)`,
      },
      rule: routingRule(g, candidate),
    };
  }
  return best;
}

function batching(g: ScopeModel, current: bigint, opts: AdviseOptions): Recommendation | undefined {
  const priced = opts.model(g.served);
  if (!priced?.batch || g.tag === null) return undefined;
  const share = g.nonStreaming / g.rows.length;
  const pending = g.rows.filter((r) => !r.stream && r.technique !== 'batch');
  if (share < BATCHABLE_SHARE || pending.length === 0) return undefined;
  const now = sumCost(pending, (u) => costPico(u, priced.pricing));
  const batched = sumCost(pending, (u) => costPico(u, batchPricing(priced.pricing)));
  if (batched >= now) return undefined;
  return {
    kind: 'batch',
    scope: g.scope,
    current_model: g.served,
    recommended_model: g.served,
    monthly_saving_usd: formatUsd(monthly(now - batched, opts.days)),
    evidence: {
      requests: g.rows.length,
      window_days: opts.days,
      current_cost_usd: formatUsd(current),
      repriced_cost_usd: formatUsd(current - now + batched),
      non_streaming_share: round(share),
      note: `${pending.length} non-streaming requests at batch prices; only if callers of this tag can wait for a batch window`,
    },
    rule: stringify([{ name: ruleName('defer', g), match: { tags: g.tag }, window: '24h' }]),
  };
}

/**
 * Prefix churn: the loss per request the detector saw, at the route's volume in the window. The fix
 * is in the prompt, not the config, so the "rule" says what to move.
 */
function promptCaching(c: ChurnInput, rows: readonly LedgerRow[], opts: AdviseOptions): Recommendation | undefined {
  if (c.picoLost <= 0n || c.requests === 0) return undefined;
  const at = c.route.lastIndexOf(':');
  const tenant = c.route.slice(0, at);
  const model = c.route.slice(at + 1);
  const own = rows.filter((r) => r.parentId === null && r.status === 200 && r.tenant === tenant && r.servedModel === model);
  const volume = own.length;
  if (volume === 0) return undefined;
  const current = ledgerCost(own);
  const lost = (c.picoLost * BigInt(volume)) / BigInt(c.requests);
  const example = c.example.replace(/\s+/g, ' ').slice(0, 80);
  return {
    kind: 'prompt_cache',
    scope: `route:${c.route}`,
    current_model: model,
    recommended_model: model,
    monthly_saving_usd: formatUsd(monthly(lost, opts.days)),
    evidence: {
      requests: volume,
      window_days: opts.days,
      current_cost_usd: formatUsd(current),
      repriced_cost_usd: formatUsd(current - lost),
      churn: {
        requests: c.requests,
        churned_requests: c.churned,
        tokens_lost: c.tokensLost,
        cost_lost_usd: formatUsd(c.picoLost),
        first_difference_at_char: c.firstDifferenceAt,
        example: c.example,
      },
      note: `${c.churned} of ${c.requests} prompts differ at character ${c.firstDifferenceAt}, so the provider's prefix cache cannot hit`,
    },
    rule: `# In the prompts of ${c.route}: move the text that differs at character ${c.firstDifferenceAt}\n# (e.g. ${JSON.stringify(example)}) to the end, after the shared part.\n`,
  };
}

function routingRule(g: ScopeModel, candidate: string): string {
  const requested = [...g.requested].sort();
  const match: Record<string, unknown> = g.tag !== null ? { tags: g.tag } : {};
  match['model'] = requested.length === 1 ? requested[0] : requested;
  return stringify([{ name: ruleName('right-size', g), match, route: { model: candidate } }]);
}

function usdPico(usd: string): bigint {
  const [whole, frac = ''] = usd.replace('-', '').split('.');
  const v = BigInt(whole!) * 1_000_000_000_000n + BigInt((frac + '000000000000').slice(0, 12));
  return usd.startsWith('-') ? -v : v;
}
