// Shadow evaluation for the right-sizing advisor: a sampled share of answered chat requests is sent
// again, after the caller has its answer, to each candidate model, and the candidate's answer is
// compared with the one served (answer extraction: choice letter, final number, code, text).
// Nothing here is on the request path: settle hands the answer over and returns at once.
//
// Each candidate call is billed on its own ledger row (parentId: the request; technique `shadow`)
// whose baseline equals its cost: it adds spend but neither adds to nor takes from the saving. The
// verdict travels in the row's route, `shadow:<served>-><candidate>:<agree|disagree|unknown>(<kind>)`,
// which is what `costwise advise` reads.
import type { CanonicalRequest, CanonicalResponse } from '../core/canonical.js';
import type { Catalog, Deployment } from '../config/catalog.js';
import type { Config } from '../config/schema.js';
import { costPico, uncachedCostPico } from '../cost/calculate.js';
import { answerText } from '../routing/cascade/answer.js';
import { compareAnswers, type ExtractMode } from '../routing/cascade/extract.js';
import type { DurableStore } from '../storage/types.js';
import { candidateDeployments } from './candidates.js';
import { createContext, featuresOf, type RequestContext } from './context.js';
import { callWithFallbacks, type DispatchDeps } from './dispatch.js';
import { ledgerRow } from './ledger.js';
import { SHADOW_TECHNIQUE, shadowRoute } from '../advisor/shadow-route.js';
import { CountSampler } from './count-sampler.js';

export type ShadowConfig = NonNullable<Config['advisor']['shadow']>;

export interface ShadowDeps extends DispatchDeps {
  store: DurableStore;
}

/** Shadow calls in flight at most; a sampled request beyond it is not shadowed (never queued). */
const MAX_IN_FLIGHT = 64;

export class ShadowEvaluator {
  private readonly candidates: readonly Deployment[];
  private readonly extract: ExtractMode;
  private readonly sampler: CountSampler;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly config: ShadowConfig,
    private readonly deps: ShadowDeps,
  ) {
    this.candidates = config.candidates.map((name) => {
      const d = deps.catalog.get(name);
      if (!d || d.kind !== 'chat') throw new Error(`advisor.shadow.candidates: unknown chat model "${name}"`);
      return d;
    });
    this.extract = config.extract;
    this.sampler = new CountSampler(config.sample);
  }

  /**
   * Called by settle with a request's whole answer; `sample` of them are shadowed (CountSampler).
   * Returns whether the request was sent to a candidate.
   */
  observe(ctx: RequestContext, answer: CanonicalResponse): boolean {
    const served = ctx.deployment;
    if (served === undefined || ctx.endpoint === '/v1/embeddings') return false;
    if (!this.sampler.take() || this.pending.size >= MAX_IN_FLIGHT) return false;
    const text = answerText(answer);
    let shadowed = false;
    for (const candidate of this.candidates) {
      if (candidate.name === served.name) continue;
      shadowed = true;
      // A shadow that fails for any reason leaves no row and must never surface as an unhandled rejection.
      const p: Promise<void> = this.shadow(ctx, served, candidate, text)
        .catch(() => undefined)
        .finally(() => this.pending.delete(p));
      this.pending.add(p);
    }
    return shadowed;
  }

  /** Resolves once every shadow call started so far has ended and left its row. */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private async shadow(ctx: RequestContext, served: Deployment, candidate: Deployment, servedText: string): Promise<void> {
    const request: CanonicalRequest = { ...ctx.request, model: candidate.name, stream: false, streamUsage: false };
    // Its own context: the call's attempts and prompt-cache plan must not touch the settled request.
    const shadowCtx = createContext({
      requestId: `${ctx.requestId}.shadow-${candidate.name}`,
      ingress: ctx.ingress,
      endpoint: ctx.endpoint,
      caller: ctx.caller,
      // The same request as the served model got, forwarded headers included.
      forwardHeaders: ctx.forwardHeaders,
      receivedAt: ctx.receivedAt,
    });
    shadowCtx.request = request;
    const features = featuresOf(shadowCtx);
    const t0 = performance.now();
    let result;
    try {
      const candidates = candidateDeployments(candidate, request, features, this.deps.catalog, this.deps.resilience);
      result = await callWithFallbacks(shadowCtx, request, candidates, this.deps);
    } catch {
      return; // A failed shadow call bills nothing and proves nothing.
    }
    if (result.value.kind !== 'complete') return;
    const response = result.value.response;
    const agreement = compareAnswers(servedText, answerText(response), this.extract);
    const d = result.deployment;
    const cost = costPico(response.usage, d.pricing);
    this.deps.store.appendLedger(
      ledgerRow({
        requestId: shadowCtx.requestId,
        ts: ctx.receivedAt,
        caller: ctx.caller,
        ingress: ctx.ingress,
        endpoint: ctx.endpoint,
        requestedModel: ctx.request.model,
        servedModel: d.name,
        provider: d.provider.name,
        usage: response.usage,
        charge: { costPico: cost, baselinePico: cost, promptCachePico: uncachedCostPico(response.usage, d.pricing) - cost },
        latencyMs: Math.round((performance.now() - t0) * 1000) / 1000,
        status: 200,
        stream: false,
        errorKind: null,
        route: shadowRoute({ served: served.name, candidate: candidate.name, verdict: agreement.verdict, kind: agreement.kind }),
        technique: SHADOW_TECHNIQUE,
        parentId: ctx.requestId,
        attempts: null,
        cache: null,
        promptTokensRemoved: 0,
        promptHash: null,
        maxTokens: null,
        stopReason: response.stopReason,
      }),
    );
  }
}

export function shadowEvaluatorFor(config: Config, deps: ShadowDeps & { catalog: Catalog }): ShadowEvaluator | undefined {
  const shadow = config.advisor.shadow;
  return shadow && shadow.sample > 0 ? new ShadowEvaluator(shadow, deps) : undefined;
}
