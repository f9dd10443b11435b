// INGRESS: OpenAI `messages` → canonical system + messages.
//
// Role mapping:
// - system / developer → canonical `system` text parts, wherever they appear. A system message in
//   the middle of the conversation is APPENDED to the canonical system (the canonical shape has one
//   system prompt; there is no warning channel at ingress). Its position and `name` are lost, and
//   `developer` is sent on as `system` (OpenAI treats them alike).
// - user → user (string or text / image_url parts; `name` kept).
// - assistant → assistant: text parts, then one tool_call part per `tool_calls` entry. `refusal`
//   (field or content part) is ignored; empty-string content is dropped.
// - tool → a user message with a tool_result part; consecutive tool messages (system messages
//   between them aside) merge into one user message.
import { invalidRequest, type GatewayError } from '../../core/errors.js';
import type { CanonicalMessage, ContentPart, ImagePart, TextPart, ToolResultPart } from '../../core/canonical.js';
import { invalidType, invalidValue, isRecord, missing, optCacheControl, optString, reqString, unsupported, type Json } from './validate.js';

export interface ParsedMessages {
  system: TextPart[];
  messages: CanonicalMessage[];
}

export function parseMessages(value: unknown): ParsedMessages {
  if (value === undefined || value === null) throw missing('messages');
  if (!Array.isArray(value)) throw invalidType('messages', 'an array of messages', value);
  if (value.length === 0) {
    throw invalidRequest("Invalid value for 'messages': expected an array with at least 1 message, got an empty array.", 'messages');
  }
  const system: TextPart[] = [];
  const messages: CanonicalMessage[] = [];
  // The user message collecting the current run of tool messages.
  let toolRun: CanonicalMessage | null = null;
  for (let i = 0; i < value.length; i++) {
    const path = `messages[${i}]`;
    const m: unknown = value[i];
    if (!isRecord(m)) throw invalidType(path, 'an object', m);
    const role = m.role;
    if (role === 'system' || role === 'developer') {
      for (const part of parseTextContent(m.content, `${path}.content`)) system.push(part);
      continue;
    }
    if (role === 'tool') {
      const part = parseToolMessage(m, path);
      if (toolRun) toolRun.content.push(part);
      else {
        toolRun = { role: 'user', content: [part] };
        messages.push(toolRun);
      }
      continue;
    }
    toolRun = null;
    if (role === 'user') messages.push(parseUserMessage(m, path));
    else if (role === 'assistant') messages.push(parseAssistantMessage(m, path));
    else throw badRole(role, `${path}.role`);
  }
  return { system, messages };
}

function badRole(role: unknown, path: string): GatewayError {
  if (role === undefined || role === null) return missing(path);
  if (typeof role !== 'string') return invalidType(path, 'a string', role);
  if (role === 'function') return unsupported(path, `Unsupported role 'function' at '${path}': use 'tool' messages with tool_calls.`);
  return invalidValue(path, "one of 'system', 'developer', 'user', 'assistant', 'tool'", role);
}

/** A string, or an array of text parts (system, developer and tool messages). */
function parseTextContent(content: unknown, path: string): TextPart[] {
  if (content === undefined || content === null) throw missing(path);
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw invalidType(path, 'a string or an array of text parts', content);
  const parts: TextPart[] = [];
  for (let j = 0; j < content.length; j++) {
    const p: unknown = content[j];
    const pp = `${path}[${j}]`;
    if (!isRecord(p)) throw invalidType(pp, 'an object', p);
    if (p.type !== 'text') {
      if (p.type === undefined || p.type === null) throw missing(`${pp}.type`);
      throw invalidValue(`${pp}.type`, "'text'", p.type);
    }
    parts.push(textPart(p, pp));
  }
  return parts;
}

function textPart(p: Json, path: string): TextPart {
  const part: TextPart = { type: 'text', text: reqString(p, 'text', `${path}.text`) };
  const cc = optCacheControl(p, path);
  if (cc) part.cacheControl = cc;
  return part;
}

function parseUserMessage(m: Json, path: string): CanonicalMessage {
  const content = m.content;
  const cp = `${path}.content`;
  const msg: CanonicalMessage = { role: 'user', content: [] };
  if (content === undefined || content === null) throw missing(cp);
  if (typeof content === 'string') msg.content.push({ type: 'text', text: content });
  else if (Array.isArray(content)) {
    for (let j = 0; j < content.length; j++) msg.content.push(parseUserPart(content[j], `${cp}[${j}]`));
  } else throw invalidType(cp, 'a string or an array of content parts', content);
  const name = optString(m, 'name', `${path}.name`);
  if (name !== undefined) msg.name = name;
  return msg;
}

function parseUserPart(p: unknown, path: string): ContentPart {
  if (!isRecord(p)) throw invalidType(path, 'an object', p);
  const type = p.type;
  if (type === 'text') return textPart(p, path);
  if (type === 'image_url') return imagePart(p, path);
  if (type === undefined || type === null) throw missing(`${path}.type`);
  if (type === 'input_audio' || type === 'file') {
    throw unsupported(`${path}.type`, `Unsupported content type '${type}' at '${path}': costwise supports 'text' and 'image_url' parts.`);
  }
  throw invalidValue(`${path}.type`, "one of 'text', 'image_url'", type);
}

const DATA_URL = /^data:([^;,]+);base64,/;

function imagePart(p: Json, path: string): ImagePart {
  const ip = `${path}.image_url`;
  const img = p.image_url;
  if (img === undefined || img === null) throw missing(ip);
  if (!isRecord(img)) throw invalidType(ip, 'an object', img);
  const url = reqString(img, 'url', `${ip}.url`);
  let part: ImagePart;
  const data = DATA_URL.exec(url);
  if (data) {
    part = { type: 'image', source: { kind: 'base64', mediaType: data[1] ?? '', data: url.slice(data[0].length) } };
  } else if (url.startsWith('https://') || url.startsWith('http://') || url.startsWith('data:')) {
    // A non-base64 data URL (e.g. URL-encoded SVG) is kept verbatim as a URL.
    part = { type: 'image', source: { kind: 'url', url } };
  } else {
    throw invalidValue(`${ip}.url`, 'an http(s) URL or a base64 data URL', url);
  }
  const detail = img.detail;
  if (detail !== undefined && detail !== null) {
    if (detail !== 'auto' && detail !== 'low' && detail !== 'high') throw invalidValue(`${ip}.detail`, "one of 'auto', 'low', 'high'", detail);
    part.detail = detail;
  }
  const cc = optCacheControl(p, path);
  if (cc) part.cacheControl = cc;
  return part;
}

function parseAssistantMessage(m: Json, path: string): CanonicalMessage {
  const msg: CanonicalMessage = { role: 'assistant', content: [] };
  const content = m.content;
  const cp = `${path}.content`;
  if (typeof content === 'string') {
    if (content !== '') msg.content.push({ type: 'text', text: content });
  } else if (Array.isArray(content)) {
    for (let j = 0; j < content.length; j++) {
      const p: unknown = content[j];
      const pp = `${cp}[${j}]`;
      if (!isRecord(p)) throw invalidType(pp, 'an object', p);
      if (p.type === 'text') msg.content.push(textPart(p, pp));
      else if (p.type === 'refusal') reqString(p, 'refusal', `${pp}.refusal`);
      else if (p.type === undefined || p.type === null) throw missing(`${pp}.type`);
      else throw invalidValue(`${pp}.type`, "one of 'text', 'refusal'", p.type);
    }
  } else if (content !== undefined && content !== null) {
    throw invalidType(cp, 'a string or an array of content parts', content);
  }
  optString(m, 'refusal', `${path}.refusal`);
  const calls = m.tool_calls;
  if (calls !== undefined && calls !== null) {
    if (!Array.isArray(calls)) throw invalidType(`${path}.tool_calls`, 'an array', calls);
    for (let j = 0; j < calls.length; j++) msg.content.push(parseToolCall(calls[j], `${path}.tool_calls[${j}]`));
  }
  if (m.function_call !== undefined && m.function_call !== null) {
    throw unsupported(`${path}.function_call`, `Unsupported parameter '${path}.function_call': the deprecated function_call is not supported; use tool_calls.`);
  }
  if (m.audio !== undefined && m.audio !== null) {
    throw unsupported(`${path}.audio`, `Unsupported parameter '${path}.audio': costwise does not support audio outputs.`);
  }
  const name = optString(m, 'name', `${path}.name`);
  if (name !== undefined) msg.name = name;
  return msg;
}

function parseToolCall(c: unknown, path: string): ContentPart {
  if (!isRecord(c)) throw invalidType(path, 'an object', c);
  if (c.type !== undefined && c.type !== 'function') throw invalidValue(`${path}.type`, "'function'", c.type);
  const id = reqString(c, 'id', `${path}.id`);
  const fn = c.function;
  if (fn === undefined || fn === null) throw missing(`${path}.function`);
  if (!isRecord(fn)) throw invalidType(`${path}.function`, 'an object', fn);
  const name = reqString(fn, 'name', `${path}.function.name`);
  const args = reqString(fn, 'arguments', `${path}.function.arguments`);
  return { type: 'tool_call', id, name, arguments: args };
}

function parseToolMessage(m: Json, path: string): ToolResultPart {
  const toolCallId = reqString(m, 'tool_call_id', `${path}.tool_call_id`);
  return { type: 'tool_result', toolCallId, content: parseTextContent(m.content, `${path}.content`) };
}
