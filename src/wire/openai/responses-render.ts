// CanonicalResponse → an OpenAI Responses API `response` object.
// Each canonical text part becomes one `message` output item (one `output_text` part), each tool call
// one `function_call` item (`call_id` is the canonical tool call id). Thinking parts are not
// rendered (costwise returns no reasoning items), as on Chat Completions. A max-tokens stop is
// `status: "incomplete"` with `incomplete_details.reason: "max_output_tokens"`.
//
// Item ids carry their response's id (`msg_<x>_0` belongs to `resp_<x>`), so an `item_reference`
// finds its stored response without an index of its own.
import type { CanonicalResponse, StopReason, Usage } from '../../core/canonical.js';
import type { ResponseEcho } from './responses-parse.js';
import type { Json } from './validate.js';

export interface ResponseMeta {
  /** `resp_…` */
  id: string;
  /** Epoch seconds. */
  createdAt: number;
  /** The public model name the caller sees. */
  model: string;
  echo: ResponseEcho;
}

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete';

/** `resp_<x>` and an output position → `<prefix>_<x>_<n>`. */
export function itemId(prefix: 'msg' | 'fc' | 'in', responseId: string, n: number): string {
  return `${prefix}_${responseId.slice('resp_'.length)}_${n}`;
}

/** The response an item id of ours belongs to, or undefined for an id costwise did not make. */
export function responseIdOfItem(id: string): string | undefined {
  const first = id.indexOf('_');
  const last = id.lastIndexOf('_');
  if (first < 0 || last <= first + 1 || !/^\d+$/.test(id.slice(last + 1))) return undefined;
  return `resp_${id.slice(first + 1, last)}`;
}

export function statusOf(stop: StopReason): { status: ResponseStatus; incomplete: Json | null } {
  if (stop === 'max_tokens') return { status: 'incomplete', incomplete: { reason: 'max_output_tokens' } };
  if (stop === 'content_filter') return { status: 'incomplete', incomplete: { reason: 'content_filter' } };
  return { status: 'completed', incomplete: null };
}

export function renderResponsesUsage(u: Usage): Json {
  const input = u.inputTokens + u.cacheReadTokens + u.cacheWrite5mTokens + u.cacheWrite1hTokens;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: u.cacheReadTokens },
    output_tokens: u.outputTokens,
    output_tokens_details: { reasoning_tokens: u.reasoningTokens },
    total_tokens: input + u.outputTokens,
  };
}

export function messageItem(id: string, text: string, status: 'in_progress' | 'completed'): Json {
  return { type: 'message', id, status, role: 'assistant', content: status === 'completed' ? [outputText(text)] : [] };
}

export function outputText(text: string): Json {
  return { type: 'output_text', text, annotations: [], logprobs: [] };
}

export function functionCallItem(id: string, call: { id: string; name: string; arguments: string }, status: 'in_progress' | 'completed'): Json {
  return { type: 'function_call', id, call_id: call.id, name: call.name, arguments: call.arguments, status };
}

export function outputItems(resp: CanonicalResponse, responseId: string): Json[] {
  const out: Json[] = [];
  for (const p of resp.content) {
    if (p.type === 'text') out.push(messageItem(itemId('msg', responseId, out.length), p.text, 'completed'));
    else if (p.type === 'tool_call') out.push(functionCallItem(itemId('fc', responseId, out.length), p, 'completed'));
  }
  if (resp.refusal !== undefined) {
    out.push({
      type: 'message',
      id: itemId('msg', responseId, out.length),
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'refusal', refusal: resp.refusal }],
    });
  }
  return out;
}

/** The Response object, in OpenAI's field order. `usage` is null until the response is done. */
export function responseObject(meta: ResponseMeta, state: { status: ResponseStatus; incomplete: Json | null }, output: Json[], usage: Usage | null): Json {
  const e = meta.echo;
  return {
    id: meta.id,
    object: 'response',
    created_at: meta.createdAt,
    status: state.status,
    background: false,
    error: null,
    incomplete_details: state.incomplete,
    instructions: e.instructions,
    max_output_tokens: e.max_output_tokens,
    max_tool_calls: null,
    model: meta.model,
    output,
    parallel_tool_calls: e.parallel_tool_calls,
    previous_response_id: e.previous_response_id,
    reasoning: e.reasoning,
    service_tier: 'default',
    store: e.store,
    temperature: e.temperature,
    text: e.text,
    tool_choice: e.tool_choice,
    tools: e.tools,
    top_p: e.top_p,
    truncation: e.truncation,
    usage: usage === null ? null : renderResponsesUsage(usage),
    user: e.user,
    metadata: e.metadata,
  };
}

export function renderResponse(resp: CanonicalResponse, meta: ResponseMeta): Json {
  return responseObject(meta, statusOf(resp.stopReason), outputItems(resp, meta.id), resp.usage);
}
