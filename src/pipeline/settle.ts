// Stage: settle, the outermost stage. However the request ended, in a `finally`: exactly one ledger
// row (none for a deferred request: its job's row comes when it runs; usually the responder has
// sealed it already, before the answer's last byte), the answer stored in the
// response cache, the prompt fed to the prefix-churn detector, the budget reservation settled to the
// exact cost and the rate limits' token count corrected. With telemetry on, the request is counted
// in flight and its span (which dispatch's attempt spans hang under) spans it from start to settle.
import type { CanonicalResponse } from '../core/canonical.js';
import type { DurableStore } from '../storage/types.js';
import type { PrefixChurnDetector } from '../promptcache/churn.js';
import type { Exit, RequestContext } from './context.js';
import { finishCache, type ResponseCache } from './cache.js';
import { recordExit } from './respond.js';
import { observePromptChurn } from './prompt-cache.js';
import type { Stage } from './stage.js';
import type { Governance } from './governance.js';
import { settlePermit } from './admit.js';
import { settleBudget } from './reserve.js';
import type { Telemetry } from '../telemetry/index.js';
import { observeEnd, observeStart } from './observe.js';
import type { ShadowEvaluator } from './shadow.js';
import type { PromptCapture } from './capture.js';

export interface SettleDeps {
  store: DurableStore;
  responseCache: ResponseCache;
  promptChurn: PrefixChurnDetector;
  governance: Governance;
  telemetry?: Telemetry | undefined;
  /** Shadow evaluation (advisor.shadow), when configured. */
  shadow?: ShadowEvaluator | undefined;
  /** Prompt capture (routing.learn.capturePrompts), when on. */
  prompts?: PromptCapture | undefined;
}

export function settleStage(deps: SettleDeps): Stage {
  return {
    name: 'settle',
    async run(ctx, next) {
      const telemetry = deps.telemetry;
      if (telemetry !== undefined) observeStart(ctx, telemetry);
      try {
        await next(ctx);
      } finally {
        settle(ctx, deps);
        if (telemetry !== undefined) observeEnd(ctx, telemetry);
        if (ctx.reservation !== undefined || ctx.permit !== undefined || ctx.unreserved === true) await settleGovernance(ctx, deps.governance);
      }
    },
  };
}

/** A respond stage that never ran to its end (a bug) still leaves a row: as a 500. */
const UNANSWERED: Exit = { status: 500, record: true };

function settle(ctx: RequestContext, deps: SettleDeps): void {
  const exit = ctx.exit ?? UNANSWERED;
  void recordExit(ctx, exit, deps.store);
  const ok = exit.status === 200;
  const answer = ok ? answerOf(ctx) : undefined;
  finishCache(ctx, deps, answer);
  const kind = ctx.outcome?.kind;
  if (ok && (kind === 'complete' || kind === 'stream')) observePromptChurn(ctx, deps.promptChurn);
  // A cached answer came from no model now; a streamed one is shadowed only when it was collected.
  if (!ok || ctx.cacheResult?.startsWith('hit')) return;
  const shadowed = answer !== undefined && deps.shadow !== undefined && deps.shadow.observe(ctx, answer);
  deps.prompts?.observe(ctx, shadowed);
}

/** The whole answer the caller got: a complete response, or a stream collected as it passed. */
function answerOf(ctx: RequestContext): CanonicalResponse | undefined {
  const outcome = ctx.outcome;
  if (outcome?.kind === 'complete') return outcome.response;
  return ctx.cacheCollector?.result();
}

async function settleGovernance(ctx: RequestContext, governance: Governance): Promise<void> {
  try {
    await Promise.all([settleBudget(ctx, governance), settlePermit(ctx, governance)]);
  } catch (err) {
    process.stderr.write(`costwise: settling the budget of ${ctx.requestId}: ${err instanceof Error ? err.message : String(err)}\n`);
  }
}
