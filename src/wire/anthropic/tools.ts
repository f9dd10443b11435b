// Ingress: Anthropic `tools` and `tool_choice` → canonical. Only custom (client-executed) tools are
// translated; server tools (web_search, code_execution, …) run on Anthropic's side and have no
// canonical form, so they are refused with the offending path.
import type { ToolChoice, ToolDefinition } from '../../core/canonical.js';
import { parseCacheControl } from './cache-control.js';
import { checkKeys, field, invalid, item, optionalBoolean, optionalString, requireArray, requireObject, requireString, unsupported } from './validate.js';

const TOOL_KEYS: ReadonlySet<string> = new Set(['type', 'name', 'description', 'input_schema', 'cache_control', 'strict', 'eager_input_streaming']);
const CHOICE_KEYS: ReadonlySet<string> = new Set(['type', 'disable_parallel_tool_use']);
const CHOICE_TOOL_KEYS: ReadonlySet<string> = new Set(['type', 'name', 'disable_parallel_tool_use']);
const CHOICE_NONE_KEYS: ReadonlySet<string> = new Set(['type']);

export function parseTools(v: unknown): ToolDefinition[] | undefined {
  if (v === undefined || v === null) return undefined;
  const list = requireArray(v, 'tools');
  const out = new Array<ToolDefinition>(list.length);
  for (let i = 0; i < list.length; i++) {
    const path = item('tools', i);
    const tool = requireObject(list[i], path);
    if (tool.type !== undefined && tool.type !== null && tool.type !== 'custom') {
      if (typeof tool.type === 'string') throw unsupported(field(path, 'type'), `server tool '${tool.type}'`);
      throw invalid(field(path, 'type'), "Input should be 'custom'");
    }
    for (const key in tool) {
      if (!TOOL_KEYS.has(key)) throw unsupported(field(path, key), `tool field '${key}'`);
    }
    const schemaPath = field(path, 'input_schema');
    const schema = requireObject(tool.input_schema, schemaPath);
    if (schema.type !== 'object') throw invalid(field(schemaPath, 'type'), "Input should be 'object'");
    const def: ToolDefinition = { name: requireString(tool.name, field(path, 'name')), parameters: schema };
    const description = optionalString(tool.description, field(path, 'description'));
    if (description !== undefined) def.description = description;
    const strict = optionalBoolean(tool.strict, field(path, 'strict'));
    if (strict !== undefined) def.strict = strict;
    const eager = optionalBoolean(tool.eager_input_streaming, field(path, 'eager_input_streaming'));
    if (eager !== undefined) def.eagerInputStreaming = eager;
    const cc = parseCacheControl(tool.cache_control, field(path, 'cache_control'));
    if (cc) def.cacheControl = cc;
    out[i] = def;
  }
  return out;
}

export interface ParsedToolChoice {
  toolChoice?: ToolChoice;
  /** From `disable_parallel_tool_use` (inverted); absent when the caller did not say. */
  parallelToolCalls?: boolean;
}

export function parseToolChoice(v: unknown): ParsedToolChoice {
  if (v === undefined || v === null) return {};
  const path = 'tool_choice';
  const choice = requireObject(v, path);
  let toolChoice: ToolChoice;
  switch (choice.type) {
    case 'auto':
      checkKeys(choice, CHOICE_KEYS, path);
      toolChoice = { type: 'auto' };
      break;
    case 'any':
      checkKeys(choice, CHOICE_KEYS, path);
      toolChoice = { type: 'required' };
      break;
    case 'none':
      checkKeys(choice, CHOICE_NONE_KEYS, path);
      return { toolChoice: { type: 'none' } };
    case 'tool':
      checkKeys(choice, CHOICE_TOOL_KEYS, path);
      toolChoice = { type: 'tool', name: requireString(choice.name, field(path, 'name')) };
      break;
    case undefined:
      throw invalid(field(path, 'type'), 'Field required');
    default:
      throw invalid(field(path, 'type'), "Input tag should be 'auto', 'any', 'tool' or 'none'");
  }
  const disable = optionalBoolean(choice.disable_parallel_tool_use, field(path, 'disable_parallel_tool_use'));
  return disable === undefined ? { toolChoice } : { toolChoice, parallelToolCalls: !disable };
}
