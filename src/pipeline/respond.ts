// Stage: respond. Whatever the stages after it produced — an answer, a stream, a deferral, or an
// error — goes to the context's responder (the caller's HTTP connection in its wire format, or a
// batch item's stored result), which says how the request ended (`ctx.exit`) for settle.
import { GatewayError, toGatewayError } from '../core/errors.js';
import { need } from './context.js';
import type { Stage } from './stage.js';

export function respondStage(): Stage {
  return {
    name: 'respond',
    async run(ctx, next) {
      let outcome;
      try {
        await next(ctx);
        outcome = need(ctx.outcome, 'outcome', 'dispatch, the response cache or defer');
      } catch (err) {
        if (!(err instanceof GatewayError)) logInternal(ctx.requestId, err);
        const error = toGatewayError(err);
        ctx.error = error;
        ctx.exit = ctx.responder.fail(ctx, error);
        return;
      }
      ctx.exit = await ctx.responder.send(ctx, outcome);
    },
  };
}

/** A failure that is not one of the taxonomy's is a bug: the caller sees a masked 500, the operator the stack. */
export function logInternal(requestId: string, err: unknown): void {
  process.stderr.write(`costwise: internal error on ${requestId}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
}
