// EGRESS: CanonicalRequest → an OpenAI Chat Completions request body.
//
// Lossy mappings (each one a warning unless marked silent):
// - thinking parts, `thinking` config, `topK`, tool_result `isError`, images inside tool results
//   (replaced by a text note), images / tool calls / tool results in the wrong role;
// - passthrough fields from another wire format (one warning per field);
// - cacheControl anywhere: silent (a cost hint, not a semantic one).
// Normalisations (no information lost):
// - canonical system → one leading `system` message (a string for one part, text parts otherwise);
// - a content list of exactly one text part is sent as a plain string;
// - tool_result parts → `role: "tool"` messages (text parts joined with "\n"), placed BEFORE the
//   rest of their user message (OpenAI requires tool messages right after the tool calls);
// - assistant with tool calls and no text → `content: null`;
// - maxTokens → `max_completion_tokens` (or `max_tokens`, see options); `stream` only when true.
import type { CanonicalMessage, CanonicalRequest, ImagePart, TextPart, ToolResultPart } from '../../core/canonical.js';
import { renderResponseFormat, renderToolChoice, renderTools } from './tools.js';
import type { Json } from './validate.js';

export interface ChatRequestBodyOptions {
  stream: boolean;
  /**
   * Which field carries maxTokens: OpenAI's `max_completion_tokens` (default) or the older
   * `max_tokens` that every OpenAI-compatible server understands.
   */
  maxTokensField?: 'max_completion_tokens' | 'max_tokens';
  /** The deployment's OpenAI service tier; it wins over a caller's `service_tier` (it decides the price). */
  serviceTier?: 'flex' | 'priority';
}

const UPSTREAM = 'openai';

export function toChatRequestBody(req: CanonicalRequest, upstreamModel: string, warnings: string[], opts: ChatRequestBodyOptions): Record<string, unknown> {
  const body: Json = { model: upstreamModel, messages: renderMessages(req, warnings) };
  if (req.maxTokens !== undefined) body[opts.maxTokensField ?? 'max_completion_tokens'] = req.maxTokens;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.topK !== undefined) warn(warnings, notSent('top_k'));
  if (req.stop !== undefined) body.stop = req.stop;
  if (req.seed !== undefined) body.seed = req.seed;
  if (req.tools !== undefined) body.tools = renderTools(req.tools);
  if (req.toolChoice !== undefined) body.tool_choice = renderToolChoice(req.toolChoice);
  if (req.parallelToolCalls !== undefined) body.parallel_tool_calls = req.parallelToolCalls;
  if (req.responseFormat !== undefined) body.response_format = renderResponseFormat(req.responseFormat);
  if (opts.stream) {
    body.stream = true;
    // Always: the gateway prices from the final usage chunk, whatever the client asked.
    body.stream_options = { include_usage: true };
  }
  if (req.user !== undefined) body.user = req.user;
  if (req.promptCacheKey !== undefined) body.prompt_cache_key = req.promptCacheKey;
  if (req.reasoningEffort !== undefined) body.reasoning_effort = req.reasoningEffort;
  if (req.thinking !== undefined) warn(warnings, `${notSent('thinking')} (use reasoning_effort)`);
  if (opts.serviceTier !== undefined) body.service_tier = opts.serviceTier;

  const fields = req.passthrough.fields;
  if (req.passthrough.format === 'openai') {
    for (const key in fields) if (!(key in body)) body[key] = fields[key];
  } else {
    for (const key in fields) warn(warnings, notSent(key));
  }
  return body;
}

/**
 * `JSON.stringify(toChatRequestBody(...))` with the same bytes and warnings, written directly for
 * the common request (text-only messages, no tools, response format, top_k or thinking, OpenAI
 * passthrough fields): the body object is not built only to be serialised. Any other request
 * takes the general path.
 */
export function toChatRequestJson(req: CanonicalRequest, upstreamModel: string, warnings: string[], opts: ChatRequestBodyOptions): string {
  if (!isPlain(req) || opts.serviceTier !== undefined) return JSON.stringify(toChatRequestBody(req, upstreamModel, warnings, opts));
  let json = '{"model":' + JSON.stringify(upstreamModel) + ',"messages":[';
  const sys = req.system;
  let first = true;
  if (sys.length === 1) {
    json += '{"role":"system","content":' + JSON.stringify(sys[0]!.text) + '}';
    first = false;
  } else if (sys.length > 1) {
    json += '{"role":"system","content":' + textPartsJson(sys) + '}';
    first = false;
  }
  for (const m of req.messages) {
    if (!first) json += ',';
    first = false;
    const parts = m.content as TextPart[];
    // As renderContent: one text part is a string; an assistant turn without text is ''.
    const content = parts.length === 1 ? JSON.stringify(parts[0]!.text) : parts.length === 0 && m.role === 'assistant' ? '""' : textPartsJson(parts);
    json += (m.role === 'user' ? '{"role":"user","content":' : '{"role":"assistant","content":') + content;
    if (m.name !== undefined) json += ',"name":' + JSON.stringify(m.name);
    json += '}';
  }
  json += ']';
  if (req.maxTokens !== undefined)
    json += (opts.maxTokensField === 'max_tokens' ? ',"max_tokens":' : ',"max_completion_tokens":') + JSON.stringify(req.maxTokens);
  if (req.temperature !== undefined) json += ',"temperature":' + JSON.stringify(req.temperature);
  if (req.topP !== undefined) json += ',"top_p":' + JSON.stringify(req.topP);
  if (req.stop !== undefined) json += ',"stop":' + JSON.stringify(req.stop);
  if (req.seed !== undefined) json += ',"seed":' + JSON.stringify(req.seed);
  if (req.parallelToolCalls !== undefined) json += ',"parallel_tool_calls":' + JSON.stringify(req.parallelToolCalls);
  if (opts.stream) json += ',"stream":true,"stream_options":{"include_usage":true}';
  if (req.user !== undefined) json += ',"user":' + JSON.stringify(req.user);
  if (req.promptCacheKey !== undefined) json += ',"prompt_cache_key":' + JSON.stringify(req.promptCacheKey);
  if (req.reasoningEffort !== undefined) json += ',"reasoning_effort":' + JSON.stringify(req.reasoningEffort);
  const fields = req.passthrough.fields;
  for (const key in fields) {
    if (isSetByBody(req, key, opts)) continue;
    json += ',' + JSON.stringify(key) + ':' + JSON.stringify(fields[key]);
  }
  return json + '}';
}

/** Requests toChatRequestJson writes itself: nothing that warns or renders through a helper. */
function isPlain(req: CanonicalRequest): boolean {
  if (
    req.tools !== undefined ||
    req.toolChoice !== undefined ||
    req.responseFormat !== undefined ||
    req.topK !== undefined ||
    req.thinking !== undefined ||
    req.passthrough.format !== 'openai'
  )
    return false;
  for (const m of req.messages) {
    // A user turn with no parts renders as an empty array, like the general path, but is left to it.
    if (m.role === 'user' && m.content.length === 0) return false;
    for (const p of m.content) if (p.type !== 'text') return false;
  }
  const fields = req.passthrough.fields;
  for (const key in fields) {
    // An integer-like key would come first in the body object (JS orders those before the rest).
    const c = key.charCodeAt(0);
    if (c >= 48 && c <= 57) return false;
    const v = fields[key];
    // What an object property would drop or JSON.stringify would refuse: left to the general path.
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint') return false;
  }
  return true;
}

/** Whether the general path's body already has `key` (a passthrough field of that name is then not sent). */
function isSetByBody(req: CanonicalRequest, key: string, opts: ChatRequestBodyOptions): boolean {
  switch (key) {
    case 'model':
    case 'messages':
      return true;
    case 'max_completion_tokens':
    case 'max_tokens':
      return req.maxTokens !== undefined && key === (opts.maxTokensField ?? 'max_completion_tokens');
    case 'temperature':
      return req.temperature !== undefined;
    case 'top_p':
      return req.topP !== undefined;
    case 'stop':
      return req.stop !== undefined;
    case 'seed':
      return req.seed !== undefined;
    case 'parallel_tool_calls':
      return req.parallelToolCalls !== undefined;
    case 'stream':
    case 'stream_options':
      return opts.stream;
    case 'user':
      return req.user !== undefined;
    case 'prompt_cache_key':
      return req.promptCacheKey !== undefined;
    case 'reasoning_effort':
      return req.reasoningEffort !== undefined;
    default:
      // `key in body` on a plain object also sees Object.prototype's names (toString, constructor, …).
      return key in Object.prototype;
  }
}

function textPartsJson(parts: readonly TextPart[]): string {
  let json = '[';
  for (let i = 0; i < parts.length; i++) json += (i ? ',' : '') + '{"type":"text","text":' + JSON.stringify(parts[i]!.text) + '}';
  return json + ']';
}

function notSent(field: string): string {
  return `"${field}" is not supported by ${UPSTREAM} and was not sent`;
}

/** Adds a warning once (a request with fifty thinking blocks gets one note, not fifty). */
function warn(warnings: string[], message: string): void {
  if (!warnings.includes(message)) warnings.push(message);
}

function renderMessages(req: CanonicalRequest, warnings: string[]): Json[] {
  const out: Json[] = [];
  const sys = req.system;
  if (sys.length === 1 && sys[0]) out.push({ role: 'system', content: sys[0].text });
  else if (sys.length > 1) out.push({ role: 'system', content: sys.map(textJson) });
  for (const m of req.messages) {
    if (m.role === 'user') renderUser(m, out, warnings);
    else renderAssistant(m, out, warnings);
  }
  return out;
}

function renderUser(m: CanonicalMessage, out: Json[], warnings: string[]): void {
  const parts: Array<TextPart | ImagePart> = [];
  let toolResults = 0;
  for (const p of m.content) {
    switch (p.type) {
      case 'text':
      case 'image':
        parts.push(p);
        break;
      case 'tool_result':
        out.push(renderToolResult(p, warnings));
        toolResults++;
        break;
      case 'tool_call':
        warn(warnings, `tool calls in user messages are not supported by ${UPSTREAM} and were not sent`);
        break;
      case 'thinking':
        warn(warnings, `thinking content is not supported by ${UPSTREAM} and was not sent`);
        break;
    }
  }
  if (parts.length === 0 && toolResults > 0) return;
  const msg: Json = { role: 'user', content: renderContent(parts) };
  if (m.name !== undefined) msg.name = m.name;
  out.push(msg);
}

function renderAssistant(m: CanonicalMessage, out: Json[], warnings: string[]): void {
  const texts: TextPart[] = [];
  const calls: Json[] = [];
  for (const p of m.content) {
    switch (p.type) {
      case 'text':
        texts.push(p);
        break;
      case 'tool_call':
        calls.push({ id: p.id, type: 'function', function: { name: p.name, arguments: p.arguments } });
        break;
      case 'thinking':
        warn(warnings, `thinking content is not supported by ${UPSTREAM} and was not sent`);
        break;
      case 'image':
      case 'tool_result':
        warn(warnings, `${p.type} parts in assistant messages are not supported by ${UPSTREAM} and were not sent`);
        break;
    }
  }
  const msg: Json = { role: 'assistant', content: texts.length === 0 ? (calls.length > 0 ? null : '') : renderContent(texts) };
  if (calls.length > 0) msg.tool_calls = calls;
  if (m.name !== undefined) msg.name = m.name;
  out.push(msg);
}

function renderContent(parts: Array<TextPart | ImagePart>): string | Json[] {
  const only = parts.length === 1 ? parts[0] : undefined;
  if (only?.type === 'text') return only.text;
  return parts.map((p) => (p.type === 'text' ? textJson(p) : imageJson(p)));
}

function textJson(p: TextPart): Json {
  return { type: 'text', text: p.text };
}

function imageJson(p: ImagePart): Json {
  const url = p.source.kind === 'url' ? p.source.url : `data:${p.source.mediaType};base64,${p.source.data}`;
  const image: Json = { url };
  if (p.detail !== undefined) image.detail = p.detail;
  return { type: 'image_url', image_url: image };
}

const IMAGE_NOTE = '[image omitted: not supported in tool results]';

function renderToolResult(p: ToolResultPart, warnings: string[]): Json {
  const texts: string[] = [];
  for (const c of p.content) {
    if (c.type === 'text') texts.push(c.text);
    else {
      texts.push(IMAGE_NOTE);
      warn(warnings, `images in tool results are not supported by ${UPSTREAM} and were replaced by a text note`);
    }
  }
  if (p.isError) warn(warnings, `"is_error" on tool results is not supported by ${UPSTREAM} and was not sent`);
  return { role: 'tool', tool_call_id: p.toolCallId, content: texts.join('\n') };
}
