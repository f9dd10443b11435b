// Stage: dispatch, the innermost stage. The request goes upstream (dispatch.ts: deployments,
// retries, fallbacks), or through a cascade router's steps and checks (cascade.ts); the answer is
// priced — a stream as it passes, from its final usage.
import { runCascade, type CascadeDeps } from './cascade.js';
import { need } from './context.js';
import { dispatch } from './dispatch.js';
import { price, pricedStream } from './price.js';
import type { Stage } from './stage.js';

export function dispatchStage(deps: CascadeDeps): Stage {
  return {
    name: 'dispatch',
    async run(ctx, next) {
      await (ctx.cascade ? runCascade(ctx, deps) : dispatch(ctx, deps));
      const outcome = need(ctx.outcome, 'outcome', 'dispatch');
      if (outcome.kind === 'complete') price(ctx, outcome.response.usage);
      else if (outcome.kind === 'stream') ctx.outcome = { kind: 'stream', events: pricedStream(ctx, outcome.events) };
      return next(ctx);
    },
  };
}
