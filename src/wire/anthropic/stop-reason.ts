// Stop reasons map 1:1, except canonical `content_filter` (OpenAI) which Anthropic calls `refusal`.
import type { StopReason } from '../../core/canonical.js';

export function toAnthropicStopReason(reason: StopReason): string {
  return reason === 'content_filter' ? 'refusal' : reason;
}

const FROM_ANTHROPIC: Readonly<Record<string, StopReason>> = {
  end_turn: 'end_turn',
  max_tokens: 'max_tokens',
  stop_sequence: 'stop_sequence',
  tool_use: 'tool_use',
  pause_turn: 'pause_turn',
  refusal: 'refusal',
  // No canonical equivalent: the output was cut by a token limit, like max_tokens.
  model_context_window_exceeded: 'max_tokens',
};

/** Undefined for a value Anthropic does not define. */
export function fromAnthropicStopReason(value: unknown): StopReason | undefined {
  return typeof value === 'string' && Object.hasOwn(FROM_ANTHROPIC, value) ? FROM_ANTHROPIC[value] : undefined;
}
