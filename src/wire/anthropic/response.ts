// CanonicalResponse ⇄ Anthropic Message (non-streaming).
import type { CanonicalResponse, TextPart, ThinkingPart, ToolCallPart } from '../../core/canonical.js';
import { malformed } from './malformed.js';
import { encodeRedactedSignature, redactedData } from './redacted-thinking.js';
import { fromAnthropicStopReason, toAnthropicStopReason } from './stop-reason.js';
import { parseUsage, renderUsage } from './usage.js';
import { isObject, type JsonObject } from './validate.js';

/** `resp.id` when it is already an Anthropic id, else one derived from the gateway request id. */
export function messageId(id: string, requestId: string): string {
  return id.startsWith('msg_') ? id : `msg_${requestId}`;
}

/**
 * Ingress response. A canonical `refusal` (OpenAI `message.refusal`) has no Anthropic field: it is
 * appended as a text block and the stop reason becomes `refusal`.
 */
export function renderMessage(resp: CanonicalResponse, publicModel: string, requestId: string): Record<string, unknown> {
  const content: JsonObject[] = resp.content.map(renderBlock);
  let stopReason = toAnthropicStopReason(resp.stopReason);
  if (resp.refusal !== undefined) {
    content.push({ type: 'text', text: resp.refusal });
    stopReason = 'refusal';
  }
  return {
    id: messageId(resp.id, requestId),
    type: 'message',
    role: 'assistant',
    content,
    model: publicModel,
    stop_reason: stopReason,
    stop_sequence: resp.stopSequence,
    usage: renderUsage(resp.usage),
  };
}

function renderBlock(part: TextPart | ToolCallPart | ThinkingPart): JsonObject {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: part.text };
    case 'tool_call':
      return { type: 'tool_use', id: part.id, name: part.name, input: parseArguments(part.arguments) };
    case 'thinking': {
      const data = redactedData(part.signature);
      if (data !== undefined) return { type: 'redacted_thinking', data };
      return { type: 'thinking', thinking: part.text, signature: part.signature ?? '' };
    }
  }
}

/** Tool arguments as the object Anthropic clients expect; not-an-object JSON becomes `{}`. */
export function parseArguments(args: string): JsonObject {
  try {
    const v: unknown = JSON.parse(args);
    return isObject(v) ? v : {};
  } catch {
    return {};
  }
}

export interface ParseMessageOptions {
  /** Provider name, for error messages. */
  provider?: string;
}

/** Egress: an upstream Message body → CanonicalResponse. Malformed → `upstream_error`. */
export function parseMessage(body: unknown, opts: ParseMessageOptions = {}): CanonicalResponse {
  const provider = opts.provider;
  if (!isObject(body)) throw malformed('body is not an object', provider);
  if (typeof body.id !== 'string') throw malformed('missing id', provider);
  if (!Array.isArray(body.content)) throw malformed('missing content', provider);
  // A completed message always has a stop reason; a null one is read as a normal end.
  const stopReason = body.stop_reason === null ? 'end_turn' : fromAnthropicStopReason(body.stop_reason);
  if (stopReason === undefined) throw malformed(`unknown stop_reason ${JSON.stringify(body.stop_reason)}`, provider);
  const usage = parseUsage(body.usage);
  if (usage === undefined) throw malformed('missing usage', provider);
  const content: CanonicalResponse['content'] = [];
  for (let i = 0; i < body.content.length; i++) {
    content.push(parseBlock(body.content[i], i, provider));
  }
  return {
    id: body.id,
    model: typeof body.model === 'string' ? body.model : '',
    content,
    stopReason,
    stopSequence: typeof body.stop_sequence === 'string' ? body.stop_sequence : null,
    usage,
    created: Math.floor(Date.now() / 1000),
  };
}

function parseBlock(v: unknown, index: number, provider: string | undefined): TextPart | ToolCallPart | ThinkingPart {
  if (!isObject(v)) throw malformed(`content[${index}] is not an object`, provider);
  switch (v.type) {
    case 'text':
      if (typeof v.text !== 'string') break;
      // `citations` (only produced for documents and search results, which costwise refuses) are not kept.
      return { type: 'text', text: v.text };
    case 'tool_use':
      if (typeof v.id !== 'string' || typeof v.name !== 'string') break;
      return { type: 'tool_call', id: v.id, name: v.name, arguments: JSON.stringify(v.input ?? {}) };
    case 'thinking': {
      if (typeof v.thinking !== 'string') break;
      const part: ThinkingPart = { type: 'thinking', text: v.thinking };
      if (typeof v.signature === 'string' && v.signature !== '') part.signature = v.signature;
      return part;
    }
    case 'redacted_thinking':
      if (typeof v.data !== 'string') break;
      return { type: 'thinking', text: '', signature: encodeRedactedSignature(v.data) };
    default:
      throw malformed(`content[${index}] has unsupported type ${JSON.stringify(v.type)}`, provider);
  }
  throw malformed(`content[${index}] (${v.type}) is missing fields`, provider);
}
