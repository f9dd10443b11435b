// POST /v1/responses (the OpenAI Responses API) through the chat pipeline: its own body parser
// (input items, previous_response_id, item_reference) and its own responder (Response objects and
// Responses SSE events). Everything between — routing, caches, prompt-cache planning, costs, the
// ledger — is the chat pipeline's. With `store` (OpenAI's default) the answer and its input items
// are kept in the response store for responses-stored.ts and later previous_response_id.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { invalidRequest, toGatewayError, type GatewayError } from '../core/errors.js';
import type { CanonicalRequest, StreamEvent } from '../core/canonical.js';
import { createContext, type Exit, type Outcome, type RequestContext, type Seal } from '../pipeline/index.js';
import { parseResponsesBody, type ResponsesCall } from '../wire/openai/responses-parse.js';
import { itemsToMessages, type ConversationItem } from '../wire/openai/responses-items.js';
import { itemId, renderResponse, responseIdOfItem, type ResponseMeta } from '../wire/openai/responses-render.js';
import { ResponsesStreamWriter } from '../wire/openai/responses-stream.js';
import { renderOpenAIError } from '../wire/openai/errors.js';
import type { ResponseStore } from '../storage/responses/types.js';
import type { AppDeps } from './deps.js';
import { forwardHeadersFrom } from './caller.js';
import { HttpExchange } from './http-exchange.js';
import { newRequestId } from './ids.js';

const UNAUTHENTICATED = { tenant: 'default', keyId: 'anonymous', tags: [] };

export async function handleResponsesCreate(req: IncomingMessage, res: ServerResponse, deps: AppDeps): Promise<void> {
  const requestId = newRequestId();
  const exchange = new ResponsesExchange(req, res, deps, `resp_${requestId}`);
  const ctx = createContext({
    requestId,
    ingress: 'openai',
    endpoint: '/v1/responses',
    inbound: exchange,
    responder: exchange,
    parser: (body, c) => exchange.parse(body, c),
    caller: UNAUTHENTICATED,
    forwardHeaders: forwardHeadersFrom(req.headers),
    receivedAt: deps.clock(),
  });
  exchange.watchDisconnect(ctx);
  await deps.pipelines.chat(ctx);
}

class ResponsesExchange extends HttpExchange {
  private call: ResponsesCall | undefined;
  /** The conversation's input items, the previous response's included. */
  private items: ConversationItem[] = [];
  private readonly store: ResponseStore;

  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    deps: AppDeps,
    private readonly responseId: string,
  ) {
    super(req, res, deps.config.server.maxBodyBytes);
    this.store = deps.responses;
  }

  async parse(body: unknown, ctx: RequestContext): Promise<CanonicalRequest> {
    const call = parseResponsesBody(body);
    const items: ConversationItem[] = [];
    if (call.previousResponseId !== undefined) {
      const prev = await this.store.get(call.previousResponseId, ctx.caller);
      if (!prev)
        throw invalidRequest(`Previous response with id '${call.previousResponseId}' not found.`, 'previous_response_id', 'previous_response_not_found');
      for (const item of prev.input) items.push(item as ConversationItem);
      for (const item of prev.response.output as ConversationItem[]) items.push(item);
    }
    for (let i = 0; i < call.input.length; i++) {
      const item = call.input[i]!;
      if (item.type === 'item_reference') items.push(await this.referenced(item.id, i, ctx));
      else items.push(item.id === undefined ? { ...item, id: itemId('in', this.responseId, items.length) } : item);
    }
    itemsToMessages(items, call.request);
    this.call = call;
    this.items = items;
    return call.request;
  }

  /** The stored item an `item_reference` names: an output or input item of one of the caller's stored responses. */
  private async referenced(id: string, index: number, ctx: RequestContext): Promise<ConversationItem> {
    const responseId = responseIdOfItem(id);
    const stored = responseId === undefined ? null : await this.store.get(responseId, ctx.caller);
    const found = stored && [...(stored.response.output as ConversationItem[]), ...(stored.input as ConversationItem[])].find((it) => it.id === id);
    if (!found) throw invalidRequest(`Item with id '${id}' not found.`, `input[${index}].id`, 'item_not_found');
    return found;
  }

  private meta(ctx: RequestContext, createdAt: number): ResponseMeta {
    return { id: this.responseId, createdAt, model: ctx.deployment?.name ?? ctx.request.model, echo: this.call!.echo };
  }

  /** Keeps the answer for GET /v1/responses/{id} and previous_response_id; a failure costs the caller nothing but a warning. */
  private async keep(ctx: RequestContext, response: Record<string, unknown>): Promise<void> {
    if (!this.call?.store) return;
    try {
      await this.store.put({ id: this.responseId, tenant: ctx.caller.tenant, keyId: ctx.caller.keyId, createdAt: ctx.receivedAt, response, input: this.items });
    } catch (err) {
      ctx.warnings.push(`the response could not be stored: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async send(ctx: RequestContext, outcome: Outcome, seal: Seal): Promise<Exit> {
    if (outcome.kind === 'stream') return this.stream(ctx, outcome.events, seal);
    if (outcome.kind !== 'complete') return this.fail(ctx, toGatewayError(new Error(`a ${outcome.kind} answer on /v1/responses`)), seal);
    const response = renderResponse(outcome.response, this.meta(ctx, outcome.response.created));
    await this.keep(ctx, response);
    return this.writeAnswer(ctx, JSON.stringify(response), seal);
  }

  fail(ctx: RequestContext, err: GatewayError, seal: Seal): Exit {
    return this.writeFailure(ctx, err, seal, renderOpenAIError(err));
  }

  private stream(ctx: RequestContext, events: AsyncIterable<StreamEvent>, seal: Seal): Promise<Exit> {
    const writer = new ResponsesStreamWriter(this.meta(ctx, Math.floor(ctx.receivedAt / 1000)));
    return this.writeStream(ctx, events, seal, {
      writer,
      errorFrame: (e) => writer.errorFrame(e),
      // The answer is stored before its final event is released, so a chained request can follow at once.
      beforeSeal: () => {
        const final = writer.response();
        return final ? this.keep(ctx, final) : Promise.resolve();
      },
    });
  }
}
