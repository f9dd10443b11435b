// OpenAI Embeddings `POST /v1/embeddings` ⇄ canonical, both directions.
// Upstreams are asked for base64 (exact float32 bytes, a quarter smaller than JSON floats) and
// their answer is decoded; a compatible server that ignores the ask and sends floats is accepted
// too. Callers get floats or base64 (little-endian float32), as they asked (the SDK asks base64).
import { invalidRequest } from '../../core/errors.js';
import type { EmbeddingRequest, EmbeddingResponse } from '../../core/canonical.js';
import { count, malformed } from './upstream.js';
import { invalidType, invalidValue, isRecord, missing, optInteger, optString } from './validate.js';

const KNOWN = new Set(['model', 'input', 'encoding_format', 'dimensions', 'user']);

// ---- INGRESS ----

export function parseEmbeddingsRequest(body: unknown): EmbeddingRequest {
  if (!isRecord(body)) throw invalidRequest('The request body must be a JSON object.', null);
  for (const key in body) {
    // Unknown fields are rejected (as OpenAI does): the canonical request has no passthrough.
    if (!KNOWN.has(key)) throw invalidRequest(`Unrecognized request argument supplied: ${key}`, key, 'unknown_parameter');
  }
  const model = body.model;
  if (model === undefined || model === null) throw missing('model');
  if (typeof model !== 'string' || model === '') throw invalidType('model', 'a non-empty string', model);
  const { input, inputWasString } = parseInput(body.input);
  const format = body.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64') throw invalidValue('encoding_format', "one of 'float', 'base64'", format);
  const req: EmbeddingRequest = { model, input, inputWasString, encodingFormat: format };
  const dimensions = optInteger(body, 'dimensions', 'dimensions', 1);
  if (dimensions !== undefined) req.dimensions = dimensions;
  const user = optString(body, 'user', 'user');
  if (user !== undefined) req.user = user;
  return req;
}

function parseInput(value: unknown): { input: string[]; inputWasString: boolean } {
  if (value === undefined || value === null) throw missing('input');
  if (typeof value === 'string') {
    if (value === '') throw invalidValue('input', 'a non-empty string', value);
    return { input: [value], inputWasString: true };
  }
  if (!Array.isArray(value)) throw invalidType('input', 'a string or an array of strings', value);
  if (value.length === 0) throw invalidRequest("Invalid value for 'input': expected at least 1 item, got an empty array.", 'input');
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (typeof item === 'string') {
      if (item === '') throw invalidValue(`input[${i}]`, 'a non-empty string', item);
      continue;
    }
    if (typeof item === 'number' || Array.isArray(item)) {
      throw invalidRequest("Token-array inputs are not supported by costwise: send 'input' as strings.", 'input', 'unsupported_value');
    }
    throw invalidType(`input[${i}]`, 'a string', item);
  }
  return { input: value as string[], inputWasString: false };
}

export function renderEmbeddings(resp: EmbeddingResponse, req: EmbeddingRequest, publicModel: string): Record<string, unknown> {
  return {
    object: 'list',
    data: resp.embeddings.map((e, index) => ({
      object: 'embedding',
      index,
      embedding: req.encodingFormat === 'base64' ? encodeFloat32(e) : e,
    })),
    model: publicModel,
    usage: { prompt_tokens: resp.usage.inputTokens, total_tokens: resp.usage.inputTokens },
  };
}

// ---- EGRESS ----

export function toEmbeddingsBody(req: EmbeddingRequest, upstreamModel: string): Record<string, unknown> {
  const body: Record<string, unknown> = { model: upstreamModel, input: req.input, encoding_format: 'base64' };
  if (req.dimensions !== undefined) body.dimensions = req.dimensions;
  if (req.user !== undefined) body.user = req.user;
  return body;
}

export function parseEmbeddingsResponse(body: unknown, provider?: string): EmbeddingResponse {
  if (!isRecord(body) || !Array.isArray(body.data)) throw malformed('data is not an array', provider);
  const embeddings: number[][] = new Array<number[]>(body.data.length);
  for (let i = 0; i < body.data.length; i++) {
    const item: unknown = body.data[i];
    if (!isRecord(item)) throw malformed(`data[${i}] is not an object`, provider);
    const index = item.index ?? i;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= embeddings.length || embeddings[index]) {
      throw malformed(`data[${i}].index is not a valid, unique position`, provider);
    }
    embeddings[index] = vectorOf(item.embedding, i, provider);
  }
  const usage = isRecord(body.usage) ? count(body.usage, 'prompt_tokens', 'usage', provider) : 0;
  return { model: typeof body.model === 'string' ? body.model : '', embeddings, usage: { inputTokens: usage } };
}

function vectorOf(value: unknown, i: number, provider: string | undefined): number[] {
  if (typeof value === 'string') {
    const v = decodeFloat32(value);
    if (v === null) throw malformed(`data[${i}].embedding is not base64 float32`, provider);
    return v;
  }
  if (Array.isArray(value) && value.every((x) => typeof x === 'number')) return value;
  throw malformed(`data[${i}].embedding is not a vector`, provider);
}

/** Little-endian float32 bytes, base64 — what the openai SDK decodes. */
export function encodeFloat32(vector: readonly number[]): string {
  const buf = Buffer.allocUnsafe(vector.length * 4);
  for (let i = 0; i < vector.length; i++) buf.writeFloatLE(vector[i] ?? 0, i * 4);
  return buf.toString('base64');
}

export function decodeFloat32(b64: string): number[] | null {
  const buf = Buffer.from(b64, 'base64');
  if (buf.length % 4 !== 0) return null;
  const out = new Array<number>(buf.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}
