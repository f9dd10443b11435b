// A stage is one step of the request pipeline: it does its part and calls `next` to run the rest,
// or answers the request itself by setting `ctx.outcome` and returning. Work after `await next(ctx)`
// runs once the stages after it are done (wrapping a stream, settling in `finally`).
import type { RequestContext } from './context.js';

export type Next = (ctx: RequestContext) => Promise<void>;

export interface Stage {
  readonly name: string;
  run(ctx: RequestContext, next: Next): Promise<void>;
}

const END: Next = () => Promise.resolve();

/** The stages as one function, first stage outermost; built once, so a request allocates no closures. */
export function compose(stages: readonly Stage[]): Next {
  let next = END;
  for (let i = stages.length - 1; i >= 0; i--) {
    const stage = stages[i]!;
    const after = next;
    next = (ctx) => stage.run(ctx, after);
  }
  return next;
}
