// INGRESS: an OpenAI Chat Completions request body → CanonicalRequest.
// Every field read is type-checked (400 naming the field); every top-level field the canonical
// shape does not model goes verbatim into `passthrough` (forwarded only to OpenAI-format upstreams,
// a warning anywhere else). Null means "not given", as in OpenAI's API.
import { invalidRequest } from '../../core/errors.js';
import type { CanonicalRequest } from '../../core/canonical.js';
import { parseMessages } from './messages.js';
import { parseResponseFormat, parseToolChoice, parseTools } from './tools.js';
import { invalidType, isRecord, missing, optBoolean, optInteger, optNumber, optRecord, optString, type Json } from './validate.js';

export { toChatRequestBody, toChatRequestJson, type ChatRequestBodyOptions } from './request-body.js';

/** Top-level fields translated into canonical fields (everything else is passthrough). */
const MODELLED = new Set([
  'model',
  'messages',
  'max_completion_tokens',
  'max_tokens',
  'stop',
  'n',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'response_format',
  'seed',
  'temperature',
  'top_p',
  'stream',
  'stream_options',
  'user',
  'safety_identifier',
  'prompt_cache_key',
  'reasoning_effort',
]);

export function parseChatRequest(body: unknown): CanonicalRequest {
  if (!isRecord(body)) throw invalidRequest('The request body must be a JSON object.', null);
  const model = body.model;
  if (model === undefined || model === null) throw missing('model');
  if (typeof model !== 'string') throw invalidType('model', 'a string', model);
  if (model === '') throw invalidRequest("Invalid value for 'model': expected a non-empty string.", 'model');
  const { system, messages } = parseMessages(body.messages);

  const stream = optBoolean(body, 'stream', 'stream') ?? false;
  const streamOptions = optRecord(body, 'stream_options', 'stream_options');
  // `stream_options.include_obfuscation` is ignored: the gateway re-frames every chunk.
  const includeUsage = streamOptions ? optBoolean(streamOptions, 'include_usage', 'stream_options.include_usage') : undefined;

  const req: CanonicalRequest = {
    model,
    system,
    messages,
    stream,
    streamUsage: stream && includeUsage === true,
    passthrough: { format: 'openai', fields: passthroughFields(body) },
  };

  const n = optInteger(body, 'n', 'n', 1);
  if (n !== undefined && n !== 1) throw invalidRequest(`Invalid value for 'n': costwise supports n=1, got ${n}.`, 'n', 'unsupported_value');

  // max_completion_tokens wins over the deprecated max_tokens when both are given.
  const maxTokens = optInteger(body, 'max_completion_tokens', 'max_completion_tokens', 1) ?? optInteger(body, 'max_tokens', 'max_tokens', 1);
  if (maxTokens !== undefined) req.maxTokens = maxTokens;
  const temperature = optNumber(body, 'temperature', 'temperature', 0, 2);
  if (temperature !== undefined) req.temperature = temperature;
  const topP = optNumber(body, 'top_p', 'top_p', 0, 1);
  if (topP !== undefined) req.topP = topP;
  const seed = optInteger(body, 'seed', 'seed', Number.MIN_SAFE_INTEGER);
  if (seed !== undefined) req.seed = seed;
  const stop = parseStop(body.stop);
  if (stop !== undefined) req.stop = stop;

  if (body.tools !== undefined && body.tools !== null) req.tools = parseTools(body.tools);
  if (body.tool_choice !== undefined && body.tool_choice !== null) req.toolChoice = parseToolChoice(body.tool_choice);
  const parallel = optBoolean(body, 'parallel_tool_calls', 'parallel_tool_calls');
  if (parallel !== undefined) req.parallelToolCalls = parallel;
  if (body.response_format !== undefined && body.response_format !== null) req.responseFormat = parseResponseFormat(body.response_format);

  // `user` (deprecated) and `safety_identifier` both name the end user. When both are given, `user`
  // fills the canonical field and `safety_identifier` stays in passthrough, so nothing is lost.
  const user = optString(body, 'user', 'user');
  const safetyId = optString(body, 'safety_identifier', 'safety_identifier');
  if (user !== undefined) {
    req.user = user;
    if (safetyId !== undefined) req.passthrough.fields.safety_identifier = safetyId;
  } else if (safetyId !== undefined) req.user = safetyId;

  const cacheKey = optString(body, 'prompt_cache_key', 'prompt_cache_key');
  if (cacheKey !== undefined) req.promptCacheKey = cacheKey;
  const effort = optString(body, 'reasoning_effort', 'reasoning_effort');
  if (effort !== undefined) req.reasoningEffort = effort;
  return req;
}

function parseStop(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) throw invalidType('stop', 'a string or an array of strings', value);
  for (let i = 0; i < value.length; i++) {
    if (typeof value[i] !== 'string') throw invalidType(`stop[${i}]`, 'a string', value[i]);
  }
  return value as string[];
}

/** Unmodelled top-level fields, verbatim; null-valued ones mean "default" and are left out. */
function passthroughFields(body: Json): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const key in body) {
    if (MODELLED.has(key)) continue;
    const value = body[key];
    if (value === null || value === undefined) continue;
    if (key === '__proto__') throw invalidRequest("Unrecognized request argument supplied: '__proto__'.", key);
    fields[key] = value;
  }
  return fields;
}
