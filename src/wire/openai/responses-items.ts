// The Responses API's conversation items (`input` items and `output` items share these shapes):
// validated in, stored as they are, and turned into canonical system + messages.
//
// Item mapping:
// - message (role user / assistant / system / developer; `type` may be left out, as OpenAI's
//   "easy input message" does): system and developer → canonical system text; user → user (text
//   and image parts); assistant → assistant text (output_text parts; a refusal part is kept as text);
// - function_call → a tool_call part on the assistant turn (consecutive calls and an assistant
//   message before them share one turn);
// - function_call_output → a tool_result part on a user turn (consecutive outputs share one);
// - reasoning items are skipped: costwise never returns them, and their content is the provider's;
// - item_reference must have been resolved (replaced by the item it names) before conversion.
import { invalidRequest } from '../../core/errors.js';
import type { CanonicalMessage, ImagePart, TextPart, ToolResultPart } from '../../core/canonical.js';
import { invalidType, invalidValue, isRecord, missing, optString, reqString, unsupported, type Json } from './validate.js';

export type InputContent =
  | { type: 'input_text'; text: string }
  | { type: 'output_text'; text: string; annotations: unknown[] }
  | { type: 'refusal'; refusal: string }
  | { type: 'input_image'; image_url: string; detail: 'auto' | 'low' | 'high' };

export type MessageRole = 'user' | 'assistant' | 'system' | 'developer';

export type ConversationItem =
  | { type: 'message'; id?: string; role: MessageRole; content: InputContent[]; status?: string }
  | { type: 'function_call'; id?: string; call_id: string; name: string; arguments: string; status?: string }
  | { type: 'function_call_output'; id?: string; call_id: string; output: string | InputContent[]; status?: string }
  | { type: 'item_reference'; id: string };

const ROLES: readonly string[] = ['user', 'assistant', 'system', 'developer'];
const DATA_URL = /^data:([^;,]+);base64,/;

/** `input`: a string (one user message) or a list of items. */
export function parseInput(value: unknown): ConversationItem[] {
  if (value === undefined || value === null) throw missing('input');
  if (typeof value === 'string') return [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: value }] }];
  if (!Array.isArray(value)) throw invalidType('input', 'a string or an array of input items', value);
  const items: ConversationItem[] = [];
  for (let i = 0; i < value.length; i++) {
    const item = parseItem(value[i], `input[${i}]`);
    if (item) items.push(item);
  }
  return items;
}

function parseItem(raw: unknown, path: string): ConversationItem | undefined {
  if (!isRecord(raw)) throw invalidType(path, 'an object', raw);
  const type = raw.type ?? 'message';
  const id = optString(raw, 'id', `${path}.id`);
  const withId = <T extends ConversationItem>(item: T): T => (id === undefined ? item : { ...item, id });
  switch (type) {
    case 'message': {
      const role = raw.role;
      if (role === undefined || role === null) throw missing(`${path}.role`);
      if (typeof role !== 'string' || !ROLES.includes(role)) throw invalidValue(`${path}.role`, "one of 'user', 'assistant', 'system', 'developer'", role);
      return withId({ type: 'message', role: role as MessageRole, content: parseContent(raw.content, `${path}.content`, role as MessageRole) });
    }
    case 'function_call':
      return withId({
        type: 'function_call',
        call_id: reqString(raw, 'call_id', `${path}.call_id`),
        name: reqString(raw, 'name', `${path}.name`),
        arguments: reqString(raw, 'arguments', `${path}.arguments`),
      });
    case 'function_call_output': {
      const output = raw.output;
      const op = `${path}.output`;
      if (output === undefined || output === null) throw missing(op);
      const parsed = typeof output === 'string' ? output : parseContent(output, op, 'user');
      return withId({ type: 'function_call_output', call_id: reqString(raw, 'call_id', `${path}.call_id`), output: parsed });
    }
    case 'item_reference':
      return { type: 'item_reference', id: reqString(raw, 'id', `${path}.id`) };
    case 'reasoning':
      return undefined;
    default:
      if (typeof type !== 'string') throw invalidType(`${path}.type`, 'a string', type);
      throw unsupported(
        `${path}.type`,
        `Unsupported input item type '${type}' at '${path}.type': costwise supports 'message', 'function_call', 'function_call_output', 'item_reference' and 'reasoning' items.`,
      );
  }
}

function parseContent(value: unknown, path: string, role: MessageRole): InputContent[] {
  if (value === undefined || value === null) throw missing(path);
  if (typeof value === 'string') return [role === 'assistant' ? { type: 'output_text', text: value, annotations: [] } : { type: 'input_text', text: value }];
  if (!Array.isArray(value)) throw invalidType(path, 'a string or an array of content parts', value);
  const parts: InputContent[] = [];
  for (let j = 0; j < value.length; j++) {
    const pp = `${path}[${j}]`;
    const p: unknown = value[j];
    if (!isRecord(p)) throw invalidType(pp, 'an object', p);
    switch (p.type) {
      case 'input_text':
        parts.push({ type: 'input_text', text: reqString(p, 'text', `${pp}.text`) });
        break;
      case 'output_text':
        parts.push({ type: 'output_text', text: reqString(p, 'text', `${pp}.text`), annotations: [] });
        break;
      case 'refusal':
        parts.push({ type: 'refusal', refusal: reqString(p, 'refusal', `${pp}.refusal`) });
        break;
      case 'input_image':
        if (role !== 'user') throw invalidValue(`${pp}.type`, `a text part in a${role === 'assistant' ? 'n' : ''} ${role} message`, p.type);
        parts.push(imageContent(p, pp));
        break;
      case undefined:
      case null:
        throw missing(`${pp}.type`);
      case 'input_file':
      case 'input_audio':
        throw unsupported(`${pp}.type`, `Unsupported content type '${p.type}' at '${pp}.type': costwise supports 'input_text' and 'input_image' parts.`);
      default:
        throw invalidValue(`${pp}.type`, "one of 'input_text', 'input_image', 'output_text', 'refusal'", p.type);
    }
  }
  return parts;
}

function imageContent(p: Json, path: string): InputContent {
  if (p.file_id !== undefined && p.file_id !== null) {
    throw unsupported(
      `${path}.file_id`,
      `Unsupported parameter '${path}.file_id': costwise has no file store; send the image as image_url (an http(s) or data URL).`,
    );
  }
  const url = reqString(p, 'image_url', `${path}.image_url`);
  if (!url.startsWith('https://') && !url.startsWith('http://') && !url.startsWith('data:')) {
    throw invalidValue(`${path}.image_url`, 'an http(s) URL or a base64 data URL', url);
  }
  const detail = p.detail ?? 'auto';
  if (detail !== 'auto' && detail !== 'low' && detail !== 'high') throw invalidValue(`${path}.detail`, "one of 'auto', 'low', 'high'", detail);
  return { type: 'input_image', image_url: url, detail };
}

export interface ConvertedItems {
  system: TextPart[];
  messages: CanonicalMessage[];
}

/** Resolved items (no item_reference left) → canonical system parts and messages, appended to `into`. */
export function itemsToMessages(items: readonly ConversationItem[], into: ConvertedItems): void {
  const { system, messages } = into;
  const last = (): CanonicalMessage | undefined => messages[messages.length - 1];
  for (const item of items) {
    switch (item.type) {
      case 'message':
        if (item.role === 'system' || item.role === 'developer') {
          for (const c of item.content) system.push({ type: 'text', text: contentText(c) });
        } else if (item.role === 'user') {
          messages.push({ role: 'user', content: item.content.map(userPart) });
        } else {
          const parts = item.content.map((c): TextPart => ({ type: 'text', text: contentText(c) }));
          messages.push({ role: 'assistant', content: parts });
        }
        break;
      case 'function_call': {
        const call = { type: 'tool_call' as const, id: item.call_id, name: item.name, arguments: item.arguments };
        const prev = last();
        // One assistant turn: its text, then every call it made.
        if (prev?.role === 'assistant') prev.content.push(call);
        else messages.push({ role: 'assistant', content: [call] });
        break;
      }
      case 'function_call_output': {
        const content = typeof item.output === 'string' ? [{ type: 'text' as const, text: item.output }] : item.output.map(userPart);
        const result: ToolResultPart = { type: 'tool_result', toolCallId: item.call_id, content };
        const prev = last();
        if (prev?.role === 'user' && prev.content.every((p) => p.type === 'tool_result')) prev.content.push(result);
        else messages.push({ role: 'user', content: [result] });
        break;
      }
      case 'item_reference':
        throw invalidRequest(`Item with id '${item.id}' not found.`, 'input');
    }
  }
}

function contentText(c: InputContent): string {
  if (c.type === 'refusal') return c.refusal;
  if (c.type === 'input_image') return c.image_url;
  return c.text;
}

function userPart(c: InputContent): TextPart | ImagePart {
  if (c.type !== 'input_image') return { type: 'text', text: contentText(c) };
  const data = DATA_URL.exec(c.image_url);
  const part: ImagePart = data
    ? { type: 'image', source: { kind: 'base64', mediaType: data[1] ?? '', data: c.image_url.slice(data[0].length) } }
    : { type: 'image', source: { kind: 'url', url: c.image_url } };
  if (c.detail !== 'auto') part.detail = c.detail;
  return part;
}
