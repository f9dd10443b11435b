// Embeddings: deterministic unit vectors from a hash of (model, text). A shorter `dimensions`
// is the prefix of the full vector renormalised, as text-embedding-3 models behave. Vectors are
// float32, so the `float` and `base64` (little-endian float32) encodings decode identically.
import { countTextTokens } from '../tokens/count.js';
import { badRequest } from './errors.js';
import type { Exchange } from './exchange.js';
import { hashString } from '../core/running-hash.js';
import { prng } from './hash.js';
import { isKnownModel } from './models.js';
import { modelNotFound } from './openai.js';
import * as v from './parse-util.js';

const DEFAULT_DIMS: Array<[string, number]> = [
  ['text-embedding-3-large', 3072],
  ['text-embedding-3-small', 1536],
  ['text-embedding-ada-002', 1536],
  ['text-embedding-004', 768],
  ['gemini-embedding', 3072],
];

export function defaultDimensions(model: string): number {
  return DEFAULT_DIMS.find(([prefix]) => model.startsWith(prefix))?.[1] ?? 1536;
}

export function embedVector(model: string, text: string, dims: number): Float32Array {
  const rand = prng(hashString(text, hashString(model)));
  const raw = new Float64Array(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    const x = rand() * 2 - 1;
    raw[i] = x;
    norm += x * x;
  }
  const scale = 1 / Math.sqrt(norm || 1);
  const out = new Float32Array(dims);
  for (let i = 0; i < dims; i++) out[i] = raw[i]! * scale;
  return out;
}

function toBase64(vec: Float32Array): string {
  const buf = Buffer.allocUnsafe(vec.length * 4);
  for (let i = 0; i < vec.length; i++) buf.writeFloatLE(vec[i]!, i * 4);
  return buf.toString('base64');
}

/** Inputs as texts for hashing and their token counts (token-id arrays count their ids). */
function inputs(raw: unknown, model: string): Array<{ text: string; tokens: number }> {
  const one = (x: unknown, param: string): { text: string; tokens: number } => {
    if (typeof x === 'string') {
      if (x.length === 0) throw badRequest(`'${param}' : input cannot be an empty string.`, param, 'invalid_value');
      return { text: x, tokens: countTextTokens(x, model) };
    }
    if (Array.isArray(x) && x.length > 0 && x.every((t) => Number.isInteger(t))) return { text: `\u0000ids:${x.join(',')}`, tokens: x.length };
    throw badRequest(`Invalid type for '${param}': expected a string or an array of token ids.`, param, 'invalid_type');
  };
  if (raw === undefined || raw === null) throw badRequest("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
  if (typeof raw === 'string') return [one(raw, 'input')];
  const arr = v.requireArray(raw, 'input');
  if (arr.length === 0) throw badRequest("Invalid 'input': empty array.", 'input', 'empty_array');
  if (arr.every((t) => typeof t === 'number')) return [one(arr, 'input')];
  return arr.map((x, i) => one(x, `input[${i}]`));
}

export async function handleOpenAIEmbeddings(ex: Exchange, body: unknown): Promise<void> {
  const b = v.requireObj(body, 'body');
  if (typeof b.model !== 'string' || b.model === '') throw badRequest('you must provide a model parameter');
  const model = b.model;
  if (!isKnownModel(model)) throw modelNotFound(model);
  const items = inputs(b.input, model);
  const format = b.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64') {
    throw badRequest(`Invalid value: '${v.loose(format)}'. Supported values are: 'float' and 'base64'.`, 'encoding_format', 'invalid_value');
  }
  const full = defaultDimensions(model);
  const dims = v.optPositiveInt(b.dimensions, 'dimensions') ?? full;
  if (b.dimensions !== undefined && b.dimensions !== null && !model.startsWith('text-embedding-3')) {
    throw badRequest('This model does not support specifying dimensions.', 'dimensions', 'invalid_value');
  }
  if (dims > full) throw badRequest(`Invalid 'dimensions': must be at most ${full}.`, 'dimensions', 'invalid_value');
  let tokens = 0;
  for (const it of items) tokens += it.tokens;
  ex.admit(tokens, 0);
  const data = items.map((it, index) => {
    const vec = embedVector(model, it.text, dims);
    return { object: 'embedding', index, embedding: format === 'base64' ? toBase64(vec) : Array.from(vec) };
  });
  return ex.sendJson({ object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } });
}
