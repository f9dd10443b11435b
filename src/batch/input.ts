// Batch input → items. OpenAI: a JSONL file of `{custom_id, method: "POST", url, body}` lines.
// Unlike OpenAI (which fails the whole file), a bad line becomes a per-line error (in the batch's
// `errors` and its error file) and the other lines run. Anthropic: `{requests: [{custom_id, params}]}`.
import { invalidRequest } from '../core/errors.js';
import type { LineError } from './types.js';

export interface RawItem {
  customId: string;
  body: unknown;
}

export interface ParsedInput {
  items: RawItem[];
  errors: LineError[];
}

export const MAX_ITEMS = 50_000;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseOpenAIInput(content: Buffer, endpoint: string): ParsedInput {
  const lines = content.toString('utf8').split('\n');
  if (lines.at(-1)?.trim() === '') lines.pop();
  const items: RawItem[] = [];
  const errors: LineError[] = [];
  const seen = new Set<string>();
  lines.forEach((raw, i) => {
    const line = i + 1;
    const text = raw.replace(/\r$/, '');
    const fail = (customId: string | null, code: string, message: string, param: string | null = null) => errors.push({ line, customId, code, message, param });
    if (text.trim() === '') return fail(null, 'invalid_json_line', `line ${line}: empty line`);
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (err) {
      return fail(null, 'invalid_json_line', `line ${line}: not valid JSON (${(err as Error).message})`);
    }
    if (!isObj(v)) return fail(null, 'invalid_json_line', `line ${line}: each line must be a JSON object`);
    const customId = v.custom_id;
    if (typeof customId !== 'string' || customId === '')
      return fail(null, 'missing_required_parameter', `line ${line}: missing required parameter 'custom_id' (a non-empty string)`, 'custom_id');
    if (customId.length > 512) return fail(null, 'invalid_value', `line ${line}: custom_id is longer than 512 characters`, 'custom_id');
    if (seen.has(customId))
      return fail(customId, 'duplicate_custom_id', `line ${line}: custom_id '${customId}' is used more than once in this file`, 'custom_id');
    seen.add(customId);
    if (v.method !== 'POST') return fail(customId, 'invalid_value', `line ${line}: method must be 'POST', got ${JSON.stringify(v.method ?? null)}`, 'method');
    if (v.url !== endpoint)
      return fail(customId, 'invalid_value', `line ${line}: url ${JSON.stringify(v.url ?? null)} does not match the batch endpoint '${endpoint}'`, 'url');
    if (!isObj(v.body)) return fail(customId, 'missing_required_parameter', `line ${line}: missing required parameter 'body' (an object)`, 'body');
    items.push({ customId, body: v.body });
  });
  if (items.length + errors.length > MAX_ITEMS)
    throw invalidRequest(`a batch may contain at most ${MAX_ITEMS} requests; this file has ${items.length + errors.length}`, 'input_file_id');
  return { items, errors };
}

const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;

/** Anthropic validates the envelope of every request up front (400 for the whole batch). */
export function parseAnthropicInput(body: unknown): RawItem[] {
  if (!isObj(body)) throw invalidRequest('body: expected an object', null);
  if (!Array.isArray(body.requests)) throw invalidRequest('requests: Field required (an array)', 'requests');
  if (body.requests.length === 0) throw invalidRequest('requests: List should have at least 1 item', 'requests');
  if (body.requests.length > MAX_ITEMS) throw invalidRequest(`requests: at most ${MAX_ITEMS} items`, 'requests');
  const seen = new Set<string>();
  return body.requests.map((r, i) => {
    const path = `requests.${i}`;
    if (!isObj(r)) throw invalidRequest(`${path}: expected an object`, path);
    if (typeof r.custom_id !== 'string' || !CUSTOM_ID.test(r.custom_id))
      throw invalidRequest(`${path}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`, `${path}.custom_id`);
    if (seen.has(r.custom_id)) throw invalidRequest(`${path}.custom_id: Duplicate custom_id '${r.custom_id}'`, `${path}.custom_id`);
    seen.add(r.custom_id);
    if (!isObj(r.params)) throw invalidRequest(`${path}.params: Field required (an object)`, `${path}.params`);
    return { customId: r.custom_id, body: r.params };
  });
}

/**
 * The custom_id sent upstream: the caller's own when Anthropic's stricter pattern allows it (so
 * the provider's logs match), else a generated one that is unique in the batch.
 */
export function upstreamCustomIds(customIds: readonly string[]): string[] {
  const taken = new Set(customIds.filter((c) => CUSTOM_ID.test(c)));
  return customIds.map((c, i) => {
    if (CUSTOM_ID.test(c)) return c;
    let id = `cw-${i}`;
    for (let n = 0; taken.has(id); n++) id = `cw-${i}-${n}`;
    taken.add(id);
    return id;
  });
}
