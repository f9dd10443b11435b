// Gemini GenerateContentRequest → canonical request.
import type { CanonicalMessage, CanonicalRequest, ContentPart, TextPart, ToolChoice, ToolDefinition } from '../core/canonical.js';
import { badRequest } from './errors.js';
import * as v from './parse-util.js';

function part(raw: unknown, param: string): ContentPart {
  const p = v.requireObj(raw, param);
  if (typeof p.text === 'string') return p.thought === true ? { type: 'thinking', text: p.text } : { type: 'text', text: p.text };
  if (v.isObj(p.inlineData)) {
    return { type: 'image', source: { kind: 'base64', mediaType: v.loose(p.inlineData.mimeType ?? ''), data: v.loose(p.inlineData.data ?? '') } };
  }
  if (v.isObj(p.fileData)) return { type: 'image', source: { kind: 'url', url: v.loose(p.fileData.fileUri ?? '') } };
  if (v.isObj(p.functionCall)) {
    const name = v.requireString(p.functionCall.name, `${param}.functionCall.name`);
    const id = typeof p.functionCall.id === 'string' ? p.functionCall.id : name;
    return { type: 'tool_call', id, name, arguments: JSON.stringify(p.functionCall.args ?? {}) };
  }
  if (v.isObj(p.functionResponse)) {
    const name = v.requireString(p.functionResponse.name, `${param}.functionResponse.name`);
    const id = typeof p.functionResponse.id === 'string' ? p.functionResponse.id : name;
    return { type: 'tool_result', toolCallId: id, content: [{ type: 'text', text: JSON.stringify(p.functionResponse.response ?? {}) }] };
  }
  return { type: 'text', text: JSON.stringify(p) };
}

function contents(raw: unknown): CanonicalMessage[] {
  if (raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0)) {
    throw badRequest('* GenerateContentRequest.contents: contents is not specified');
  }
  return optionalContents(raw);
}

/** `contents` that may be absent (a CachedContent may hold only a system instruction or tools). */
export function optionalContents(raw: unknown): CanonicalMessage[] {
  if (raw === undefined || raw === null) return [];
  return v.requireArray(raw, 'contents').map((c, i) => {
    const content = v.requireObj(c, `contents[${i}]`);
    const role = content.role ?? 'user';
    if (role !== 'user' && role !== 'model' && role !== 'function') {
      throw badRequest(`Please use a valid role: user, model.`, `contents[${i}].role`);
    }
    const parts = v.requireArray(content.parts ?? [], `contents[${i}].parts`).map((p, j) => part(p, `contents[${i}].parts[${j}]`));
    return { role: role === 'model' ? 'assistant' : 'user', content: parts };
  });
}

export function systemInstruction(raw: unknown): TextPart[] {
  if (raw === undefined || raw === null) return [];
  if (typeof raw === 'string') return [{ type: 'text', text: raw }];
  const o = v.requireObj(raw, 'systemInstruction');
  return v.requireArray(o.parts ?? [], 'systemInstruction.parts').flatMap((p, i) => {
    const text = v.requireObj(p, `systemInstruction.parts[${i}]`).text;
    return typeof text === 'string' ? [{ type: 'text' as const, text }] : [];
  });
}

export function tools(raw: unknown): ToolDefinition[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  const out: ToolDefinition[] = [];
  v.requireArray(raw, 'tools').forEach((t, i) => {
    const decls = v.requireObj(t, `tools[${i}]`).functionDeclarations;
    if (decls === undefined) return;
    v.requireArray(decls, `tools[${i}].functionDeclarations`).forEach((d, j) => {
      const decl = v.requireObj(d, `tools[${i}].functionDeclarations[${j}]`);
      const def: ToolDefinition = {
        name: v.requireString(decl.name, `tools[${i}].functionDeclarations[${j}].name`),
        parameters: v.schemaOf(decl.parameters ?? decl.parametersJsonSchema),
      };
      if (typeof decl.description === 'string') def.description = decl.description;
      out.push(def);
    });
  });
  return out.length > 0 ? out : undefined;
}

export function toolChoice(raw: unknown): ToolChoice | undefined {
  if (!v.isObj(raw) || !v.isObj(raw.functionCallingConfig)) return undefined;
  const cfg = raw.functionCallingConfig;
  if (cfg.mode === 'NONE') return { type: 'none' };
  if (cfg.mode === 'ANY') {
    const first: unknown = Array.isArray(cfg.allowedFunctionNames) ? cfg.allowedFunctionNames[0] : undefined;
    return typeof first === 'string' ? { type: 'tool', name: first } : { type: 'required' };
  }
  return { type: 'auto' };
}

export function parseGemini(body: unknown, model: string, stream: boolean): CanonicalRequest {
  const b = v.requireObj(body, 'body');
  const canon: CanonicalRequest = {
    model,
    system: systemInstruction(b.systemInstruction ?? b.system_instruction),
    messages: contents(b.contents),
    stream,
    streamUsage: true,
    passthrough: { format: 'gemini', fields: {} },
  };
  const gen = b.generationConfig === undefined || b.generationConfig === null ? {} : v.requireObj(b.generationConfig, 'generationConfig');
  const max = v.optPositiveInt(gen.maxOutputTokens, 'generationConfig.maxOutputTokens');
  if (max !== undefined) canon.maxTokens = max;
  const stop = v.optStringList(gen.stopSequences, 'generationConfig.stopSequences');
  if (stop) canon.stop = stop;
  if (gen.responseMimeType === 'application/json') {
    const schema = gen.responseJsonSchema ?? gen.responseSchema;
    canon.responseFormat = schema === undefined ? { type: 'json_object' } : { type: 'json_schema', name: 'response', schema: v.schemaOf(schema) };
  }
  const t = tools(b.tools);
  if (t) canon.tools = t;
  const tc = toolChoice(b.toolConfig);
  if (tc) canon.toolChoice = tc;
  return canon;
}
