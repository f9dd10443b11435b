// Canonical JSON: object keys sorted (UTF-16 code-unit order), no whitespace, `undefined` members
// left out (as JSON.stringify does). Used for the JSON-valued request fields (tool schemas,
// response-format schemas, tool-call arguments, passthrough fields), whose key order and
// whitespace do not change what the model is asked.
//
// Built as one string per value rather than written piece by piece into a sink: for 20 typical
// tool schemas this is ~25 µs against ~45 µs for sink writes (bench/cache.ts, and a throwaway
// comparison with a sorting JSON.stringify replacer at ~50 µs; plain unsorted JSON.stringify ~18 µs).

/** Where canonical text goes: a string builder or a hash (see key-sink.ts). */
export interface TextSink {
  write(text: string): void;
}

// Lone surrogates must be escaped (JSON.stringify does): hashing encodes the text as UTF-8, which
// would turn every lone surrogate into U+FFFD and make different strings collide.
// eslint-disable-next-line no-control-regex -- finding the control characters JSON must escape is the point
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** The JSON string literal of `text`; skips JSON.stringify (a native call) when nothing needs escaping. */
export function quote(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : '"' + text + '"';
}

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The canonical JSON text of a JSON value (from JSON.parse or a parsed request body). */
export function canonicalJson(value: unknown): string {
  if (typeof value === 'string') return quote(value);
  // finite numbers, booleans, null; non-JSON values (undefined, functions) become null as in arrays
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- JSON.stringify returns undefined for undefined and functions, which its declared `string` leaves out
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += canonicalJson(value[i]);
    }
    return out + ']';
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length > 1) keys.sort(byCodeUnit);
  let out = '{';
  let first = true;
  for (const key of keys) {
    const member = record[key];
    if (member === undefined) continue;
    out += (first ? '' : ',') + quote(key) + ':' + canonicalJson(member);
    first = false;
  }
  return out + '}';
}

// 16+ significant digits in one number may not survive a round trip through a double
// ("12345678901234567890" and "…891" parse equal), so such text is hashed verbatim rather than
// risk two different argument strings sharing an entry. Over-matching (digits in strings) only
// costs the whitespace normalisation of that one value.
const LOSSY_NUMBER = /(?:\d\.?){16}/;

/**
 * A JSON text field (tool-call arguments) as `{"json":<canonical>}` when it parses losslessly,
 * else `{"raw":"<text verbatim>"}`. The two tags keep the two forms apart.
 */
export function canonicalJsonText(text: string): string {
  if (!LOSSY_NUMBER.test(text)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return '{"raw":' + quote(text) + '}';
    }
    return '{"json":' + canonicalJson(parsed) + '}';
  }
  return '{"raw":' + quote(text) + '}';
}
