// Egress streaming: an Anthropic upstream's named SSE events → canonical StreamEvents.
// Usage: input and cache counts come from message_start unless message_delta restates them;
// message_delta's output_tokens is cumulative. `finish` goes out on message_stop (or at the end of
// the stream when a message_delta was seen); a stream cut before that is an upstream error.
import type { StopReason, StreamEvent, Usage } from '../../core/canonical.js';
import type { SseEvent } from '../sse.js';
import { parseAnthropicStreamError } from './errors.js';
import { malformed } from './malformed.js';
import { encodeRedactedSignature } from './redacted-thinking.js';
import { fromAnthropicStopReason } from './stop-reason.js';
import { mergeDeltaUsage, parseUsage } from './usage.js';
import { isObject, type JsonObject } from './validate.js';

export interface AnthropicEventsOptions {
  /** Provider name, for error messages. */
  provider?: string;
}

export async function* anthropicEventsToCanonical(events: AsyncIterable<SseEvent>, opts: AnthropicEventsOptions = {}): AsyncGenerator<StreamEvent> {
  const provider = opts.provider;
  let usage: Usage | undefined;
  let stop: { reason: StopReason; sequence: string | null } | undefined;
  for await (const sse of events) {
    if (sse.event === 'ping') continue;
    if (sse.event === 'error') throw parseAnthropicStreamError(sse.data, provider);
    if (sse.data === '') continue;
    const data = parseJson(sse.data, provider);
    const type = sse.event ?? data.type;
    switch (type) {
      case 'message_start': {
        const message = data.message;
        if (!isObject(message) || typeof message.id !== 'string') throw malformed('message_start without a message', provider);
        usage = parseUsage(message.usage);
        if (usage === undefined) throw malformed('message_start without usage', provider);
        yield {
          type: 'start',
          id: message.id,
          model: typeof message.model === 'string' ? message.model : '',
          created: Math.floor(Date.now() / 1000),
          usage,
        };
        break;
      }
      case 'content_block_start':
        yield* blockStart(data, provider);
        break;
      case 'content_block_delta': {
        const event = blockDelta(data, provider);
        if (event) yield event;
        break;
      }
      case 'content_block_stop':
        yield { type: 'block_stop', index: indexOf(data, provider) };
        break;
      case 'message_delta': {
        if (usage === undefined) throw malformed('message_delta before message_start', provider);
        const delta = isObject(data.delta) ? data.delta : {};
        const reason = fromAnthropicStopReason(delta.stop_reason);
        if (reason === undefined) throw malformed(`unknown stop_reason ${JSON.stringify(delta.stop_reason)}`, provider);
        stop = { reason, sequence: typeof delta.stop_sequence === 'string' ? delta.stop_sequence : null };
        usage = mergeDeltaUsage(usage, data.usage);
        break;
      }
      case 'message_stop':
        if (usage === undefined) throw malformed('message_stop before message_start', provider);
        yield finish(stop, usage);
        return;
      default:
        // Unknown event types are ignored, as the SDK does.
        break;
    }
  }
  if (usage === undefined || stop === undefined) throw malformed('the stream ended before the message was complete', provider);
  yield finish(stop, usage);
}

function finish(stop: { reason: StopReason; sequence: string | null } | undefined, usage: Usage): StreamEvent {
  return { type: 'finish', stopReason: stop?.reason ?? 'end_turn', stopSequence: stop?.sequence ?? null, usage };
}

function parseJson(text: string, provider: string | undefined): JsonObject {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw malformed('an event is not JSON', provider);
  }
  if (!isObject(v)) throw malformed('an event is not a JSON object', provider);
  return v;
}

function indexOf(data: JsonObject, provider: string | undefined): number {
  if (typeof data.index !== 'number' || !Number.isInteger(data.index)) throw malformed(`${String(data.type)} without an index`, provider);
  return data.index;
}

function* blockStart(data: JsonObject, provider: string | undefined): Generator<StreamEvent> {
  const index = indexOf(data, provider);
  const block = data.content_block;
  if (!isObject(block)) throw malformed('content_block_start without a content_block', provider);
  switch (block.type) {
    case 'text':
      yield { type: 'block_start', index, block: { type: 'text' } };
      if (typeof block.text === 'string' && block.text !== '') yield { type: 'text_delta', index, text: block.text };
      return;
    case 'tool_use': {
      if (typeof block.id !== 'string' || typeof block.name !== 'string') throw malformed('tool_use block without id or name', provider);
      yield { type: 'block_start', index, block: { type: 'tool_call', id: block.id, name: block.name } };
      // Input normally arrives as input_json_delta; a non-empty initial input is sent as one delta.
      if (isObject(block.input) && Object.keys(block.input).length > 0) {
        yield { type: 'tool_args_delta', index, partialJson: JSON.stringify(block.input) };
      }
      return;
    }
    case 'thinking':
      yield { type: 'block_start', index, block: { type: 'thinking' } };
      if (typeof block.thinking === 'string' && block.thinking !== '') yield { type: 'thinking_delta', index, text: block.thinking };
      if (typeof block.signature === 'string' && block.signature !== '') yield { type: 'signature_delta', index, signature: block.signature };
      return;
    case 'redacted_thinking':
      if (typeof block.data !== 'string') throw malformed('redacted_thinking block without data', provider);
      yield { type: 'block_start', index, block: { type: 'thinking' } };
      yield { type: 'signature_delta', index, signature: encodeRedactedSignature(block.data) };
      return;
    default:
      throw malformed(`unsupported content block type ${JSON.stringify(block.type)}`, provider);
  }
}

function blockDelta(data: JsonObject, provider: string | undefined): StreamEvent | undefined {
  const index = indexOf(data, provider);
  const delta = data.delta;
  if (!isObject(delta)) throw malformed('content_block_delta without a delta', provider);
  switch (delta.type) {
    case 'text_delta':
      if (typeof delta.text === 'string') return { type: 'text_delta', index, text: delta.text };
      break;
    case 'input_json_delta':
      if (typeof delta.partial_json === 'string') return { type: 'tool_args_delta', index, partialJson: delta.partial_json };
      break;
    case 'thinking_delta':
      if (typeof delta.thinking === 'string') return { type: 'thinking_delta', index, text: delta.thinking };
      break;
    case 'signature_delta':
      if (typeof delta.signature === 'string') return { type: 'signature_delta', index, signature: delta.signature };
      break;
    case 'citations_delta':
      // Citations come only with documents and search results, which costwise refuses.
      return undefined;
    default:
      throw malformed(`unsupported delta type ${JSON.stringify(delta.type)}`, provider);
  }
  throw malformed(`${delta.type} without its text`, provider);
}
