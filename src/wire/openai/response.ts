// CanonicalResponse ⇄ an OpenAI `chat.completion` object.
// Lossy on render: text parts are concatenated into one `content` string; thinking parts are not
// rendered (OpenAI has no field for them); stop reasons per finish-reason.ts; cache writes per
// usage.ts.
import { ZERO_USAGE, type CanonicalResponse, type TextPart, type ThinkingPart, type ToolCallPart } from '../../core/canonical.js';
import { fromOpenAIFinishReason, toOpenAIFinishReason } from './finish-reason.js';
import { malformed } from './upstream.js';
import { parseUsage, renderUsage } from './usage.js';
import { isRecord, type Json } from './validate.js';

/** `chatcmpl-…` ids pass through; any other upstream id is replaced by one from the request id. */
export function chatCompletionId(upstreamId: string, requestId: string): string {
  return upstreamId.startsWith('chatcmpl-') ? upstreamId : `chatcmpl-${requestId}`;
}

export function renderChatCompletion(resp: CanonicalResponse, publicModel: string, requestId: string): Record<string, unknown> {
  let text: string | null = null;
  const calls: Json[] = [];
  for (const p of resp.content) {
    if (p.type === 'text') text = text === null ? p.text : text + p.text;
    else if (p.type === 'tool_call') calls.push({ id: p.id, type: 'function', function: { name: p.name, arguments: p.arguments } });
  }
  const refusal = resp.refusal ?? null;
  const message: Json = {
    role: 'assistant',
    content: text ?? (calls.length > 0 || refusal !== null ? null : ''),
    refusal,
    annotations: [],
  };
  if (calls.length > 0) message.tool_calls = calls;
  return {
    id: chatCompletionId(resp.id, requestId),
    object: 'chat.completion',
    created: resp.created,
    model: publicModel,
    choices: [{ index: 0, message, logprobs: null, finish_reason: toOpenAIFinishReason(resp.stopReason) }],
    usage: renderUsage(resp.usage),
    service_tier: resp.serviceTier ?? 'default',
    system_fingerprint: null,
  };
}

/**
 * `JSON.stringify(renderChatCompletion(…))`, written directly for the common answer (text, no tool
 * calls): the same string, without building the object first. Any other answer takes the general
 * path.
 */
export function renderChatCompletionJson(resp: CanonicalResponse, publicModel: string, requestId: string): string {
  let text: string | null = null;
  for (const p of resp.content) {
    if (p.type === 'tool_call') return JSON.stringify(renderChatCompletion(resp, publicModel, requestId));
    if (p.type === 'text') text = text === null ? p.text : text + p.text;
  }
  const refusal = resp.refusal ?? null;
  const u = resp.usage;
  const cacheWrite = u.cacheWrite5mTokens + u.cacheWrite1hTokens;
  const prompt = u.inputTokens + u.cacheReadTokens + cacheWrite;
  const content = text ?? (refusal !== null ? null : '');
  return (
    `{"id":${JSON.stringify(chatCompletionId(resp.id, requestId))},"object":"chat.completion","created":${JSON.stringify(resp.created)}` +
    `,"model":${JSON.stringify(publicModel)},"choices":[{"index":0,"message":{"role":"assistant","content":${JSON.stringify(content)}` +
    `,"refusal":${JSON.stringify(refusal)},"annotations":[]},"logprobs":null,"finish_reason":${JSON.stringify(toOpenAIFinishReason(resp.stopReason))}}]` +
    `,"usage":{"prompt_tokens":${prompt},"completion_tokens":${u.outputTokens},"total_tokens":${prompt + u.outputTokens}` +
    `,"prompt_tokens_details":{"cached_tokens":${u.cacheReadTokens},"audio_tokens":0${cacheWrite > 0 ? `,"cache_write_tokens":${cacheWrite}` : ''}}` +
    `,"completion_tokens_details":{"reasoning_tokens":${u.reasoningTokens},"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}` +
    `,"service_tier":"${resp.serviceTier ?? 'default'}","system_fingerprint":null}`
  );
}

/**
 * EGRESS: an upstream `chat.completion` body → canonical. Reads choices[0] only (costwise sends
 * n=1). `reasoning_content` (DeepSeek, vLLM and other compatible servers) becomes a thinking part.
 * A missing `usage` gives zero usage (the gateway then estimates); a malformed one is a 502.
 */
export function parseChatCompletion(body: unknown, provider?: string): CanonicalResponse {
  if (!isRecord(body)) throw malformed('the body is not a JSON object', provider);
  const choices = body.choices;
  if (!Array.isArray(choices) || !isRecord(choices[0])) throw malformed('choices[0] is missing', provider);
  const choice: Json = choices[0];
  const message = choice.message;
  if (!isRecord(message)) throw malformed('choices[0].message is missing', provider);

  const content: Array<TextPart | ToolCallPart | ThinkingPart> = [];
  const reasoning = message.reasoning_content;
  if (typeof reasoning === 'string' && reasoning !== '') content.push({ type: 'thinking', text: reasoning });
  const text = message.content;
  if (typeof text === 'string') {
    if (text !== '') content.push({ type: 'text', text });
  } else if (text !== null && text !== undefined) throw malformed('choices[0].message.content is not a string', provider);
  const calls = message.tool_calls;
  if (Array.isArray(calls)) {
    for (let i = 0; i < calls.length; i++) content.push(parseToolCall(calls[i], i, provider));
  } else if (calls !== null && calls !== undefined) throw malformed('choices[0].message.tool_calls is not an array', provider);

  const resp: CanonicalResponse = {
    id: typeof body.id === 'string' ? body.id : '',
    model: typeof body.model === 'string' ? body.model : '',
    content,
    stopReason: fromOpenAIFinishReason(choice.finish_reason),
    stopSequence: null,
    usage: body.usage === undefined || body.usage === null ? { ...ZERO_USAGE } : parseUsage(body.usage, provider),
    created: typeof body.created === 'number' ? body.created : Math.floor(Date.now() / 1000),
  };
  if (typeof message.refusal === 'string') resp.refusal = message.refusal;
  if (body.service_tier === 'flex' || body.service_tier === 'priority') resp.serviceTier = body.service_tier;
  return resp;
}

function parseToolCall(value: unknown, i: number, provider: string | undefined): ToolCallPart {
  const where = `choices[0].message.tool_calls[${i}]`;
  if (!isRecord(value) || !isRecord(value.function)) throw malformed(`${where}.function is missing`, provider);
  const fn = value.function;
  if (typeof fn.name !== 'string') throw malformed(`${where}.function.name is not a string`, provider);
  // Some compatible servers send the arguments as an object rather than JSON text.
  const args = typeof fn.arguments === 'string' ? fn.arguments : fn.arguments === undefined ? '{}' : JSON.stringify(fn.arguments);
  return { type: 'tool_call', id: typeof value.id === 'string' ? value.id : `call_${i}`, name: fn.name, arguments: args };
}
