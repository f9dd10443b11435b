// The request features routing decisions look at, extracted once per request.
import type { CanonicalRequest } from '../../core/canonical.js';

export interface RequestFeatures {
  model: string;
  tenant: string;
  tags: readonly string[];
  /** Prompt size estimate in tokens (chars / 4, rounded up): cheap enough for every request. */
  promptTokens: number;
  /** Output budget the request asks for (max tokens), if any. */
  maxOutputTokens: number | undefined;
  hasTools: boolean;
  hasImages: boolean;
  hasJsonSchema: boolean;
  /** Text of the last user turn (for regex rules). */
  lastUserText: string;
}

export function extractFeatures(request: CanonicalRequest, caller: { tenant: string; tags: readonly string[] }): RequestFeatures {
  let chars = 0;
  let hasImages = false;
  for (const part of request.system) chars += part.text.length;
  let lastUserText = '';
  for (const message of request.messages) {
    let userText = '';
    for (const part of message.content) {
      switch (part.type) {
        case 'text':
          chars += part.text.length;
          if (message.role === 'user') userText += (userText ? '\n' : '') + part.text;
          break;
        case 'image':
          hasImages = true;
          break;
        case 'tool_call':
          chars += part.name.length + part.arguments.length;
          break;
        case 'tool_result':
          for (const c of part.content) {
            if (c.type === 'text') chars += c.text.length;
            else hasImages = true;
          }
          break;
        case 'thinking':
          chars += part.text.length;
          break;
      }
    }
    if (message.role === 'user' && userText) lastUserText = userText;
  }
  for (const tool of request.tools ?? []) chars += tool.name.length + (tool.description?.length ?? 0) + JSON.stringify(tool.parameters).length;
  return {
    model: request.model,
    tenant: caller.tenant,
    tags: caller.tags,
    promptTokens: Math.ceil(chars / 4),
    maxOutputTokens: request.maxTokens,
    hasTools: (request.tools?.length ?? 0) > 0,
    hasImages,
    hasJsonSchema: request.responseFormat?.type === 'json_schema',
    lastUserText,
  };
}
