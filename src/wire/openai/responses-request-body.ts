// EGRESS: CanonicalRequest → an OpenAI Responses API request body, for deployments with
// `api: responses` (models that exist only on the Responses API).
//
// - canonical system → one leading `system` message item (input_text parts);
// - user parts → a `message` item (input_text / input_image); tool_result parts → one
//   `function_call_output` item each, placed BEFORE the rest of their user message;
// - assistant text → a `message` item with output_text parts; tool calls → `function_call` items;
// - `store: false` always: costwise keeps responses itself; the upstream keeps nothing.
// Lossy (each one a warning): thinking parts and config, `stop`, `seed`, `topK`, tool_result
// `isError` and images inside tool results, passthrough fields with no Responses equivalent.
import type { CanonicalMessage, CanonicalRequest, ImagePart, ToolResultPart } from '../../core/canonical.js';
import type { Json } from './validate.js';

/** Chat passthrough fields with the same meaning on the Responses API. */
const PASSED_ON: Record<string, (body: Json, value: unknown) => void> = {
  service_tier: (body, v) => {
    body.service_tier = v;
  },
  verbosity: (body, v) => {
    body.text = { ...(body.text as Json | undefined), verbosity: v };
  },
  metadata: (body, v) => {
    body.metadata = v;
  },
};

export function toResponsesRequestBody(req: CanonicalRequest, upstreamModel: string, warnings: string[], stream: boolean): Json {
  const input: Json[] = [];
  if (req.system.length > 0) input.push({ type: 'message', role: 'system', content: req.system.map((p) => ({ type: 'input_text', text: p.text })) });
  for (const m of req.messages) {
    if (m.role === 'user') renderUser(m, input, warnings);
    else renderAssistant(m, input, warnings);
  }
  const body: Json = { model: upstreamModel, input, store: false };
  if (req.maxTokens !== undefined) body.max_output_tokens = req.maxTokens;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.tools !== undefined) {
    body.tools = req.tools.map((t) => {
      const tool: Json = { type: 'function', name: t.name };
      if (t.description !== undefined) tool.description = t.description;
      tool.parameters = t.parameters;
      // The Responses API makes function tools strict unless told otherwise; chat does not.
      tool.strict = t.strict ?? false;
      return tool;
    });
  }
  if (req.toolChoice !== undefined) body.tool_choice = req.toolChoice.type === 'tool' ? { type: 'function', name: req.toolChoice.name } : req.toolChoice.type;
  if (req.parallelToolCalls !== undefined) body.parallel_tool_calls = req.parallelToolCalls;
  if (req.responseFormat !== undefined) {
    const f = req.responseFormat;
    const format: Json = f.type === 'json_schema' ? { type: 'json_schema', name: f.name, schema: f.schema } : { type: f.type };
    if (f.type === 'json_schema' && f.strict !== undefined) format.strict = f.strict;
    if (f.type === 'json_schema' && f.description !== undefined) format.description = f.description;
    body.text = { format };
  }
  if (req.reasoningEffort !== undefined) body.reasoning = { effort: req.reasoningEffort };
  if (req.user !== undefined) body.user = req.user;
  if (req.promptCacheKey !== undefined) body.prompt_cache_key = req.promptCacheKey;
  if (stream) body.stream = true;
  if (req.stop !== undefined) warn(warnings, notSent('stop'));
  if (req.seed !== undefined) warn(warnings, notSent('seed'));
  if (req.topK !== undefined) warn(warnings, notSent('top_k'));
  if (req.thinking !== undefined) warn(warnings, `${notSent('thinking')} (use reasoning_effort)`);
  const fields = req.passthrough.fields;
  for (const key in fields) {
    const pass = req.passthrough.format === 'openai' ? PASSED_ON[key] : undefined;
    if (pass) pass(body, fields[key]);
    else warn(warnings, notSent(key));
  }
  return body;
}

function notSent(field: string): string {
  return `"${field}" is not supported by the OpenAI Responses API and was not sent`;
}

function warn(warnings: string[], message: string): void {
  if (!warnings.includes(message)) warnings.push(message);
}

function imageUrl(p: ImagePart): string {
  return p.source.kind === 'url' ? p.source.url : `data:${p.source.mediaType};base64,${p.source.data}`;
}

function renderUser(m: CanonicalMessage, out: Json[], warnings: string[]): void {
  const content: Json[] = [];
  for (const p of m.content) {
    if (p.type === 'text') content.push({ type: 'input_text', text: p.text });
    else if (p.type === 'image') content.push({ type: 'input_image', image_url: imageUrl(p), detail: p.detail ?? 'auto' });
    else if (p.type === 'tool_result') out.push(toolOutput(p, warnings));
    else warn(warnings, `${p.type} parts in a user message are not supported by the OpenAI Responses API and were not sent`);
  }
  if (content.length > 0 || m.content.length === 0) out.push({ type: 'message', role: 'user', content });
}

function toolOutput(p: ToolResultPart, warnings: string[]): Json {
  const texts: string[] = [];
  for (const c of p.content) {
    if (c.type === 'text') texts.push(c.text);
    else warn(warnings, 'images in tool results are not supported by the OpenAI Responses API and were not sent');
  }
  if (p.isError) warn(warnings, notSent('is_error'));
  return { type: 'function_call_output', call_id: p.toolCallId, output: texts.join('\n') };
}

function renderAssistant(m: CanonicalMessage, out: Json[], warnings: string[]): void {
  const text: Json[] = [];
  for (const p of m.content) {
    if (p.type === 'text') text.push({ type: 'output_text', text: p.text, annotations: [] });
    else if (p.type === 'thinking') warn(warnings, 'thinking parts are not supported by the OpenAI Responses API and were not sent');
  }
  if (text.length > 0) out.push({ type: 'message', role: 'assistant', content: text });
  for (const p of m.content) {
    if (p.type === 'tool_call') out.push({ type: 'function_call', call_id: p.id, name: p.name, arguments: p.arguments });
  }
}
