// OpenAI Responses API: `POST /v1/responses`, non-streaming and streaming, built from the same
// replies, token counts and prompt-cache emulation as Chat Completions. Validation and the wire
// shapes are the gateway's own (src/wire/openai/responses-*.ts). Nothing is stored: the emulator
// answers `previous_response_id` and `item_reference` with a 400, as a store-less upstream would.
import type { CanonicalResponse, StreamEvent, Usage } from '../core/canonical.js';
import { GatewayError } from '../core/errors.js';
import { parseResponsesBody, type ResponsesCall } from '../wire/openai/responses-parse.js';
import { itemsToMessages } from '../wire/openai/responses-items.js';
import { renderResponse, type ResponseMeta } from '../wire/openai/responses-render.js';
import { ResponsesStreamWriter } from '../wire/openai/responses-stream.js';
import { badRequest } from './errors.js';
import type { Exchange, Frame } from './exchange.js';
import { isKnownModel } from './models.js';
import { modelNotFound } from './openai.js';
import { analyzePrompt, replyFor, tokensPerPiece, type Reply } from './reply.js';

function parse(body: unknown): ResponsesCall {
  try {
    const call = parseResponsesBody(body);
    if (call.previousResponseId !== undefined) throw badRequest(`Previous response with id '${call.previousResponseId}' not found.`, 'previous_response_id');
    itemsToMessages(call.input, call.request);
    return call;
  } catch (err) {
    if (err instanceof GatewayError) throw badRequest(err.message, err.param, err.code);
    throw err;
  }
}

export async function handleOpenAIResponses(ex: Exchange, body: unknown): Promise<void> {
  const call = parse(body);
  const canon = call.request;
  const model = canon.model;
  if (!isKnownModel(model)) throw modelNotFound(model);
  const prompt = analyzePrompt(canon, model);
  const reply = replyFor(ex, canon, model, prompt);
  ex.admit(prompt.tokens, reply.outputTokens);
  const cached = ex.state.openaiCache.lookupAndStore(model, canon.promptCacheKey, prompt.segments, prompt.tokens);
  const usage: Usage = {
    inputTokens: prompt.tokens - cached,
    cacheReadTokens: cached,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    outputTokens: reply.outputTokens,
    reasoningTokens: 0,
  };
  const id = `resp_${ex.state.nextId()}`;
  const created = Math.floor(ex.state.now() / 1000);
  const meta: ResponseMeta = { id, createdAt: created, model, echo: call.echo };
  const response = canonicalOf(reply, id, model, created, usage);
  if (!canon.stream) return ex.sendJson(renderResponse(response, meta), reply.outputTokens);
  const writer = new ResponsesStreamWriter(meta);
  const frames: Frame[] = [];
  const push = (event: StreamEvent, tokens = 0): void => {
    const data = writer.write(event);
    if (data !== '') frames.push({ data, tokens });
  };
  push({ type: 'start', id, model, created, usage: { ...usage, outputTokens: 0 } });
  if (reply.kind === 'text') {
    push({ type: 'block_start', index: 0, block: { type: 'text' } });
    const per = tokensPerPiece(reply.outputTokens, reply.pieces.length);
    for (const piece of reply.pieces) push({ type: 'text_delta', index: 0, text: piece }, per);
  } else {
    push({ type: 'block_start', index: 0, block: { type: 'tool_call', id: `call_${reply.idSuffix}`, name: reply.name } });
    const per = tokensPerPiece(reply.outputTokens, reply.argumentPieces.length);
    for (const piece of reply.argumentPieces) push({ type: 'tool_args_delta', index: 0, partialJson: piece }, per);
  }
  push({ type: 'block_stop', index: 0 });
  push({ type: 'finish', stopReason: response.stopReason, stopSequence: null, usage });
  return ex.sendStream(frames);
}

function canonicalOf(r: Reply, id: string, model: string, created: number, usage: Usage): CanonicalResponse {
  if (r.kind === 'tool') {
    return {
      id,
      model,
      created,
      usage,
      content: [{ type: 'tool_call', id: `call_${r.idSuffix}`, name: r.name, arguments: r.arguments }],
      stopReason: 'tool_use',
      stopSequence: null,
    };
  }
  return { id, model, created, usage, content: [{ type: 'text', text: r.text }], stopReason: r.stop, stopSequence: r.stopSequence };
}
