// JSON text without the whitespace between its tokens. The bytes of every string, number and
// literal are kept exactly as written (no re-formatting of numbers, no re-escaping), so the value
// is the same one the caller sent, duplicate keys and big integers included.

import { FifoMap } from '../../core/fifo-map.js';

/**
 * Agent loops send every earlier tool result again on each turn: the rewrite of a long text is
 * remembered (by characters, up to 32M), so each result is parsed once, not once per turn.
 */
const MEMO_MIN_CHARS = 2048;
const memo = new FifoMap<string | null>(32 * 1024 * 1024, (key) => key.length);

/** The compact form of `text` when it is a JSON object or array, else undefined. */
export function compactJson(text: string): string | undefined {
  const first = firstNonSpace(text);
  if (first !== '{' && first !== '[') return undefined;
  if (text.length < MEMO_MIN_CHARS) return compact(text);
  const known = memo.get(text);
  if (known !== undefined) return known ?? undefined;
  const out = compact(text);
  memo.set(text, out ?? null);
  return out;
}

function compact(text: string): string | undefined {
  try {
    JSON.parse(text);
  } catch {
    return undefined;
  }
  return stripInterTokenWhitespace(text);
}

function firstNonSpace(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return text[i];
  }
  return undefined;
}

/** Valid JSON in; whitespace outside string literals removed. */
function stripInterTokenWhitespace(json: string): string {
  let out = '';
  let runStart = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) {
      out += json.slice(runStart, i);
      runStart = i + 1;
    }
  }
  return runStart === 0 ? json : out + json.slice(runStart);
}
