// Ingress: an Anthropic Messages (or count_tokens) body → CanonicalRequest.
// Fields the canonical shape does not model (service_tier, container, mcp_servers, output_config,
// context_management, a `thinking` of another shape, …) are kept verbatim in `passthrough`.
import type { CanonicalRequest } from '../../core/canonical.js';
import { parseCacheControl } from './cache-control.js';
import { parseMessages, parseSystem } from './content.js';
import { parseToolChoice, parseTools } from './tools.js';
import {
  checkKeys,
  field,
  invalid,
  isObject,
  item,
  optionalBoolean,
  optionalInteger,
  optionalNumber,
  optionalString,
  requireArray,
  requireInteger,
  requireString,
  type JsonObject,
} from './validate.js';

export { toCountTokensRequestBody, toMessagesRequestBody, DEFAULT_MAX_TOKENS } from './request-body.js';

/** Anthropic's minimum `thinking.budget_tokens`. */
const MIN_THINKING_BUDGET = 1024;

const KNOWN: ReadonlySet<string> = new Set([
  'model',
  'messages',
  'max_tokens',
  'system',
  'tools',
  'tool_choice',
  'stop_sequences',
  'temperature',
  'top_p',
  'top_k',
  'stream',
  'metadata',
  'thinking',
  'cache_control',
]);
const METADATA_KEYS: ReadonlySet<string> = new Set(['user_id']);
const THINKING_ENABLED_KEYS: ReadonlySet<string> = new Set(['type', 'budget_tokens', 'display']);
const THINKING_DISABLED_KEYS: ReadonlySet<string> = new Set(['type']);

export function parseMessagesRequest(body: unknown): CanonicalRequest {
  return parseRequest(body, { maxTokensRequired: true });
}

/** `POST /v1/messages/count_tokens`: the same body without the required `max_tokens`. */
export function parseCountTokensRequest(body: unknown): CanonicalRequest {
  return parseRequest(body, { maxTokensRequired: false });
}

function parseRequest(body: unknown, opts: { maxTokensRequired: boolean }): CanonicalRequest {
  if (!isObject(body)) throw invalid('', 'request body: Input should be a valid dictionary');
  const model = requireString(body.model, 'model');
  if (model === '') throw invalid('model', 'String should have at least 1 character');
  const req: CanonicalRequest = {
    model,
    system: parseSystem(body.system),
    messages: parseMessages(body.messages),
    stream: optionalBoolean(body.stream, 'stream') ?? false,
    streamUsage: false,
    passthrough: { format: 'anthropic', fields: {} },
  };
  if (opts.maxTokensRequired || (body.max_tokens !== undefined && body.max_tokens !== null)) {
    req.maxTokens = requireInteger(body.max_tokens, 'max_tokens', { min: 1 });
  }
  const temperature = optionalNumber(body.temperature, 'temperature', { min: 0, max: 1 });
  if (temperature !== undefined) req.temperature = temperature;
  const topP = optionalNumber(body.top_p, 'top_p', { min: 0, max: 1 });
  if (topP !== undefined) req.topP = topP;
  const topK = optionalInteger(body.top_k, 'top_k', { min: 0 });
  if (topK !== undefined) req.topK = topK;
  const stop = parseStopSequences(body.stop_sequences);
  if (stop !== undefined) req.stop = stop;
  const tools = parseTools(body.tools);
  if (tools !== undefined) req.tools = tools;
  const { toolChoice, parallelToolCalls } = parseToolChoice(body.tool_choice);
  if (toolChoice !== undefined) req.toolChoice = toolChoice;
  if (parallelToolCalls !== undefined) req.parallelToolCalls = parallelToolCalls;
  const user = parseMetadata(body.metadata);
  if (user !== undefined) req.user = user;
  const cc = parseCacheControl(body.cache_control, 'cache_control');
  if (cc !== undefined) req.cacheControl = cc;
  const fields = req.passthrough.fields;
  parseThinking(body.thinking, req, fields);
  for (const key in body) {
    if (!KNOWN.has(key)) fields[key] = body[key];
  }
  return req;
}

function parseStopSequences(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  const list = requireArray(v, 'stop_sequences');
  const out = new Array<string>(list.length);
  for (let i = 0; i < list.length; i++) out[i] = requireString(list[i], item('stop_sequences', i));
  return out;
}

function parseMetadata(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw invalid('metadata', 'Input should be a valid dictionary');
  checkKeys(v, METADATA_KEYS, 'metadata');
  return optionalString(v.user_id, 'metadata.user_id');
}

/**
 * `{type:'enabled', budget_tokens}` and `{type:'disabled'}` are canonical. Any other valid-looking
 * shape (`adaptive`, `display` set, …) is kept verbatim in passthrough: an Anthropic upstream gets
 * it unchanged, any other upstream reports it as not sent.
 */
function parseThinking(v: unknown, req: CanonicalRequest, passthrough: JsonObject): void {
  if (v === undefined || v === null) return;
  if (!isObject(v)) throw invalid('thinking', 'Input should be a valid dictionary');
  if (v.type === 'enabled') {
    const budget = requireInteger(v.budget_tokens, field('thinking', 'budget_tokens'), { min: MIN_THINKING_BUDGET });
    if (v.display === undefined || v.display === null) {
      checkKeys(v, THINKING_ENABLED_KEYS, 'thinking');
      req.thinking = { type: 'enabled', budgetTokens: budget };
      return;
    }
  } else if (v.type === 'disabled') {
    checkKeys(v, THINKING_DISABLED_KEYS, 'thinking');
    req.thinking = { type: 'disabled' };
    return;
  } else if (typeof v.type !== 'string') {
    throw invalid(field('thinking', 'type'), v.type === undefined ? 'Field required' : 'Input should be a valid string');
  }
  passthrough.thinking = v;
}
