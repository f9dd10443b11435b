// Stage: respond. Whatever the stages after it produced — an answer, a stream, a deferral, or an
// error — goes to the context's responder (the caller's HTTP connection in its wire format, or a
// batch item's stored result), which says how the request ended (`ctx.exit`) for settle. The
// responder seals the request — its ledger row written — just before the answer's last byte.
import { GatewayError, toGatewayError } from '../core/errors.js';
import type { DurableStore } from '../storage/types.js';
import { need, type Seal } from './context.js';
import { recordLedger } from './ledger.js';
import type { Stage } from './stage.js';

/** Writes the request's one ledger row (unless it has none, or has it already); resolves once it is durable. */
export function recordExit(ctx: Parameters<Seal>[0], exit: Parameters<Seal>[1], store: DurableStore): Promise<void> | undefined {
  ctx.exit = exit;
  if (!exit.record || ctx.recorded === true) return undefined;
  ctx.recorded = true;
  recordLedger(ctx, store, exit);
  return store.durable?.();
}

export function respondStage(deps: { store: DurableStore }): Stage {
  const seal: Seal = (ctx, exit) => recordExit(ctx, exit, deps.store);
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
        ctx.exit = ctx.responder.fail(ctx, error, seal);
        return;
      }
      ctx.exit = await ctx.responder.send(ctx, outcome, seal);
    },
  };
}

/** A failure that is not one of the taxonomy's is a bug: the caller sees a masked 500, the operator the stack. */
export function logInternal(requestId: string, err: unknown): void {
  process.stderr.write(`costwise: internal error on ${requestId}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
}
