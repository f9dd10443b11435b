// OpenAI `tools`, `tool_choice` and `response_format` ⇄ canonical, both directions.
import type { ResponseFormat, ToolChoice, ToolDefinition } from '../../core/canonical.js';
import { invalidType, invalidValue, isRecord, missing, optBoolean, optRecord, optString, reqString, unsupported, type Json } from './validate.js';

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** A tool without `parameters` takes no arguments; canonical always carries a schema. */
export const EMPTY_PARAMETERS: Readonly<Record<string, unknown>> = Object.freeze({ type: 'object', properties: {} });

// ---- INGRESS ----

export function parseTools(value: unknown): ToolDefinition[] {
  if (!Array.isArray(value)) throw invalidType('tools', 'an array', value);
  const tools: ToolDefinition[] = [];
  for (let i = 0; i < value.length; i++) {
    const path = `tools[${i}]`;
    const t: unknown = value[i];
    if (!isRecord(t)) throw invalidType(path, 'an object', t);
    if (t.type !== 'function') {
      if (t.type === undefined || t.type === null) throw missing(`${path}.type`);
      throw unsupported(`${path}.type`, `Unsupported tool type ${JSON.stringify(t.type)} at '${path}.type': costwise supports 'function' tools.`);
    }
    const fn = t.function;
    if (fn === undefined || fn === null) throw missing(`${path}.function`);
    if (!isRecord(fn)) throw invalidType(`${path}.function`, 'an object', fn);
    tools.push(parseFunction(fn, `${path}.function`));
  }
  return tools;
}

function parseFunction(fn: Json, path: string): ToolDefinition {
  const name = reqString(fn, 'name', `${path}.name`);
  if (!TOOL_NAME.test(name)) throw invalidValue(`${path}.name`, 'a name of 1-64 letters, digits, underscores or dashes', name);
  const def: ToolDefinition = { name, parameters: optRecord(fn, 'parameters', `${path}.parameters`) ?? { ...EMPTY_PARAMETERS } };
  const description = optString(fn, 'description', `${path}.description`);
  if (description !== undefined) def.description = description;
  const strict = optBoolean(fn, 'strict', `${path}.strict`);
  if (strict !== undefined) def.strict = strict;
  return def;
}

export function parseToolChoice(value: unknown): ToolChoice {
  if (value === 'auto' || value === 'none' || value === 'required') return { type: value };
  if (typeof value === 'string') throw invalidValue('tool_choice', "one of 'auto', 'none', 'required' or a function choice", value);
  if (!isRecord(value)) throw invalidType('tool_choice', 'a string or an object', value);
  if (value.type !== 'function') {
    throw unsupported('tool_choice.type', `Unsupported tool_choice type ${JSON.stringify(value.type)}: costwise supports 'function'.`);
  }
  const fn = value.function;
  if (fn === undefined || fn === null) throw missing('tool_choice.function');
  if (!isRecord(fn)) throw invalidType('tool_choice.function', 'an object', fn);
  return { type: 'tool', name: reqString(fn, 'name', 'tool_choice.function.name') };
}

export function parseResponseFormat(value: unknown): ResponseFormat {
  if (!isRecord(value)) throw invalidType('response_format', 'an object', value);
  const type = value.type;
  if (type === 'text' || type === 'json_object') return { type };
  if (type === undefined || type === null) throw missing('response_format.type');
  if (type !== 'json_schema') throw invalidValue('response_format.type', "one of 'text', 'json_object', 'json_schema'", type);
  const js = value.json_schema;
  if (js === undefined || js === null) throw missing('response_format.json_schema');
  if (!isRecord(js)) throw invalidType('response_format.json_schema', 'an object', js);
  const format: ResponseFormat = {
    type: 'json_schema',
    name: reqString(js, 'name', 'response_format.json_schema.name'),
    // OpenAI makes `schema` optional; canonical always carries one (an empty schema when absent).
    schema: optRecord(js, 'schema', 'response_format.json_schema.schema') ?? {},
  };
  const strict = optBoolean(js, 'strict', 'response_format.json_schema.strict');
  if (strict !== undefined) format.strict = strict;
  const description = optString(js, 'description', 'response_format.json_schema.description');
  if (description !== undefined) format.description = description;
  return format;
}

// ---- EGRESS ----

/** `cacheControl` on a tool is a cost hint only; it is dropped without a warning. */
export function renderTools(tools: ToolDefinition[]): Json[] {
  return tools.map((t) => {
    const fn: Json = { name: t.name };
    if (t.description !== undefined) fn.description = t.description;
    fn.parameters = t.parameters;
    if (t.strict !== undefined) fn.strict = t.strict;
    return { type: 'function', function: fn };
  });
}

export function renderToolChoice(choice: ToolChoice): string | Json {
  return choice.type === 'tool' ? { type: 'function', function: { name: choice.name } } : choice.type;
}

export function renderResponseFormat(format: ResponseFormat): Json {
  if (format.type !== 'json_schema') return { type: format.type };
  const js: Json = { name: format.name, schema: format.schema };
  if (format.strict !== undefined) js.strict = format.strict;
  if (format.description !== undefined) js.description = format.description;
  return { type: 'json_schema', json_schema: js };
}
