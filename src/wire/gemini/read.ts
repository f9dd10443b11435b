// Reads the fields the gateway uses from a GenerateContentResponse (a whole response, or one
// streamed chunk: same shape). Only what is read is validated; anything else is ignored.
import { GatewayError, invalidRequest } from '../../core/errors.js';

export type ReadPart =
  | { kind: 'text'; text: string; thought: boolean; signature?: string }
  | { kind: 'call'; id?: string; name: string; args: Record<string, unknown>; signature?: string }
  /** A part the canonical shape cannot carry (inline image output, executable code, ...). */
  | { kind: 'other'; signature?: string };

export interface ReadUsage {
  promptTokenCount: number;
  candidatesTokenCount: number;
  cachedContentTokenCount: number;
  thoughtsTokenCount: number;
  toolUsePromptTokenCount: number;
}

export interface ReadChunk {
  responseId?: string;
  modelVersion?: string;
  /** False for a chunk without candidates (e.g. a usage-only chunk). */
  hasCandidate: boolean;
  parts: ReadPart[];
  finishReason?: string;
  usage?: ReadUsage;
}

function malformed(what: string): GatewayError {
  return new GatewayError({ kind: 'upstream_error', message: `malformed gemini response: ${what}` });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalString(obj: Record<string, unknown>, key: string, where: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw malformed(`${where}.${key} is not a string`);
  return v;
}

function count(obj: Record<string, unknown>, key: string): number {
  const v = obj[key];
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw malformed(`usageMetadata.${key} is not a count`);
  return v;
}

/**
 * Throws `upstream_error` on a malformed body and `invalid_request` when the prompt itself was
 * blocked (`promptFeedback.blockReason` with no candidates).
 */
export function readChunk(body: unknown): ReadChunk {
  if (!isObject(body)) throw malformed('body is not an object');
  const chunk: ReadChunk = { hasCandidate: false, parts: [] };
  const responseId = optionalString(body, 'responseId', 'response');
  if (responseId !== undefined) chunk.responseId = responseId;
  const modelVersion = optionalString(body, 'modelVersion', 'response');
  if (modelVersion !== undefined) chunk.modelVersion = modelVersion;
  if (body.usageMetadata !== undefined) chunk.usage = readUsage(body.usageMetadata);

  const candidates = body.candidates;
  if (candidates !== undefined && !Array.isArray(candidates)) throw malformed('candidates is not an array');
  const candidate: unknown = candidates?.[0];
  if (candidate === undefined) {
    const feedback = body.promptFeedback;
    const reason = isObject(feedback) ? feedback.blockReason : undefined;
    if (typeof reason === 'string') {
      const detail = isObject(feedback) ? optionalString(feedback, 'blockReasonMessage', 'promptFeedback') : undefined;
      throw invalidRequest(`the prompt was blocked by gemini (${reason})${detail ? `: ${detail}` : ''}`, null, 'prompt_blocked');
    }
    return chunk; // a usage-only chunk
  }
  if (!isObject(candidate)) throw malformed('candidates[0] is not an object');
  chunk.hasCandidate = true;
  const finishReason = optionalString(candidate, 'finishReason', 'candidates[0]');
  if (finishReason !== undefined) chunk.finishReason = finishReason;
  const content = candidate.content;
  if (content === undefined) return chunk;
  if (!isObject(content)) throw malformed('candidates[0].content is not an object');
  const parts = content.parts;
  if (parts === undefined) return chunk;
  if (!Array.isArray(parts)) throw malformed('candidates[0].content.parts is not an array');
  chunk.parts = parts.map((p, i) => readPart(p, `candidates[0].content.parts[${i}]`));
  return chunk;
}

function readPart(part: unknown, where: string): ReadPart {
  if (!isObject(part)) throw malformed(`${where} is not an object`);
  const signature = optionalString(part, 'thoughtSignature', where);
  const sig = signature !== undefined ? { signature } : {};
  if (part.functionCall !== undefined) {
    const call = part.functionCall;
    if (!isObject(call)) throw malformed(`${where}.functionCall is not an object`);
    const name = optionalString(call, 'name', `${where}.functionCall`);
    if (name === undefined) throw malformed(`${where}.functionCall has no name`);
    const args = call.args ?? {};
    if (!isObject(args)) throw malformed(`${where}.functionCall.args is not an object`);
    const id = optionalString(call, 'id', `${where}.functionCall`);
    return { kind: 'call', name, args, ...(id !== undefined ? { id } : {}), ...sig };
  }
  const text = optionalString(part, 'text', where);
  if (text !== undefined) return { kind: 'text', text, thought: part.thought === true, ...sig };
  return { kind: 'other', ...sig };
}

function readUsage(raw: unknown): ReadUsage {
  if (!isObject(raw)) throw malformed('usageMetadata is not an object');
  return {
    promptTokenCount: count(raw, 'promptTokenCount'),
    candidatesTokenCount: count(raw, 'candidatesTokenCount'),
    cachedContentTokenCount: count(raw, 'cachedContentTokenCount'),
    thoughtsTokenCount: count(raw, 'thoughtsTokenCount'),
    toolUsePromptTokenCount: count(raw, 'toolUsePromptTokenCount'),
  };
}
