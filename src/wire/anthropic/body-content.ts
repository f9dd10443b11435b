// Egress: canonical system and messages → Anthropic blocks.
import type { CanonicalMessage, ContentPart, ImagePart, TextPart, ToolCallPart, ToolResultPart } from '../../core/canonical.js';
import { withCacheControl } from './cache-control.js';
import { redactedData } from './redacted-thinking.js';
import { isObject, type JsonObject } from './validate.js';
import { addWarning, notSent } from './warnings.js';

const DATA_URL = /^data:([^;,]+);base64,(.*)$/s;

/** A single part without cache_control becomes a plain string; anything else a block list. */
export function renderSystem(system: TextPart[]): string | JsonObject[] | undefined {
  if (system.length === 0) return undefined;
  const only = system[0];
  if (system.length === 1 && only !== undefined && only.cacheControl === undefined) return only.text;
  return system.map(renderText);
}

/**
 * Consecutive messages of the same role are merged into one turn. In a merged user turn the
 * tool_result blocks are moved (stably) to the front, where Anthropic requires them.
 */
export function renderMessages(messages: CanonicalMessage[], warnings: string[]): JsonObject[] {
  const out: JsonObject[] = [];
  let prevRole: string | undefined;
  let prevBlocks: JsonObject[] = [];
  let merged = false;
  const flush = (): void => {
    if (prevRole === undefined) return;
    const blocks = merged && prevRole === 'user' ? toolResultsFirst(prevBlocks) : prevBlocks;
    out.push({ role: prevRole, content: compactContent(blocks) });
  };
  for (const msg of messages) {
    if (msg.name !== undefined) addWarning(warnings, notSent('messages[].name'));
    const blocks = renderParts(msg.content, warnings);
    if (msg.role === prevRole) {
      for (const b of blocks) prevBlocks.push(b);
      merged = true;
      continue;
    }
    flush();
    prevRole = msg.role;
    prevBlocks = blocks;
    merged = false;
  }
  flush();
  return out;
}

/** A lone uncached text block is sent as a plain string (the same thing to Anthropic). */
function compactContent(blocks: JsonObject[]): string | JsonObject[] {
  const only = blocks[0];
  if (blocks.length === 1 && only !== undefined && only.type === 'text' && only.cache_control === undefined) {
    return only.text as string;
  }
  return blocks;
}

function toolResultsFirst(blocks: JsonObject[]): JsonObject[] {
  const results = blocks.filter((b) => b.type === 'tool_result');
  if (results.length === 0) return blocks;
  return [...results, ...blocks.filter((b) => b.type !== 'tool_result')];
}

function renderParts(parts: ContentPart[], warnings: string[]): JsonObject[] {
  const out: JsonObject[] = [];
  for (const part of parts) {
    switch (part.type) {
      case 'text':
        out.push(renderText(part));
        break;
      case 'image':
        out.push(renderImage(part, warnings));
        break;
      case 'tool_call':
        out.push(renderToolCall(part, warnings));
        break;
      case 'tool_result':
        out.push(renderToolResult(part, warnings));
        break;
      case 'thinking': {
        const data = redactedData(part.signature);
        if (data !== undefined) out.push({ type: 'redacted_thinking', data });
        else if (part.signature) out.push({ type: 'thinking', thinking: part.text, signature: part.signature });
        else addWarning(warnings, 'thinking blocks without a signature are not accepted by anthropic and were not sent');
        break;
      }
    }
  }
  return out;
}

function renderText(part: TextPart): JsonObject {
  return withCacheControl({ type: 'text', text: part.text }, part.cacheControl);
}

function renderImage(part: ImagePart, warnings: string[]): JsonObject {
  if (part.detail !== undefined && part.detail !== 'auto') addWarning(warnings, notSent('image_url.detail'));
  const src = part.source;
  let source: JsonObject;
  if (src.kind === 'base64') {
    source = { type: 'base64', media_type: src.mediaType, data: src.data };
  } else {
    const m = DATA_URL.exec(src.url);
    source = m ? { type: 'base64', media_type: m[1], data: m[2] } : { type: 'url', url: src.url };
  }
  return withCacheControl({ type: 'image', source }, part.cacheControl);
}

function renderToolCall(part: ToolCallPart, warnings: string[]): JsonObject {
  let input: unknown;
  try {
    input = JSON.parse(part.arguments);
  } catch {
    input = undefined;
  }
  if (!isObject(input)) {
    // An empty string is how some producers say "no arguments": not worth a warning.
    if (part.arguments.trim() !== '') {
      addWarning(warnings, `tool call "${part.id}" arguments are not a JSON object; sent to anthropic as {}`);
    }
    input = {};
  }
  return withCacheControl({ type: 'tool_use', id: part.id, name: part.name, input }, part.cacheControl);
}

function renderToolResult(part: ToolResultPart, warnings: string[]): JsonObject {
  const block: JsonObject = { type: 'tool_result', tool_use_id: part.toolCallId };
  if (part.content.length > 0) {
    const blocks = part.content.map((c) => (c.type === 'text' ? renderText(c) : renderImage(c, warnings)));
    block.content = compactContent(blocks);
  }
  if (part.isError !== undefined) block.is_error = part.isError;
  return withCacheControl(block, part.cacheControl);
}
