// Anthropic `redacted_thinking{data}` has no canonical part of its own. It travels as a ThinkingPart
// with empty text and the encrypted data in `signature` behind a prefix that a real signature
// (base64) can never contain, so the Anthropic side can restore it exactly. Other formats drop
// thinking parts anyway.
// TODO(shared types): a `redactedData?: string` on ThinkingPart would make this explicit.
import type { ThinkingPart } from '../../core/canonical.js';

const PREFIX = 'redacted_thinking:';

export function redactedThinkingPart(data: string): ThinkingPart {
  return { type: 'thinking', text: '', signature: PREFIX + data };
}

/** The encrypted data when the signature encodes a redacted block, else undefined. */
export function redactedData(signature: string | undefined): string | undefined {
  return signature !== undefined && signature.startsWith(PREFIX) ? signature.slice(PREFIX.length) : undefined;
}

export function encodeRedactedSignature(data: string): string {
  return PREFIX + data;
}
