// Canonical request → Bedrock Converse body (`POST /model/{modelId}/converse[-stream]`; the model
// id is in the path). Prompt-cache breakpoints (`cacheControl`) become Converse `cachePoint` blocks
// right after the part they close, which is how Bedrock marks the end of a cached prefix.
import type { CanonicalRequest, ContentPart, ImagePart, TextPart, ToolChoice } from '../../core/canonical.js';
import { GatewayError } from '../../core/errors.js';

type Json = Record<string, unknown>;

const CACHE_POINT: Json = { cachePoint: { type: 'default' } };
const IMAGE_FORMATS: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpeg', 'image/gif': 'gif', 'image/webp': 'webp' };

const notSent = (field: string): string => `${field} is not supported by Bedrock Converse and was not sent`;

export function toConverseBody(req: CanonicalRequest, warnings: string[]): Json {
  const body: Json = { messages: req.messages.map((m, i) => ({ role: m.role, content: contentBlocks(m.content, `messages[${i}]`) })) };
  if (req.system.length > 0) body.system = textBlocks(req.system);
  const inference: Json = {};
  if (req.maxTokens !== undefined) inference.maxTokens = req.maxTokens;
  if (req.temperature !== undefined) inference.temperature = req.temperature;
  if (req.topP !== undefined) inference.topP = req.topP;
  if (req.stop !== undefined && req.stop.length > 0) inference.stopSequences = req.stop;
  if (Object.keys(inference).length > 0) body.inferenceConfig = inference;
  const extra: Json = {};
  if (req.topK !== undefined) extra.top_k = req.topK;
  if (req.thinking?.type === 'enabled') extra.thinking = { type: 'enabled', budget_tokens: req.thinking.budgetTokens };
  if (Object.keys(extra).length > 0) body.additionalModelRequestFields = extra;
  if (req.tools !== undefined && req.tools.length > 0 && req.toolChoice?.type !== 'none') {
    const tools: Json[] = [];
    for (const t of req.tools) {
      tools.push({ toolSpec: { name: t.name, ...(t.description !== undefined ? { description: t.description } : {}), inputSchema: { json: t.parameters } } });
      if (t.cacheControl) tools.push(CACHE_POINT);
    }
    const toolConfig: Json = { tools };
    if (req.toolChoice) toolConfig.toolChoice = toolChoice(req.toolChoice);
    body.toolConfig = toolConfig;
  }
  if (req.toolChoice?.type === 'none' && req.tools !== undefined && req.tools.length > 0)
    warnings.push('tool_choice "none": Converse has no such choice, so the tools were not sent');
  if (req.seed !== undefined) warnings.push(notSent('seed'));
  if (req.responseFormat !== undefined && req.responseFormat.type !== 'text') warnings.push(notSent('response_format'));
  if (req.parallelToolCalls === false) warnings.push(notSent('parallelToolCalls'));
  if (req.user !== undefined) warnings.push(notSent('user'));
  if (req.reasoningEffort !== undefined) warnings.push(notSent('reasoningEffort'));
  if (req.cacheControl !== undefined) warnings.push(notSent('top-level cache_control (mark blocks instead)'));
  for (const key of Object.keys(req.passthrough.fields)) warnings.push(notSent(key));
  return body;
}

function toolChoice(choice: Exclude<ToolChoice, { type: 'none' }>): Json {
  if (choice.type === 'auto') return { auto: {} };
  if (choice.type === 'required') return { any: {} };
  return { tool: { name: choice.name } };
}

function textBlocks(parts: readonly TextPart[]): Json[] {
  const out: Json[] = [];
  for (const p of parts) {
    out.push({ text: p.text });
    if (p.cacheControl) out.push(CACHE_POINT);
  }
  return out;
}

function contentBlocks(parts: readonly ContentPart[], path: string): Json[] {
  const out: Json[] = [];
  parts.forEach((p, i) => {
    const block = contentBlock(p, `${path}.content[${i}]`);
    if (block === null) return;
    out.push(block);
    if ('cacheControl' in p && p.cacheControl) out.push(CACHE_POINT);
  });
  return out;
}

function contentBlock(p: ContentPart, path: string): Json | null {
  switch (p.type) {
    case 'text':
      return { text: p.text };
    case 'image':
      return imageBlock(p, path);
    case 'tool_call':
      return { toolUse: { toolUseId: p.id, name: p.name, input: parseArguments(p.arguments, path) } };
    case 'tool_result':
      return {
        toolResult: {
          toolUseId: p.toolCallId,
          content: p.content.map((c, j) => (c.type === 'text' ? { text: c.text } : imageBlock(c, `${path}.content[${j}]`))),
          status: p.isError ? 'error' : 'success',
        },
      };
    case 'thinking':
      // Reasoning goes back only with its signature (Claude checks it); unsigned text cannot be replayed.
      return p.signature ? { reasoningContent: { reasoningText: { text: p.text, signature: p.signature } } } : null;
  }
}

function imageBlock(p: ImagePart, path: string): Json {
  const format = p.source.kind === 'base64' ? IMAGE_FORMATS[p.source.mediaType] : undefined;
  if (p.source.kind !== 'base64' || format === undefined) {
    throw new GatewayError({
      kind: 'invalid_request',
      message: `${path}: Bedrock Converse takes images as base64 PNG, JPEG, GIF or WebP only (not ${p.source.kind === 'url' ? 'a URL' : p.source.mediaType})`,
      param: path,
    });
  }
  return { image: { format, source: { bytes: p.source.data } } };
}

function parseArguments(args: string, path: string): unknown {
  try {
    return JSON.parse(args === '' ? '{}' : args) as unknown;
  } catch {
    throw new GatewayError({ kind: 'invalid_request', message: `${path}: tool call arguments are not valid JSON`, param: path });
  }
}
