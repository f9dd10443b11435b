// A Bedrock Converse body → the canonical request the reply engine reads. A `cachePoint` block
// marks the end of a cached prefix, which is what `cacheControl` on the part before it means to the
// shared prompt-cache rules (the same planner as Anthropic's: Bedrock's Claude caches the same way).
import { emptyRequest, type CanonicalMessage, type CanonicalRequest, type ContentPart, type TextPart, type ToolDefinition } from '../core/canonical.js';
import { badRequest } from './errors.js';
import { isObj, optNumber, optPositiveInt, optStringList, requireArray, requireObj, requireString, schemaOf, type Obj } from './parse-util.js';

const CACHE = { type: 'ephemeral' } as const;

const invalid = (message: string): never => {
  throw badRequest(message, null, 'ValidationException');
};

export function parseConverse(body: unknown, model: string): CanonicalRequest {
  const b = requireObj(body, 'body');
  const req = emptyRequest('anthropic');
  req.model = model;
  const messages = requireArray(b.messages, 'messages');
  if (messages.length === 0) invalid('A conversation must start with a user message. Try again with a conversation that starts with a user message.');
  req.messages = messages.map((m, i) => message(m, `messages.${i}`));
  if (b.system !== undefined) requireArray(b.system, 'system').forEach((s, i) => systemBlock(s, `system.${i}`, req.system));
  if (b.inferenceConfig !== undefined) {
    const c = requireObj(b.inferenceConfig, 'inferenceConfig');
    const max = optPositiveInt(c.maxTokens, 'inferenceConfig.maxTokens');
    if (max !== undefined) req.maxTokens = max;
    const t = optNumber(c.temperature, 'inferenceConfig.temperature');
    if (t !== undefined) req.temperature = t;
    const stop = optStringList(c.stopSequences, 'inferenceConfig.stopSequences');
    if (stop !== undefined) req.stop = stop;
  }
  if (b.toolConfig !== undefined) tools(requireObj(b.toolConfig, 'toolConfig'), req);
  return req;
}

function message(v: unknown, path: string): CanonicalMessage {
  const m = requireObj(v, path);
  if (m.role !== 'user' && m.role !== 'assistant') invalid(`${path}.role: must be user or assistant`);
  const content: ContentPart[] = [];
  requireArray(m.content, `${path}.content`).forEach((c, j) => block(c, `${path}.content.${j}`, content));
  return { role: m.role as 'user' | 'assistant', content };
}

/** Appends one block; a cachePoint marks the previous part instead. */
function block(v: unknown, path: string, out: ContentPart[]): void {
  const b = requireObj(v, path);
  if (isObj(b.cachePoint)) {
    markCache(out, path);
    return;
  }
  if (typeof b.text === 'string') out.push({ type: 'text', text: b.text });
  else if (isObj(b.image))
    out.push({ type: 'image', source: { kind: 'base64', mediaType: `image/${String(b.image.format)}`, data: imageBytes(b.image, path) } });
  else if (isObj(b.toolUse)) {
    const t = b.toolUse;
    out.push({
      type: 'tool_call',
      id: requireString(t.toolUseId, `${path}.toolUse.toolUseId`),
      name: requireString(t.name, `${path}.toolUse.name`),
      arguments: JSON.stringify(t.input ?? {}),
    });
  } else if (isObj(b.toolResult)) {
    const r = b.toolResult;
    const content = requireArray(r.content, `${path}.toolResult.content`).map((c): TextPart => {
      const o = requireObj(c, `${path}.toolResult.content`);
      return { type: 'text', text: typeof o.text === 'string' ? o.text : JSON.stringify(o.json ?? '') };
    });
    out.push({
      type: 'tool_result',
      toolCallId: requireString(r.toolUseId, `${path}.toolResult.toolUseId`),
      content,
      ...(r.status === 'error' ? { isError: true } : {}),
    });
  } else if (isObj(b.reasoningContent)) {
    const r = isObj(b.reasoningContent.reasoningText) ? b.reasoningContent.reasoningText : {};
    out.push({ type: 'thinking', text: typeof r.text === 'string' ? r.text : '' });
  } else invalid(`${path}: unknown content block (expected text, image, toolUse, toolResult, reasoningContent or cachePoint)`);
}

function imageBytes(image: Obj, path: string): string {
  const source = requireObj(image.source, `${path}.image.source`);
  return requireString(source.bytes, `${path}.image.source.bytes`);
}

function systemBlock(v: unknown, path: string, out: TextPart[]): void {
  const b = requireObj(v, path);
  if (isObj(b.cachePoint)) markCache(out, path);
  else out.push({ type: 'text', text: requireString(b.text, `${path}.text`) });
}

function markCache(parts: readonly object[], path: string): void {
  const last = parts[parts.length - 1];
  if (last === undefined || !('type' in last || 'name' in last)) invalid(`${path}.cachePoint: a cache point must follow a content block`);
  else if ((last as { type?: unknown }).type === 'thinking') invalid(`${path}.cachePoint: a cache point cannot follow reasoning content`);
  else (last as { cacheControl?: unknown }).cacheControl = CACHE;
}

function tools(c: Obj, req: CanonicalRequest): void {
  const defs: ToolDefinition[] = [];
  requireArray(c.tools, 'toolConfig.tools').forEach((t, i) => {
    const o = requireObj(t, `toolConfig.tools.${i}`);
    if (isObj(o.cachePoint)) {
      markCache(defs, `toolConfig.tools.${i}`);
      return;
    }
    const spec = requireObj(o.toolSpec, `toolConfig.tools.${i}.toolSpec`);
    const schema = isObj(spec.inputSchema) ? spec.inputSchema.json : undefined;
    defs.push({
      name: requireString(spec.name, `toolConfig.tools.${i}.toolSpec.name`),
      ...(typeof spec.description === 'string' ? { description: spec.description } : {}),
      parameters: schemaOf(schema),
    });
  });
  req.tools = defs;
  if (isObj(c.toolChoice)) {
    const ch = c.toolChoice;
    if (isObj(ch.any)) req.toolChoice = { type: 'required' };
    else if (isObj(ch.tool)) req.toolChoice = { type: 'tool', name: requireString(ch.tool.name, 'toolConfig.toolChoice.tool.name') };
    else req.toolChoice = { type: 'auto' };
  }
}
