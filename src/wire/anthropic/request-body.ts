// Egress: CanonicalRequest → Anthropic Messages body. Whatever Anthropic cannot take is reported in
// `warnings` (never dropped silently, never clamped).
import type { CanonicalRequest, ToolChoice, ToolDefinition } from '../../core/canonical.js';
import { invalidRequest } from '../../core/errors.js';
import { renderMessages, renderSystem } from './body-content.js';
import { renderCacheControl, withCacheControl } from './cache-control.js';
import type { JsonObject } from './validate.js';
import { addWarning, notSent } from './warnings.js';

/** Sent when the caller gave no max tokens (Anthropic requires it; OpenAI callers may omit it). */
export const DEFAULT_MAX_TOKENS = 4096;

/** Anthropic's temperature range is 0..1 (OpenAI's is 0..2). */
const MAX_TEMPERATURE = 1;

/** The fields `/v1/messages/count_tokens` accepts; generation-only ones do not change the count. */
const COUNT_TOKENS_FIELDS: ReadonlySet<string> = new Set([
  'model',
  'messages',
  'system',
  'tools',
  'tool_choice',
  'thinking',
  'cache_control',
  'output_config',
  'context_management',
  'mcp_servers',
  'speed',
]);

export interface MessagesBodyOptions {
  stream: boolean;
}

export function toMessagesRequestBody(req: CanonicalRequest, upstreamModel: string, warnings: string[], opts: MessagesBodyOptions): Record<string, unknown> {
  if (req.temperature !== undefined && req.temperature > MAX_TEMPERATURE) {
    throw invalidRequest(`temperature: ${req.temperature} is above the maximum ${MAX_TEMPERATURE} of the served model`, 'temperature');
  }
  const body = buildBody(req, upstreamModel, warnings);
  body.max_tokens = req.maxTokens ?? DEFAULT_MAX_TOKENS;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.topK !== undefined) body.top_k = req.topK;
  if (req.stop !== undefined) body.stop_sequences = req.stop;
  if (req.user !== undefined) body.metadata = { user_id: req.user };
  if (opts.stream) body.stream = true;
  return body;
}

/** The body for `/v1/messages/count_tokens`: only the fields that change the input count. */
export function toCountTokensRequestBody(req: CanonicalRequest, upstreamModel: string, warnings: string[]): Record<string, unknown> {
  const body = buildBody(req, upstreamModel, warnings);
  const counted: JsonObject = {};
  for (const key of Object.keys(body)) {
    if (COUNT_TOKENS_FIELDS.has(key)) counted[key] = body[key];
  }
  return counted;
}

function buildBody(req: CanonicalRequest, upstreamModel: string, warnings: string[]): JsonObject {
  const body: JsonObject = {};
  passThrough(req, body, warnings);
  body.model = upstreamModel;
  body.messages = renderMessages(req.messages, warnings);
  const system = renderSystem(req.system);
  if (system !== undefined) body.system = system;
  if (req.tools !== undefined) body.tools = req.tools.map(renderTool);
  const toolChoice = renderToolChoice(req.toolChoice, req.parallelToolCalls);
  if (toolChoice !== undefined) body.tool_choice = toolChoice;
  if (req.thinking !== undefined) {
    body.thinking = req.thinking.type === 'enabled' ? { type: 'enabled', budget_tokens: req.thinking.budgetTokens } : { type: 'disabled' };
  }
  if (req.cacheControl !== undefined) body.cache_control = renderCacheControl(req.cacheControl);
  if (req.responseFormat !== undefined && req.responseFormat.type !== 'text') addWarning(warnings, notSent('response_format'));
  if (req.seed !== undefined) addWarning(warnings, notSent('seed'));
  if (req.reasoningEffort !== undefined) addWarning(warnings, notSent('reasoning_effort'));
  // promptCacheKey is a routing/caching hint for OpenAI; it changes no output, so nothing to say.
  return body;
}

/** Same-format fields go out verbatim (before the canonical ones, which win on a clash). */
function passThrough(req: CanonicalRequest, body: JsonObject, warnings: string[]): void {
  const { format, fields } = req.passthrough;
  for (const key of Object.keys(fields)) {
    if (format === 'anthropic') body[key] = fields[key];
    else addWarning(warnings, notSent(key));
  }
}

function renderTool(tool: ToolDefinition): JsonObject {
  const schema = tool.parameters.type === undefined ? { type: 'object', ...tool.parameters } : tool.parameters;
  const out: JsonObject = { name: tool.name };
  if (tool.description !== undefined) out.description = tool.description;
  out.input_schema = schema;
  if (tool.strict !== undefined) out.strict = tool.strict;
  if (tool.eagerInputStreaming !== undefined) out.eager_input_streaming = tool.eagerInputStreaming;
  return withCacheControl(out, tool.cacheControl);
}

function renderToolChoice(choice: ToolChoice | undefined, parallel: boolean | undefined): JsonObject | undefined {
  if (choice === undefined) {
    return parallel === false ? { type: 'auto', disable_parallel_tool_use: true } : undefined;
  }
  let out: JsonObject;
  switch (choice.type) {
    case 'none':
      return { type: 'none' };
    case 'auto':
      out = { type: 'auto' };
      break;
    case 'required':
      out = { type: 'any' };
      break;
    case 'tool':
      out = { type: 'tool', name: choice.name };
      break;
  }
  if (parallel !== undefined) out.disable_parallel_tool_use = !parallel;
  return out;
}
