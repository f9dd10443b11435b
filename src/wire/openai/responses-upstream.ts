// EGRESS: what an upstream Responses API sent back → canonical: a Response object, or its SSE
// events. Only the fields read are checked; anything malformed is a 502 naming it.
// Output items: `message` → text parts (a `refusal` part → the refusal), `function_call` → a tool
// call (its `call_id` is the canonical id); reasoning and other items are skipped. Stream blocks
// are numbered in the order their items open, whatever their `output_index`.
import { ZERO_USAGE, type CanonicalResponse, type StopReason, type StreamEvent, type TextPart, type ToolCallPart, type Usage } from '../../core/canonical.js';
import type { SseEvent } from '../sse.js';
import { parseOpenAIError, statusForStreamError } from './errors.js';
import { count, malformed } from './upstream.js';
import { isRecord, type Json } from './validate.js';

export function parseResponsesUsage(value: unknown, provider: string | undefined): Usage {
  if (value === undefined || value === null) return { ...ZERO_USAGE };
  if (!isRecord(value)) throw malformed('usage is not an object', provider);
  const input = count(value, 'input_tokens', 'usage', provider);
  const inDetails = isRecord(value.input_tokens_details) ? value.input_tokens_details : {};
  const outDetails = isRecord(value.output_tokens_details) ? value.output_tokens_details : {};
  const cached = count(inDetails, 'cached_tokens', 'usage.input_tokens_details', provider);
  return {
    inputTokens: Math.max(0, input - cached),
    cacheReadTokens: cached,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    outputTokens: count(value, 'output_tokens', 'usage', provider),
    reasoningTokens: count(outDetails, 'reasoning_tokens', 'usage.output_tokens_details', provider),
  };
}

function stopReasonOf(response: Json, sawToolCall: boolean): StopReason {
  if (response.status === 'incomplete') {
    const reason = isRecord(response.incomplete_details) ? response.incomplete_details.reason : undefined;
    return reason === 'content_filter' ? 'content_filter' : 'max_tokens';
  }
  return sawToolCall ? 'tool_use' : 'end_turn';
}

export function parseResponseObject(body: unknown, provider?: string): CanonicalResponse {
  if (!isRecord(body)) throw malformed('the body is not a JSON object', provider);
  if (body.status === 'failed') throw failed(body, provider);
  const output = body.output;
  if (!Array.isArray(output)) throw malformed('output is not an array', provider);
  const content: Array<TextPart | ToolCallPart> = [];
  let refusal: string | undefined;
  output.forEach((item: unknown, i) => {
    if (!isRecord(item)) throw malformed(`output[${i}] is not an object`, provider);
    if (item.type === 'function_call') content.push(toolCall(item, `output[${i}]`, provider));
    else if (item.type === 'message' && Array.isArray(item.content)) {
      for (const part of item.content as unknown[]) {
        if (!isRecord(part)) continue;
        if (part.type === 'output_text' && typeof part.text === 'string') content.push({ type: 'text', text: part.text });
        else if (part.type === 'refusal' && typeof part.refusal === 'string') refusal = (refusal ?? '') + part.refusal;
      }
    }
  });
  const resp: CanonicalResponse = {
    id: typeof body.id === 'string' ? body.id : '',
    model: typeof body.model === 'string' ? body.model : '',
    content,
    stopReason: stopReasonOf(
      body,
      content.some((p) => p.type === 'tool_call'),
    ),
    stopSequence: null,
    usage: parseResponsesUsage(body.usage, provider),
    created: typeof body.created_at === 'number' ? body.created_at : Math.floor(Date.now() / 1000),
  };
  if (refusal !== undefined) resp.refusal = refusal;
  return resp;
}

function toolCall(item: Json, where: string, provider: string | undefined): ToolCallPart {
  if (typeof item.call_id !== 'string') throw malformed(`${where}.call_id is not a string`, provider);
  if (typeof item.name !== 'string') throw malformed(`${where}.name is not a string`, provider);
  return { type: 'tool_call', id: item.call_id, name: item.name, arguments: typeof item.arguments === 'string' ? item.arguments : '{}' };
}

function failed(response: Json, provider: string | undefined) {
  const error = isRecord(response.error) ? response.error : { message: 'the response failed' };
  return parseOpenAIError(500, { error }, {}, provider ?? 'openai');
}

export async function* responsesEventsToCanonical(events: AsyncIterable<SseEvent>, opts: { provider?: string } = {}): AsyncGenerator<StreamEvent> {
  const provider = opts.provider ?? 'openai';
  /** output_index → canonical block index, for the items that are blocks. */
  const blocks = new Map<number, number>();
  let sawToolCall = false;
  let finished = false;
  for await (const sse of events) {
    if (sse.data === '[DONE]') break;
    let ev: unknown;
    try {
      ev = JSON.parse(sse.data);
    } catch {
      throw malformed('a stream event is not JSON', provider);
    }
    if (!isRecord(ev)) throw malformed('a stream event is not an object', provider);
    const type = ev.type ?? sse.event;
    const block = typeof ev.output_index === 'number' ? blocks.get(ev.output_index) : undefined;
    switch (type) {
      case 'response.created': {
        const r = isRecord(ev.response) ? ev.response : {};
        yield {
          type: 'start',
          id: typeof r.id === 'string' ? r.id : '',
          model: typeof r.model === 'string' ? r.model : '',
          created: typeof r.created_at === 'number' ? r.created_at : Math.floor(Date.now() / 1000),
          usage: { ...ZERO_USAGE },
        };
        break;
      }
      case 'response.output_item.added': {
        const item = isRecord(ev.item) ? ev.item : {};
        if (typeof ev.output_index !== 'number') throw malformed('output_item.added has no output_index', provider);
        if (item.type === 'message') {
          blocks.set(ev.output_index, blocks.size);
          yield { type: 'block_start', index: blocks.size - 1, block: { type: 'text' } };
        } else if (item.type === 'function_call') {
          const call = toolCall(item, 'output_item.added.item', provider);
          sawToolCall = true;
          blocks.set(ev.output_index, blocks.size);
          yield { type: 'block_start', index: blocks.size - 1, block: { type: 'tool_call', id: call.id, name: call.name } };
        }
        break;
      }
      case 'response.output_text.delta':
        if (block !== undefined && typeof ev.delta === 'string') yield { type: 'text_delta', index: block, text: ev.delta };
        break;
      case 'response.refusal.delta':
        if (block !== undefined && typeof ev.delta === 'string') yield { type: 'text_delta', index: block, text: ev.delta };
        break;
      case 'response.function_call_arguments.delta':
        if (block !== undefined && typeof ev.delta === 'string') yield { type: 'tool_args_delta', index: block, partialJson: ev.delta };
        break;
      case 'response.output_item.done':
        if (block !== undefined) yield { type: 'block_stop', index: block };
        break;
      case 'response.completed':
      case 'response.incomplete': {
        const r = isRecord(ev.response) ? ev.response : {};
        finished = true;
        yield { type: 'finish', stopReason: stopReasonOf(r, sawToolCall), stopSequence: null, usage: parseResponsesUsage(r.usage, provider) };
        break;
      }
      case 'response.failed':
        throw failed(isRecord(ev.response) ? ev.response : {}, provider);
      case 'error': {
        const body = { error: ev };
        throw parseOpenAIError(statusForStreamError(body), body, {}, provider);
      }
    }
  }
  if (!finished) throw malformed('the stream ended before response.completed', provider);
}
