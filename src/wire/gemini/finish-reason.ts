// Gemini `finishReason` → canonical stop reason.
import type { StopReason } from '../../core/canonical.js';

const FILTERED = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY']);

/**
 * STOP is a natural end or a stop sequence (Gemini does not say which, so `stopSequence` is
 * always null); it becomes `tool_use` when the turn produced a function call. Everything not
 * listed (OTHER, LANGUAGE, MALFORMED_FUNCTION_CALL, FINISH_REASON_UNSPECIFIED, new values) maps
 * to `end_turn`.
 */
export function mapFinishReason(reason: string | undefined, hasToolCall: boolean): StopReason {
  if (reason === 'MAX_TOKENS') return 'max_tokens';
  if (reason !== undefined && FILTERED.has(reason)) return 'content_filter';
  return hasToolCall ? 'tool_use' : 'end_turn';
}
