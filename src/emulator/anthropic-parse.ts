// Anthropic Messages request → canonical request, validated like the real API.
import type {
  CacheControl,
  CanonicalMessage,
  CanonicalRequest,
  ContentPart,
  ImagePart,
  TextPart,
  ToolCallPart,
  ToolChoice,
  ToolDefinition,
  ToolResultPart,
} from '../core/canonical.js';
import { badRequest } from './errors.js';
import * as v from './parse-util.js';

function required(field: string): never {
  throw badRequest(`${field}: Field required`, field);
}

function withCc<T extends { cacheControl?: CacheControl }>(part: T, raw: v.Obj, param: string): T {
  const cc = v.optCacheControl(raw.cache_control, `${param}.cache_control`);
  if (cc) part.cacheControl = cc;
  return part;
}

function textBlock(raw: v.Obj, param: string): TextPart {
  const text = v.requireString(raw.text, `${param}.text`);
  if (text.length === 0 && raw.cache_control !== undefined && raw.cache_control !== null) {
    throw badRequest(`${param}: cache_control cannot be set for empty text blocks`, param);
  }
  return withCc<TextPart>({ type: 'text', text }, raw, param);
}

function imageBlock(raw: v.Obj, param: string): ImagePart {
  const src = v.requireObj(raw.source, `${param}.source`);
  const source: ImagePart['source'] =
    src.type === 'url'
      ? { kind: 'url', url: v.requireString(src.url, `${param}.source.url`) }
      : { kind: 'base64', mediaType: v.loose(src.media_type ?? ''), data: typeof src.data === 'string' ? src.data : JSON.stringify(src) };
  return withCc<ImagePart>({ type: 'image', source }, raw, param);
}

function block(rawBlock: unknown, param: string): ContentPart {
  const b = v.requireObj(rawBlock, param);
  switch (b.type) {
    case 'text':
      return textBlock(b, param);
    case 'image':
      return imageBlock(b, param);
    case 'tool_use':
    case 'server_tool_use':
      return withCc<ToolCallPart>(
        {
          type: 'tool_call',
          id: v.requireString(b.id, `${param}.id`),
          name: v.requireString(b.name, `${param}.name`),
          arguments: JSON.stringify(b.input ?? {}),
        },
        b,
        param,
      );
    case 'tool_result': {
      const content: Array<TextPart | ImagePart> = [];
      if (typeof b.content === 'string') content.push({ type: 'text', text: b.content });
      else if (b.content !== undefined && b.content !== null) {
        v.requireArray(b.content, `${param}.content`).forEach((c, i) => {
          const inner = v.requireObj(c, `${param}.content[${i}]`);
          content.push(inner.type === 'image' ? imageBlock(inner, `${param}.content[${i}]`) : textBlock(inner, `${param}.content[${i}]`));
        });
      }
      const part = withCc<ToolResultPart>({ type: 'tool_result', toolCallId: v.requireString(b.tool_use_id, `${param}.tool_use_id`), content }, b, param);
      if (b.is_error === true) part.isError = true;
      return part;
    }
    case 'thinking':
      return {
        type: 'thinking',
        text: v.requireString(b.thinking, `${param}.thinking`),
        ...(typeof b.signature === 'string' ? { signature: b.signature } : {}),
      };
    case 'redacted_thinking':
      return { type: 'thinking', text: v.loose(b.data ?? '') };
    default: {
      // documents, search results, server tool results…: estimated as the text of their JSON.
      const { cache_control: _cc, ...rest } = b;
      return withCc<TextPart>({ type: 'text', text: JSON.stringify(rest) }, b, param);
    }
  }
}

function message(raw: unknown, i: number): CanonicalMessage {
  const param = `messages.${i}`;
  const m = v.requireObj(raw, param);
  if (m.role !== 'user' && m.role !== 'assistant') throw badRequest(`${param}.role: Input should be 'user' or 'assistant'`, `${param}.role`);
  if (m.content === undefined) required(`${param}.content`);
  const content =
    typeof m.content === 'string'
      ? [{ type: 'text' as const, text: m.content }]
      : v.requireArray(m.content, `${param}.content`).map((b, j) => block(b, `${param}.content.${j}`));
  return { role: m.role, content };
}

function system(raw: unknown): TextPart[] {
  if (raw === undefined || raw === null) return [];
  if (typeof raw === 'string') return raw.length > 0 ? [{ type: 'text', text: raw }] : [];
  return v.requireArray(raw, 'system').map((b, i) => textBlock(v.requireObj(b, `system.${i}`), `system.${i}`));
}

function tools(raw: unknown): ToolDefinition[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  return v.requireArray(raw, 'tools').map((t, i) => {
    const tool = v.requireObj(t, `tools.${i}`);
    const def: ToolDefinition = {
      name: v.requireString(tool.name, `tools.${i}.name`),
      parameters: tool.input_schema === undefined ? { type: typeof tool.type === 'string' ? tool.type : 'object' } : v.schemaOf(tool.input_schema),
    };
    const description = v.optString(tool.description, `tools.${i}.description`);
    if (description !== undefined) def.description = description;
    const cc = v.optCacheControl(tool.cache_control, `tools.${i}.cache_control`);
    if (cc) def.cacheControl = cc;
    return def;
  });
}

function toolChoice(raw: unknown): ToolChoice | undefined {
  if (raw === undefined || raw === null) return undefined;
  const o = v.requireObj(raw, 'tool_choice');
  if (o.type === 'auto' || o.type === 'none') return { type: o.type };
  if (o.type === 'any') return { type: 'required' };
  if (o.type === 'tool') return { type: 'tool', name: v.requireString(o.name, 'tool_choice.name') };
  throw badRequest("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'", 'tool_choice.type');
}

/** `forCount` = the count_tokens endpoint (no max_tokens). */
export function parseAnthropic(body: unknown, forCount = false): CanonicalRequest {
  const b = v.requireObj(body, 'body');
  if (b.model === undefined) required('model');
  const model = v.requireString(b.model, 'model');
  if (b.messages === undefined) required('messages');
  const messages = v.requireArray(b.messages, 'messages').map(message);
  if (!forCount && b.max_tokens === undefined) required('max_tokens');
  const canon: CanonicalRequest = {
    model,
    system: system(b.system),
    messages,
    stream: v.optBool(b.stream, 'stream') ?? false,
    streamUsage: true,
    passthrough: { format: 'anthropic', fields: {} },
  };
  const maxTokens = v.optPositiveInt(b.max_tokens, 'max_tokens');
  if (maxTokens !== undefined) canon.maxTokens = maxTokens;
  const stop = v.optStringList(b.stop_sequences, 'stop_sequences');
  if (stop) canon.stop = stop;
  const t = tools(b.tools);
  if (t) canon.tools = t;
  const tc = toolChoice(b.tool_choice);
  if (tc) canon.toolChoice = tc;
  const cc = v.optCacheControl(b.cache_control, 'cache_control');
  if (cc) canon.cacheControl = cc;
  // Structured outputs: `output_config.format` (and the beta's `output_format`) make the answer JSON.
  const format = v.isObj(b.output_config) ? b.output_config.format : b.output_format;
  if (v.isObj(format) && format.type === 'json_schema') canon.responseFormat = { type: 'json_schema', name: 'output', schema: v.schemaOf(format.schema) };
  return canon;
}
