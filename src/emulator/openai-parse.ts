// OpenAI Chat Completions request → canonical request, validated like the real API.
import type { CanonicalMessage, CanonicalRequest, ContentPart, ImagePart, TextPart, ToolChoice, ToolDefinition } from '../core/canonical.js';
import { badRequest } from './errors.js';
import * as v from './parse-util.js';

export interface OpenAIChatRequest {
  canon: CanonicalRequest;
  n: number;
}

const ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'function'];

function missing(param: string): never {
  throw badRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
}

function userParts(content: unknown, param: string): Array<TextPart | ImagePart> {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (content === undefined || content === null) missing(param);
  return v.requireArray(content, param).map((raw, i): TextPart | ImagePart => {
    const p = v.requireObj(raw, `${param}[${i}]`);
    if (p.type === 'text') return { type: 'text', text: v.requireString(p.text, `${param}[${i}].text`) };
    if (p.type === 'image_url') {
      const img = v.requireObj(p.image_url, `${param}[${i}].image_url`);
      const part: ImagePart = { type: 'image', source: { kind: 'url', url: v.requireString(img.url, `${param}[${i}].image_url.url`) } };
      if (img.detail === 'low' || img.detail === 'high' || img.detail === 'auto') part.detail = img.detail;
      return part;
    }
    if (p.type === 'refusal') return { type: 'text', text: v.requireString(p.refusal, `${param}[${i}].refusal`) };
    // Audio, files…: estimated as the text of their JSON.
    return { type: 'text', text: JSON.stringify(p) };
  });
}

function message(raw: unknown, i: number): CanonicalMessage {
  const param = `messages[${i}]`;
  const m = v.requireObj(raw, param);
  const role = m.role;
  if (role === undefined) missing(`${param}.role`);
  if (typeof role !== 'string' || !ROLES.includes(role)) {
    throw badRequest(
      `Invalid value: '${v.loose(role)}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`,
      `${param}.role`,
      'invalid_value',
    );
  }
  const name = v.optString(m.name, `${param}.name`);
  if (role === 'tool' || role === 'function') {
    const toolCallId = role === 'tool' ? m.tool_call_id : m.name;
    if (typeof toolCallId !== 'string') missing(`${param}.tool_call_id`);
    return { role: 'user', content: [{ type: 'tool_result', toolCallId, content: userParts(m.content, `${param}.content`) }] };
  }
  if (role === 'assistant') {
    const content: ContentPart[] = m.content === undefined || m.content === null ? [] : userParts(m.content, `${param}.content`);
    if (m.tool_calls !== undefined && m.tool_calls !== null) {
      v.requireArray(m.tool_calls, `${param}.tool_calls`).forEach((rawCall, j) => {
        const call = v.requireObj(rawCall, `${param}.tool_calls[${j}]`);
        const fn = v.requireObj(call.function, `${param}.tool_calls[${j}].function`);
        content.push({
          type: 'tool_call',
          id: v.requireString(call.id, `${param}.tool_calls[${j}].id`),
          name: v.requireString(fn.name, `${param}.tool_calls[${j}].function.name`),
          arguments: v.requireString(fn.arguments, `${param}.tool_calls[${j}].function.arguments`),
        });
      });
    } else if (m.content === undefined || m.content === null) {
      missing(`${param}.content`);
    }
    const msg: CanonicalMessage = { role: 'assistant', content };
    if (name !== undefined) msg.name = name;
    return msg;
  }
  const msg: CanonicalMessage = { role: 'user', content: userParts(m.content, `${param}.content`) };
  if (name !== undefined && role === 'user') msg.name = name;
  return msg;
}

function tools(raw: unknown): ToolDefinition[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  return v.requireArray(raw, 'tools').map((t, i) => {
    const tool = v.requireObj(t, `tools[${i}]`);
    const fn = v.requireObj(tool.function ?? tool.custom, `tools[${i}].function`);
    const def: ToolDefinition = { name: v.requireString(fn.name, `tools[${i}].function.name`), parameters: v.schemaOf(fn.parameters) };
    const description = v.optString(fn.description, `tools[${i}].function.description`);
    if (description !== undefined) def.description = description;
    if (typeof fn.strict === 'boolean') def.strict = fn.strict;
    return def;
  });
}

function toolChoice(raw: unknown): ToolChoice | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (raw === 'none' || raw === 'auto' || raw === 'required') return { type: raw };
  const o = v.requireObj(raw, 'tool_choice');
  const fn = v.requireObj(o.function, 'tool_choice.function');
  return { type: 'tool', name: v.requireString(fn.name, 'tool_choice.function.name') };
}

export function parseOpenAIChat(body: unknown): OpenAIChatRequest {
  const b = v.requireObj(body, 'body');
  if (b.model === undefined || b.model === null || b.model === '') throw badRequest('you must provide a model parameter');
  const model = v.requireString(b.model, 'model');
  if (b.messages === undefined) missing('messages');
  const rawMessages = v.requireArray(b.messages, 'messages');
  if (rawMessages.length === 0) {
    throw badRequest("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", 'messages', 'empty_array');
  }
  const system: TextPart[] = [];
  const messages: CanonicalMessage[] = [];
  rawMessages.forEach((raw, i) => {
    if (v.isObj(raw) && (raw.role === 'system' || raw.role === 'developer')) {
      for (const p of userParts(raw.content, `messages[${i}].content`)) if (p.type === 'text') system.push(p);
    } else {
      messages.push(message(raw, i));
    }
  });
  const stream = v.optBool(b.stream, 'stream') ?? false;
  if (b.stream_options !== undefined && b.stream_options !== null && !stream) {
    throw badRequest("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options', 'invalid_value');
  }
  const streamOptions = b.stream_options === undefined || b.stream_options === null ? {} : v.requireObj(b.stream_options, 'stream_options');
  const n = v.optPositiveInt(b.n, 'n') ?? 1;
  if (n > 128) throw badRequest("Invalid 'n': integer above maximum value. Expected a value <= 128.", 'n', 'integer_above_max_value');
  const stop = v.optStringList(b.stop, 'stop');
  if (stop && stop.length > 4) throw badRequest("Invalid 'stop': array too long. Expected an array with maximum length 4.", 'stop', 'array_above_max_length');

  const canon: CanonicalRequest = {
    model,
    system,
    messages,
    stream,
    streamUsage: streamOptions.include_usage === true,
    passthrough: { format: 'openai', fields: {} },
  };
  const maxTokens = v.optPositiveInt(b.max_completion_tokens, 'max_completion_tokens') ?? v.optPositiveInt(b.max_tokens, 'max_tokens');
  if (maxTokens !== undefined) canon.maxTokens = maxTokens;
  if (stop) canon.stop = stop;
  const t = tools(b.tools);
  if (t) canon.tools = t;
  const tc = toolChoice(b.tool_choice);
  if (tc) canon.toolChoice = tc;
  const cacheKey = v.optString(b.prompt_cache_key, 'prompt_cache_key');
  if (cacheKey !== undefined) canon.promptCacheKey = cacheKey;
  if (v.isObj(b.response_format) && b.response_format.type === 'json_schema' && v.isObj(b.response_format.json_schema)) {
    const js = b.response_format.json_schema;
    canon.responseFormat = { type: 'json_schema', name: v.loose(js.name ?? 'schema'), schema: v.schemaOf(js.schema) };
  } else if (v.isObj(b.response_format) && b.response_format.type === 'json_object') canon.responseFormat = { type: 'json_object' };
  return { canon, n };
}
