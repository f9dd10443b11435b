// Stage: deferral. A chat request sent with `x-costwise-defer: <window>`, or matching a deferrable
// route (`batch.deferral.rules`, non-streaming only), is not answered now: it is handed to the batch
// service (src/batch/deferral.ts) and answered with 202 and a job id; it runs later in a provider
// batch at batch prices, and its ledger row is written then. A `via: flex` rule answers the request
// now instead, on the flex-tier twin of the deployment that serves it (dispatch), at the same
// half price, when the model asked for has such a twin; streams included.
import { GatewayError, invalidRequest } from '../core/errors.js';
import { headerValue } from '../core/headers.js';
import type { Catalog } from '../config/catalog.js';
import type { RuleMatch } from '../config/rule-schema.js';
import type { RequestFeatures } from '../routing/policy/features.js';
import { compileMatch } from '../routing/policy/rules.js';
import { featuresOf, type Caller, type DeferredJob } from './context.js';
import type { Stage } from './stage.js';

/** Takes a request to run later in a provider batch. */
export interface Deferrer {
  defer(job: { format: 'openai' | 'anthropic'; body: unknown; caller: Caller; forwardHeaders: Record<string, string>; windowMs: number }): Promise<DeferredJob>;
}

/** The chat pipeline's extras: deferral into provider batches. */
export interface DeferralDeps {
  deferralRules: readonly DeferralRule[];
  /** Absent where batches do not run: a deferral is then refused with 503. */
  deferrer: Deferrer | undefined;
}

/** A compiled deferrable route (`batch.deferral.rules`). */
export interface DeferralRule {
  name: string;
  matches(f: RequestFeatures): boolean;
  windowMs: number;
  via: 'batch' | 'flex';
}

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `24h`, `90m`, `2d`, `3600s` → milliseconds. */
export function parseWindow(raw: string): number {
  const m = /^\s*(\d+)\s*([smhd])\s*$/.exec(raw);
  if (!m || Number(m[1]) === 0) throw invalidRequest(`x-costwise-defer: expected a window like 24h, 90m, 2d or 3600s, got "${raw}"`, 'x-costwise-defer');
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

export function compileDeferralRules(rules: ReadonlyArray<{ name: string; match: RuleMatch; window: string; via?: 'batch' | 'flex' }>): DeferralRule[] {
  return rules.map((r) => ({ name: r.name, matches: compileMatch(r.match), windowMs: parseWindow(r.window), via: r.via ?? 'batch' }));
}

export function deferStage(deps: DeferralDeps & { catalog: Catalog }): Stage {
  const { deferralRules: rules, deferrer, catalog } = deps;
  const hasFlexTwin = (model: string): boolean => catalog.deployments(model).some((d) => d.flexTier !== undefined);
  return {
    name: 'defer',
    run(ctx, next) {
      const header = headerValue(ctx.inbound.headers, 'x-costwise-defer');
      let windowMs: number | undefined;
      if (header !== undefined) windowMs = parseWindow(header);
      else if (rules.length > 0) {
        const rule = rules.find((r) => r.matches(featuresOf(ctx)));
        if (rule?.via === 'flex' && hasFlexTwin(ctx.request.model)) {
          ctx.serviceTier = { tier: 'flex', rule: rule.name };
          return next(ctx);
        }
        if (!ctx.request.stream) windowMs = rule?.windowMs;
      }
      if (windowMs === undefined || ctx.ingress === 'gemini') return next(ctx); // answered now: no promise of its own
      // A batch item is a chat body; a surface with its own parser (the Responses API) is answered now.
      if (ctx.parser) {
        if (header === undefined) return next(ctx);
        return Promise.reject(
          invalidRequest(`x-costwise-defer is not supported on ${ctx.endpoint}; use /v1/chat/completions or /v1/messages.`, 'x-costwise-defer'),
        );
      }
      if (!deferrer) return Promise.reject(new GatewayError({ kind: 'internal', status: 503, message: 'batch processing is not running in this gateway' }));
      return deferrer.defer({ format: ctx.ingress, body: ctx.body, caller: ctx.caller, forwardHeaders: ctx.forwardHeaders, windowMs }).then((job) => {
        ctx.outcome = { kind: 'deferred', job };
      });
    },
  };
}
