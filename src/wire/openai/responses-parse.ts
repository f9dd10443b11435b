// INGRESS: an OpenAI Responses API request body (`POST /v1/responses`) → the canonical request,
// plus what the Responses surface itself keeps: the input items (stored for `input_items` and
// `previous_response_id`), `store`, the previous response's id and the fields a Response object
// echoes. The input items become canonical messages only once any `previous_response_id` and
// `item_reference` are resolved (responses-items.ts), which needs the response store.
//
// Every field is checked (400 naming the field, in OpenAI's wording); a field costwise cannot honour
// is a 400, never silently dropped. `text.verbosity` and `service_tier` mean the same on Chat
// Completions and go there as passthrough fields; `include` is accepted and has nothing to add
// (costwise returns no reasoning items or logprobs).
import { invalidRequest } from '../../core/errors.js';
import { emptyRequest, type CanonicalRequest, type ResponseFormat, type ToolChoice, type ToolDefinition } from '../../core/canonical.js';
import { parseInput, type ConversationItem } from './responses-items.js';
import { EMPTY_PARAMETERS } from './tools.js';
import {
  invalidType,
  invalidValue,
  isRecord,
  missing,
  optBoolean,
  optInteger,
  optNumber,
  optRecord,
  optString,
  reqString,
  unsupported,
  type Json,
} from './validate.js';

export interface ResponsesCall {
  /** System holds `instructions`; messages are filled from the resolved items. */
  request: CanonicalRequest;
  input: ConversationItem[];
  previousResponseId?: string;
  /** OpenAI's default is true. */
  store: boolean;
  /** The request fields a Response object repeats back, as validated. */
  echo: ResponseEcho;
}

export interface ResponseEcho {
  instructions: string | null;
  max_output_tokens: number | null;
  metadata: Record<string, string>;
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  reasoning: { effort: string | null; summary: string | null };
  store: boolean;
  temperature: number;
  text: { format: Json; verbosity?: string };
  tool_choice: string | Json;
  tools: Json[];
  top_p: number;
  truncation: 'disabled';
  user: string | null;
}

const ACCEPTED = new Set([
  'model',
  'input',
  'instructions',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'text',
  'reasoning',
  'max_output_tokens',
  'temperature',
  'top_p',
  'metadata',
  'store',
  'previous_response_id',
  'stream',
  'stream_options',
  'user',
  'safety_identifier',
  'prompt_cache_key',
  'service_tier',
  'truncation',
  'include',
]);

/** Fields of the Responses API that costwise does not serve, with what to do instead. */
const UNSUPPORTED: Record<string, string> = {
  background: 'background responses are not supported; call without background',
  conversation: 'conversations are not supported; use previous_response_id',
  prompt: 'stored prompt templates are not supported; send instructions and input',
  max_tool_calls: 'max_tool_calls applies to hosted tools, which costwise does not run',
  top_logprobs: 'logprobs are not returned by costwise',
  prompt_cache_retention: 'prompt_cache_retention is not supported',
};

const HOSTED_TOOLS = new Set([
  'web_search',
  'web_search_preview',
  'web_search_preview_2025_03_11',
  'web_search_2025_08_26',
  'file_search',
  'code_interpreter',
  'computer_use',
  'computer_use_preview',
  'image_generation',
  'mcp',
  'local_shell',
  'shell',
  'apply_patch',
  'custom',
  'tool_search',
]);

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

export function parseResponsesBody(body: unknown): ResponsesCall {
  if (!isRecord(body)) throw invalidRequest('The request body must be a JSON object.', null);
  const model = body.model;
  if (model === undefined || model === null) throw missing('model');
  if (typeof model !== 'string') throw invalidType('model', 'a string', model);
  if (model === '') throw invalidRequest("Invalid value for 'model': expected a non-empty string.", 'model');
  for (const key in body) {
    if (body[key] === null || body[key] === undefined) continue;
    const why = UNSUPPORTED[key];
    if (why !== undefined) throw unsupported(key, `Unsupported parameter '${key}': ${why}.`);
    if (!ACCEPTED.has(key)) throw invalidRequest(`Unrecognized request argument supplied: '${key}'.`, key, 'unknown_parameter');
  }

  const input = parseInput(body.input);
  const stream = optBoolean(body, 'stream', 'stream') ?? false;
  optRecord(body, 'stream_options', 'stream_options');
  const req: CanonicalRequest = { ...emptyRequest('openai'), model, stream, streamUsage: stream };
  const instructions = optString(body, 'instructions', 'instructions');
  if (instructions !== undefined && instructions !== '') req.system.push({ type: 'text', text: instructions });

  const maxTokens = optInteger(body, 'max_output_tokens', 'max_output_tokens', 16);
  if (maxTokens !== undefined) req.maxTokens = maxTokens;
  const temperature = optNumber(body, 'temperature', 'temperature', 0, 2);
  if (temperature !== undefined) req.temperature = temperature;
  const topP = optNumber(body, 'top_p', 'top_p', 0, 1);
  if (topP !== undefined) req.topP = topP;

  const tools = parseTools(body.tools, model);
  if (tools.length > 0) req.tools = tools;
  const toolChoice = parseToolChoice(body.tool_choice, model);
  if (toolChoice !== undefined) req.toolChoice = toolChoice;
  const parallel = optBoolean(body, 'parallel_tool_calls', 'parallel_tool_calls');
  if (parallel !== undefined) req.parallelToolCalls = parallel;

  const text = optRecord(body, 'text', 'text');
  const format = text ? parseTextFormat(text.format) : undefined;
  if (format !== undefined && format.type !== 'text') req.responseFormat = format;
  const verbosity = text ? optString(text, 'verbosity', 'text.verbosity') : undefined;
  if (verbosity !== undefined) req.passthrough.fields.verbosity = verbosity;
  const serviceTier = optString(body, 'service_tier', 'service_tier');
  if (serviceTier !== undefined) req.passthrough.fields.service_tier = serviceTier;

  const reasoning = optRecord(body, 'reasoning', 'reasoning');
  const effort = reasoning ? optString(reasoning, 'effort', 'reasoning.effort') : undefined;
  if (effort !== undefined) req.reasoningEffort = effort;
  const summary = reasoning
    ? (optString(reasoning, 'summary', 'reasoning.summary') ?? optString(reasoning, 'generate_summary', 'reasoning.generate_summary'))
    : undefined;

  const user = optString(body, 'user', 'user') ?? optString(body, 'safety_identifier', 'safety_identifier');
  if (user !== undefined) req.user = user;
  const cacheKey = optString(body, 'prompt_cache_key', 'prompt_cache_key');
  if (cacheKey !== undefined) req.promptCacheKey = cacheKey;
  const truncation = optString(body, 'truncation', 'truncation');
  if (truncation !== undefined && truncation !== 'disabled') {
    throw unsupported('truncation', `Unsupported value for 'truncation': costwise supports 'disabled', got '${truncation}'.`);
  }
  parseInclude(body.include);

  const store = optBoolean(body, 'store', 'store') ?? true;
  const previousResponseId = optString(body, 'previous_response_id', 'previous_response_id');
  const call: ResponsesCall = {
    request: req,
    input,
    store,
    echo: {
      instructions: instructions ?? null,
      max_output_tokens: maxTokens ?? null,
      metadata: parseMetadata(body.metadata),
      parallel_tool_calls: parallel ?? true,
      previous_response_id: previousResponseId ?? null,
      reasoning: { effort: effort ?? null, summary: summary ?? null },
      store,
      temperature: temperature ?? 1,
      text: { format: format ? renderTextFormat(format) : { type: 'text' }, ...(verbosity !== undefined ? { verbosity } : {}) },
      tool_choice: toolChoice === undefined ? 'auto' : toolChoice.type === 'tool' ? { type: 'function', name: toolChoice.name } : toolChoice.type,
      tools: tools.map(renderTool),
      top_p: topP ?? 1,
      truncation: 'disabled',
      user: user ?? null,
    },
  };
  if (previousResponseId !== undefined) call.previousResponseId = previousResponseId;
  return call;
}

function parseTools(value: unknown, model: string): ToolDefinition[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidType('tools', 'an array', value);
  const tools: ToolDefinition[] = [];
  for (let i = 0; i < value.length; i++) {
    const path = `tools[${i}]`;
    const t: unknown = value[i];
    if (!isRecord(t)) throw invalidType(path, 'an object', t);
    const type = t.type;
    if (type === undefined || type === null) throw missing(`${path}.type`);
    if (type !== 'function') {
      if (typeof type === 'string' && HOSTED_TOOLS.has(type)) throw hostedTool(`${path}.type`, type, model);
      throw invalidValue(`${path}.type`, "'function'", type);
    }
    const name = reqString(t, 'name', `${path}.name`);
    if (!TOOL_NAME.test(name)) throw invalidValue(`${path}.name`, 'a name of 1-64 letters, digits, underscores or dashes', name);
    const def: ToolDefinition = { name, parameters: optRecord(t, 'parameters', `${path}.parameters`) ?? { ...EMPTY_PARAMETERS } };
    const description = optString(t, 'description', `${path}.description`);
    if (description !== undefined) def.description = description;
    const strict = optBoolean(t, 'strict', `${path}.strict`);
    if (strict !== undefined) def.strict = strict;
    tools.push(def);
  }
  return tools;
}

function hostedTool(path: string, type: string, model: string) {
  return invalidRequest(
    `${path}: ${JSON.stringify(type)} is a hosted tool that costwise cannot run for model ${model}; define it as a function tool and run it yourself.`,
    path,
    'unsupported_tool',
  );
}

function parseToolChoice(value: unknown, model: string): ToolChoice | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === 'auto' || value === 'none' || value === 'required') return { type: value };
  if (typeof value === 'string') throw invalidValue('tool_choice', "one of 'auto', 'none', 'required' or a function choice", value);
  if (!isRecord(value)) throw invalidType('tool_choice', 'a string or an object', value);
  const type = value.type;
  if (type === 'function') return { type: 'tool', name: reqString(value, 'name', 'tool_choice.name') };
  if (typeof type === 'string' && HOSTED_TOOLS.has(type)) throw hostedTool('tool_choice.type', type, model);
  if (type === undefined || type === null) throw missing('tool_choice.type');
  throw unsupported('tool_choice.type', `Unsupported tool_choice type ${JSON.stringify(type)}: costwise supports 'function'.`);
}

function parseTextFormat(value: unknown): ResponseFormat | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw invalidType('text.format', 'an object', value);
  const type = value.type;
  if (type === 'text' || type === 'json_object') return { type };
  if (type === undefined || type === null) throw missing('text.format.type');
  if (type !== 'json_schema') throw invalidValue('text.format.type', "one of 'text', 'json_object', 'json_schema'", type);
  const format: ResponseFormat = {
    type: 'json_schema',
    name: reqString(value, 'name', 'text.format.name'),
    schema: optRecord(value, 'schema', 'text.format.schema') ?? {},
  };
  if (value.schema === undefined || value.schema === null) throw missing('text.format.schema');
  const strict = optBoolean(value, 'strict', 'text.format.strict');
  if (strict !== undefined) format.strict = strict;
  const description = optString(value, 'description', 'text.format.description');
  if (description !== undefined) format.description = description;
  return format;
}

function renderTextFormat(format: ResponseFormat): Json {
  if (format.type !== 'json_schema') return { type: format.type };
  const out: Json = { type: 'json_schema', name: format.name, schema: format.schema };
  if (format.description !== undefined) out.description = format.description;
  out.strict = format.strict ?? false;
  return out;
}

function renderTool(t: ToolDefinition): Json {
  return { type: 'function', name: t.name, description: t.description ?? null, parameters: t.parameters, strict: t.strict ?? false };
}

/** Up to 16 string pairs, keys up to 64 characters and values up to 512, as OpenAI's API. */
function parseMetadata(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw invalidType('metadata', 'an object', value);
  const keys = Object.keys(value);
  if (keys.length > 16) throw invalidValue('metadata', 'an object with at most 16 keys', value);
  const out: Record<string, string> = {};
  for (const key of keys) {
    const v = value[key];
    if (typeof v !== 'string') throw invalidType(`metadata.${key}`, 'a string', v);
    if (key.length > 64) throw invalidValue('metadata', 'keys of at most 64 characters', key);
    if (v.length > 512) throw invalidValue(`metadata.${key}`, 'a string of at most 512 characters', v);
    out[key] = v;
  }
  return out;
}

function parseInclude(value: unknown): void {
  if (value === undefined || value === null) return;
  if (!Array.isArray(value)) throw invalidType('include', 'an array of strings', value);
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== 'string') throw invalidType(`include[${i}]`, 'a string', value[i]);
}
