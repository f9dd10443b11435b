// Canonical request → Gemini `generateContent` body (egress: the gateway calling Gemini).
//
// Choices worth knowing:
// - `json_schema` response formats are sent as `generationConfig.responseJsonSchema`, which takes
//   JSON Schema as is (additionalProperties, $ref/$defs, nullable type arrays, ...). The older
//   `responseSchema` takes only an OpenAPI subset and 400s on those keys, so a schema written for
//   OpenAI strict mode would need lossy rewriting. The schema's `name` has no Gemini field; its
//   `description` becomes the schema's top-level description when it has none.
// - Tool parameters go in `parameters` (the OpenAPI subset), converted by ./schema.ts, which
//   names every keyword it had to remove in a warning.
// - `reasoningEffort` becomes a thinking budget (none 0, minimal/low 1024, medium 8192,
//   high 24576: the table Google uses for its own OpenAI-compatible endpoint).
// - promptCacheKey and cacheControl are cost hints with no Gemini request field: ignored without
//   a warning (Gemini caches implicitly). `streamUsage` needs nothing: Gemini always sends usage.
import type { CanonicalRequest, ResponseFormat, ToolChoice, ToolDefinition } from '../../core/canonical.js';
import { pushOnce, toGeminiContents } from './contents.js';
import { toGeminiSchema } from './schema.js';
import { notSent } from './types.js';

export interface GenerateContentOptions {
  /** The provider's model id; decides model-family rules such as Gemini 3's signature check. */
  upstreamModel?: string;
}

export function toGenerateContentBody(req: CanonicalRequest, warnings: string[], options: GenerateContentOptions = {}): Record<string, unknown> {
  const requireCallSignatures = options.upstreamModel !== undefined && geminiMajorVersion(options.upstreamModel) >= 3;
  const body: Record<string, unknown> = {
    contents: toGeminiContents(req.messages, warnings, { requireCallSignatures }),
  };
  const system = toSystemInstruction(req);
  if (system) body.systemInstruction = system;
  const generationConfig = toGenerationConfig(req, warnings);
  if (Object.keys(generationConfig).length > 0) body.generationConfig = generationConfig;
  if (req.tools && req.tools.length > 0) {
    body.tools = [{ functionDeclarations: req.tools.map((t) => toFunctionDeclaration(t, warnings)) }];
    if (req.toolChoice) body.toolConfig = { functionCallingConfig: toFunctionCallingConfig(req.toolChoice) };
  }
  if (req.parallelToolCalls === false) warnings.push(notSent('parallelToolCalls'));
  if (req.user !== undefined) warnings.push(notSent('user'));
  applyPassthrough(req, body, warnings);
  return body;
}

export function toSystemInstruction(req: CanonicalRequest): { parts: Array<{ text: string }> } | undefined {
  const parts = req.system.filter((p) => p.text !== '').map((p) => ({ text: p.text }));
  return parts.length > 0 ? { parts } : undefined;
}

function toGenerationConfig(req: CanonicalRequest, warnings: string[]): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  if (req.maxTokens !== undefined) config.maxOutputTokens = req.maxTokens;
  if (req.temperature !== undefined) config.temperature = req.temperature;
  if (req.topP !== undefined) config.topP = req.topP;
  if (req.topK !== undefined) config.topK = req.topK;
  if (req.stop !== undefined && req.stop.length > 0) config.stopSequences = req.stop;
  if (req.seed !== undefined) config.seed = req.seed;
  if (req.responseFormat) Object.assign(config, toResponseFormat(req.responseFormat));
  const thinking = toThinkingConfig(req, warnings);
  if (thinking) config.thinkingConfig = thinking;
  return config;
}

function toResponseFormat(format: ResponseFormat): Record<string, unknown> {
  switch (format.type) {
    case 'text':
      return {};
    case 'json_object':
      return { responseMimeType: 'application/json' };
    case 'json_schema': {
      const schema =
        format.description !== undefined && format.schema.description === undefined ? { ...format.schema, description: format.description } : format.schema;
      return { responseMimeType: 'application/json', responseJsonSchema: schema };
    }
  }
}

const BUDGET_BY_EFFORT: Record<string, number> = { none: 0, minimal: 1024, low: 1024, medium: 8192, high: 24576 };

function toThinkingConfig(req: CanonicalRequest, warnings: string[]): Record<string, unknown> | undefined {
  if (req.thinking) {
    if (req.reasoningEffort !== undefined) warnings.push(notSent('reasoningEffort'));
    return req.thinking.type === 'enabled' ? { thinkingBudget: req.thinking.budgetTokens, includeThoughts: true } : { thinkingBudget: 0 };
  }
  if (req.reasoningEffort === undefined) return undefined;
  const budget = BUDGET_BY_EFFORT[req.reasoningEffort];
  if (budget === undefined) {
    warnings.push(notSent(`reasoningEffort: ${req.reasoningEffort}`));
    return undefined;
  }
  return { thinkingBudget: budget };
}

function toFunctionDeclaration(tool: ToolDefinition, warnings: string[]): Record<string, unknown> {
  const declaration: Record<string, unknown> = { name: tool.name };
  if (tool.description !== undefined) declaration.description = tool.description;
  if (tool.strict !== undefined) pushOnce(warnings, notSent('tools[].strict'));
  const { schema, dropped } = toGeminiSchema(tool.parameters);
  if (dropped.length > 0) {
    warnings.push(`tool "${tool.name}": JSON Schema keywords not supported by gemini were not sent: ${dropped.join(', ')}`);
  }
  // Gemini rejects an OBJECT schema with no properties: a tool without arguments has no schema.
  const props = schema.properties;
  const noArguments = schema.type === 'object' && (typeof props !== 'object' || props === null || Object.keys(props).length === 0);
  if (!noArguments) declaration.parameters = schema;
  return declaration;
}

function toFunctionCallingConfig(choice: ToolChoice): Record<string, unknown> {
  switch (choice.type) {
    case 'auto':
      return { mode: 'AUTO' };
    case 'none':
      return { mode: 'NONE' };
    case 'required':
      return { mode: 'ANY' };
    case 'tool':
      return { mode: 'ANY', allowedFunctionNames: [choice.name] };
  }
}

function applyPassthrough(req: CanonicalRequest, body: Record<string, unknown>, warnings: string[]): void {
  const { format, fields } = req.passthrough;
  for (const [key, value] of Object.entries(fields)) {
    // Fields of a Gemini-format caller are Gemini fields (safetySettings, cachedContent, ...).
    if (format === 'gemini') body[key] = value;
    else warnings.push(notSent(key));
  }
}

/** `gemini-2.5-flash` → 2, `models/gemini-3-pro-preview` → 3; 0 when the id is not recognised. */
export function geminiMajorVersion(model: string): number {
  const match = /(?:^|\/)gemini-(\d+)/i.exec(model);
  return match?.[1] === undefined ? 0 : Number(match[1]);
}
