// Converse `stopReason` → canonical stop reason.
import type { StopReason } from '../../core/canonical.js';

const STOP: Record<string, StopReason> = {
  end_turn: 'end_turn',
  tool_use: 'tool_use',
  max_tokens: 'max_tokens',
  stop_sequence: 'stop_sequence',
  guardrail_intervened: 'content_filter',
  content_filtered: 'content_filter',
  model_context_window_exceeded: 'max_tokens',
};

export function fromConverseStopReason(value: unknown): StopReason {
  return (typeof value === 'string' ? STOP[value] : undefined) ?? 'end_turn';
}
