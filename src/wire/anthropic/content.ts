// Ingress: Anthropic `system` and `messages` → canonical parts.
import type { CanonicalMessage, ContentPart, ImagePart, TextPart, ToolResultPart } from '../../core/canonical.js';
import { parseCacheControl } from './cache-control.js';
import { redactedThinkingPart } from './redacted-thinking.js';
import { checkKeys, field, invalid, item, optionalBoolean, requireArray, requireObject, requireString, unsupported, type JsonObject } from './validate.js';

const MESSAGE_KEYS: ReadonlySet<string> = new Set(['role', 'content']);
const TEXT_KEYS: ReadonlySet<string> = new Set(['type', 'text', 'cache_control', 'citations']);
const IMAGE_KEYS: ReadonlySet<string> = new Set(['type', 'source', 'cache_control']);
const TOOL_USE_KEYS: ReadonlySet<string> = new Set(['type', 'id', 'name', 'input', 'cache_control']);
const TOOL_RESULT_KEYS: ReadonlySet<string> = new Set(['type', 'tool_use_id', 'content', 'is_error', 'cache_control']);
const THINKING_KEYS: ReadonlySet<string> = new Set(['type', 'thinking', 'signature']);
const REDACTED_KEYS: ReadonlySet<string> = new Set(['type', 'data']);
const BASE64_KEYS: ReadonlySet<string> = new Set(['type', 'media_type', 'data']);
const URL_KEYS: ReadonlySet<string> = new Set(['type', 'url']);

const BLOCK_TAGS = "'text', 'image', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking'";

export function parseSystem(v: unknown): TextPart[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [{ type: 'text', text: v }];
  if (!Array.isArray(v)) throw invalid('system', 'Input should be a valid string or a list of text blocks');
  const out = new Array<TextPart>(v.length);
  for (let i = 0; i < v.length; i++) {
    const path = item('system', i);
    const block = requireObject(v[i], path);
    if (block.type !== 'text') throw invalid(field(path, 'type'), "Input should be 'text'");
    out[i] = parseText(block, path);
  }
  return out;
}

export function parseMessages(v: unknown): CanonicalMessage[] {
  const list = requireArray(v, 'messages');
  if (list.length === 0) throw invalid('messages', 'List should have at least 1 item after validation, not 0');
  const out = new Array<CanonicalMessage>(list.length);
  for (let i = 0; i < list.length; i++) {
    const path = item('messages', i);
    const msg = requireObject(list[i], path);
    checkKeys(msg, MESSAGE_KEYS, path);
    const role = msg.role;
    if (role !== 'user' && role !== 'assistant') {
      throw invalid(field(path, 'role'), role === undefined ? 'Field required' : "Input should be 'user' or 'assistant'");
    }
    out[i] = { role, content: parseContent(msg.content, field(path, 'content')) };
  }
  return out;
}

function parseContent(v: unknown, path: string): ContentPart[] {
  if (typeof v === 'string') return [{ type: 'text', text: v }];
  const list = requireArray(v, path);
  const out = new Array<ContentPart>(list.length);
  for (let i = 0; i < list.length; i++) out[i] = parseBlock(list[i], item(path, i));
  return out;
}

function parseBlock(v: unknown, path: string): ContentPart {
  const block = requireObject(v, path);
  switch (block.type) {
    case 'text':
      return parseText(block, path);
    case 'image':
      return parseImage(block, path);
    case 'tool_use': {
      checkKeys(block, TOOL_USE_KEYS, path);
      const input = requireObject(block.input, field(path, 'input'));
      const part: ContentPart = {
        type: 'tool_call',
        id: requireString(block.id, field(path, 'id')),
        name: requireString(block.name, field(path, 'name')),
        arguments: JSON.stringify(input),
      };
      const cc = parseCacheControl(block.cache_control, field(path, 'cache_control'));
      if (cc) part.cacheControl = cc;
      return part;
    }
    case 'tool_result':
      return parseToolResult(block, path);
    case 'thinking': {
      checkKeys(block, THINKING_KEYS, path);
      return {
        type: 'thinking',
        text: requireString(block.thinking, field(path, 'thinking')),
        signature: requireString(block.signature, field(path, 'signature')),
      };
    }
    case 'redacted_thinking':
      checkKeys(block, REDACTED_KEYS, path);
      return redactedThinkingPart(requireString(block.data, field(path, 'data')));
    case undefined:
      throw invalid(field(path, 'type'), 'Field required');
    default:
      if (typeof block.type === 'string') throw unsupported(field(path, 'type'), `content block type '${block.type}'`);
      throw invalid(field(path, 'type'), `Input tag should be one of ${BLOCK_TAGS}`);
  }
}

function parseText(block: JsonObject, path: string): TextPart {
  checkKeys(block, TEXT_KEYS, path);
  const part: TextPart = { type: 'text', text: requireString(block.text, field(path, 'text')) };
  const citations = block.citations;
  if (citations !== undefined && citations !== null && !(Array.isArray(citations) && citations.length === 0)) {
    throw unsupported(field(path, 'citations'), 'text block citations');
  }
  const cc = parseCacheControl(block.cache_control, field(path, 'cache_control'));
  if (cc) part.cacheControl = cc;
  return part;
}

function parseImage(block: JsonObject, path: string): ImagePart {
  checkKeys(block, IMAGE_KEYS, path);
  const srcPath = field(path, 'source');
  const src = requireObject(block.source, srcPath);
  let part: ImagePart;
  if (src.type === 'base64') {
    checkKeys(src, BASE64_KEYS, srcPath);
    part = {
      type: 'image',
      source: {
        kind: 'base64',
        mediaType: requireString(src.media_type, field(srcPath, 'media_type')),
        data: requireString(src.data, field(srcPath, 'data')),
      },
    };
  } else if (src.type === 'url') {
    checkKeys(src, URL_KEYS, srcPath);
    part = { type: 'image', source: { kind: 'url', url: requireString(src.url, field(srcPath, 'url')) } };
  } else if (typeof src.type === 'string') {
    throw unsupported(field(srcPath, 'type'), `image source type '${src.type}'`);
  } else {
    throw invalid(field(srcPath, 'type'), "Input tag should be 'base64' or 'url'");
  }
  const cc = parseCacheControl(block.cache_control, field(path, 'cache_control'));
  if (cc) part.cacheControl = cc;
  return part;
}

function parseToolResult(block: JsonObject, path: string): ToolResultPart {
  checkKeys(block, TOOL_RESULT_KEYS, path);
  const part: ToolResultPart = {
    type: 'tool_result',
    toolCallId: requireString(block.tool_use_id, field(path, 'tool_use_id')),
    content: parseToolResultContent(block.content, field(path, 'content')),
  };
  const isError = optionalBoolean(block.is_error, field(path, 'is_error'));
  if (isError !== undefined) part.isError = isError;
  const cc = parseCacheControl(block.cache_control, field(path, 'cache_control'));
  if (cc) part.cacheControl = cc;
  return part;
}

function parseToolResultContent(v: unknown, path: string): Array<TextPart | ImagePart> {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [{ type: 'text', text: v }];
  const list = requireArray(v, path);
  const out = new Array<TextPart | ImagePart>(list.length);
  for (let i = 0; i < list.length; i++) {
    const p = item(path, i);
    const block = requireObject(list[i], p);
    if (block.type === 'text') out[i] = parseText(block, p);
    else if (block.type === 'image') out[i] = parseImage(block, p);
    else if (typeof block.type === 'string') throw unsupported(field(p, 'type'), `tool_result content block type '${block.type}'`);
    else throw invalid(field(p, 'type'), "Input tag should be 'text' or 'image'");
  }
  return out;
}
