// OpenAI finish_reason ⇄ canonical StopReason.
// Lossy: end_turn, stop_sequence and pause_turn all render as `stop` (OpenAI does not say which
// stop sequence matched), refusal renders as `content_filter`. Parsing `stop` gives end_turn.
import type { StopReason } from '../../core/canonical.js';

export type OpenAIFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export function toOpenAIFinishReason(reason: StopReason): OpenAIFinishReason {
  switch (reason) {
    case 'max_tokens':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'content_filter':
    case 'refusal':
      return 'content_filter';
    case 'end_turn':
    case 'stop_sequence':
    case 'pause_turn':
      return 'stop';
  }
}

/** Unknown or missing reasons (some compatible servers send null or their own words) → end_turn. */
export function fromOpenAIFinishReason(reason: unknown): StopReason {
  switch (reason) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'content_filter';
    default:
      return 'end_turn';
  }
}
