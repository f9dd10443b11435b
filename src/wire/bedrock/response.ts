// Converse response → canonical response. Reads only `output.message.content`, `stopReason` and
// `usage`; content blocks the canonical shape cannot carry (images, documents) are dropped.
import type { CanonicalResponse, TextPart, ThinkingPart, ToolCallPart } from '../../core/canonical.js';
import { GatewayError } from '../../core/errors.js';
import { fromConverseStopReason } from './stop-reason.js';
import { mapConverseUsage } from './usage.js';

type Json = Record<string, unknown>;

const isJson = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export function parseConverseResponse(body: unknown, opts: { model: string; requestId: string; provider: string }): CanonicalResponse {
  const message = isJson(body) && isJson(body.output) ? body.output.message : undefined;
  if (!isJson(body) || !isJson(message) || !Array.isArray(message.content)) {
    throw new GatewayError({
      kind: 'upstream_error',
      message: `upstream ${opts.provider} returned a malformed Converse response: no output.message.content`,
      provider: opts.provider,
    });
  }
  const content: Array<TextPart | ToolCallPart | ThinkingPart> = [];
  for (const block of message.content as unknown[]) {
    if (!isJson(block)) continue;
    if (typeof block.text === 'string') content.push({ type: 'text', text: block.text });
    else if (isJson(block.toolUse)) {
      const t = block.toolUse;
      content.push({ type: 'tool_call', id: str(t.toolUseId), name: str(t.name), arguments: JSON.stringify(t.input ?? {}) });
    } else if (isJson(block.reasoningContent) && isJson(block.reasoningContent.reasoningText)) {
      const r = block.reasoningContent.reasoningText;
      content.push({ type: 'thinking', text: str(r.text), ...(typeof r.signature === 'string' ? { signature: r.signature } : {}) });
    }
  }
  return {
    id: opts.requestId,
    model: opts.model,
    content,
    stopReason: fromConverseStopReason(body.stopReason),
    stopSequence: null,
    usage: mapConverseUsage(body.usage),
    created: Math.floor(Date.now() / 1000),
  };
}
