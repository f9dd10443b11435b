// Stage: parse. The body as JSON (`ctx.body`), then the caller's wire format (or the surface's own
// parser, `ctx.parser`) → the canonical request (`ctx.request`); embeddings requests → `ctx.embedding`.
import { parseJsonBody } from '../core/json-body.js';
import { ingressFor } from '../wire/ingress.js';
import { parseEmbeddingsRequest } from '../wire/openai/embeddings.js';
import type { RequestContext } from './context.js';
import type { Stage } from './stage.js';

export function parseStage(): Stage {
  return {
    name: 'parse',
    async run(ctx, next) {
      const body = parseJsonBody(await ctx.inbound.body());
      ctx.body = body;
      noteRequestedModel(ctx, body);
      ctx.request = ctx.parser ? await ctx.parser(body, ctx) : ingressFor(ctx.ingress).parse(body);
      return next(ctx);
    },
  };
}

export function parseEmbeddingsStage(): Stage {
  return {
    name: 'parse',
    async run(ctx, next) {
      const body = parseJsonBody(await ctx.inbound.body());
      ctx.body = body;
      noteRequestedModel(ctx, body);
      const embedding = parseEmbeddingsRequest(body);
      ctx.embedding = embedding;
      ctx.request.model = embedding.model;
      return next(ctx);
    },
  };
}

/** Keeps the asked-for model on the ledger row even when the body then fails validation. */
function noteRequestedModel(ctx: RequestContext, body: unknown): void {
  const model = (body as { model?: unknown } | null)?.model;
  if (typeof model === 'string') ctx.request.model = model.slice(0, 200);
}
