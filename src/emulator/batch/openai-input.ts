// An OpenAI batch input file: JSONL, one `{custom_id, method: "POST", url, body}` per line, every
// `url` equal to the batch's endpoint, `custom_id` unique. A file with any malformed line fails
// validation as a whole, and the batch's `errors.data` names each bad line (1-based) — that is
// what OpenAI does; a well-formed line whose *body* is invalid is answered per item instead (its
// 4xx goes to the error file). The error codes are the emulator's own (UNCONFIRMED upstream).
import { isObj } from '../parse-util.js';
import { LIMITS } from './config.js';

export interface OpenAIItem {
  customId: string;
  body: Record<string, unknown>;
  line: number;
}

export interface LineError {
  code: string;
  message: string;
  param: string | null;
  line: number | null;
}

export interface ParsedInput {
  items: OpenAIItem[];
  errors: LineError[];
  /** The first line's `body.model` (the batch object's `model`). */
  model: string | null;
}

const MAX_REPORTED_ERRORS = 100;

export function parseBatchInput(content: Buffer, endpoint: string): ParsedInput {
  const lines = content.toString('utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const items: OpenAIItem[] = [];
  const errors: LineError[] = [];
  const seen = new Set<string>();
  const fail = (line: number | null, code: string, message: string, param: string | null = null): void => {
    if (errors.length < MAX_REPORTED_ERRORS) errors.push({ code, message, param, line });
  };
  lines.forEach((text, i) => {
    const line = i + 1;
    const checked = checkLine(text, endpoint, seen);
    if ('code' in checked) fail(line, checked.code, checked.message, checked.param);
    else items.push({ ...checked, line });
  });
  if (lines.length === 0) fail(null, 'empty_file', 'The batch input file is empty.');
  if (items.length > LIMITS.openaiItemsPerBatch)
    fail(null, 'too_many_requests', `A batch may contain at most ${LIMITS.openaiItemsPerBatch} requests; this file has ${items.length}.`);
  const first = items[0]?.body.model;
  return { items, errors, model: typeof first === 'string' ? first : null };
}

type LineProblem = Omit<LineError, 'line'>;

const problem = (code: string, message: string, param: string | null = null): LineProblem => ({ code, message, param });

/** One line's item, or what is wrong with it. Its custom_id counts as seen once it is read. */
function checkLine(text: string, endpoint: string, seen: Set<string>): Omit<OpenAIItem, 'line'> | LineProblem {
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/\r$/, ''));
  } catch {
    return problem('invalid_json_line', 'This line is not parseable as valid JSON.');
  }
  if (!isObj(raw)) return problem('invalid_json_line', 'Each line must be a JSON object.');
  if (typeof raw.custom_id !== 'string' || raw.custom_id === '')
    return problem('missing_required_parameter', "Missing required parameter: 'custom_id'.", 'custom_id');
  if (seen.has(raw.custom_id)) return problem('duplicate_custom_id', `The custom_id '${raw.custom_id}' is used more than once in this file.`, 'custom_id');
  seen.add(raw.custom_id);
  if (raw.method !== 'POST')
    return problem('invalid_value', `Invalid value for 'method': expected 'POST', got ${JSON.stringify(raw.method ?? null)}.`, 'method');
  if (raw.url !== endpoint)
    return problem('invalid_value', `The url ${JSON.stringify(raw.url ?? null)} does not match the batch endpoint '${endpoint}'.`, 'url');
  if (!isObj(raw.body)) return problem('missing_required_parameter', "Missing required parameter: 'body' (an object).", 'body');
  return { customId: raw.custom_id, body: raw.body };
}
