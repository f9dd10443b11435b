// The Gemini wire shapes the gateway WRITES (request side). The response side is read defensively
// from `unknown` in ./read.ts, so it has no types here.

export interface GeminiFunctionCall {
  id?: string;
  name: string;
  args: Record<string, unknown>;
}

export interface GeminiFunctionResponse {
  id?: string;
  name: string;
  response: Record<string, unknown>;
}

export type GeminiPart = (
  | { text: string }
  | { inlineData: { mimeType: string; data: string } }
  | { fileData: { fileUri: string; mimeType: string } }
  | { functionCall: GeminiFunctionCall }
  | { functionResponse: GeminiFunctionResponse }
) & { thoughtSignature?: string };

export interface GeminiContent {
  role: 'user' | 'model';
  parts: GeminiPart[];
}

/**
 * Prefix the gateway puts on Gemini thought signatures when it hands them to clients (inside a
 * canonical `thinking` part). Signatures are opaque and only valid for the provider that made
 * them; the prefix lets the request mapping send back only Gemini's own signatures and drop those
 * of other providers (a Claude signature sent to Gemini is a 400).
 */
export const SIGNATURE_PREFIX = 'gemini:';

/**
 * Gemini 3+ rejects a model turn whose function call carries no thought signature (history built
 * by another provider, or by a client that drops thinking blocks). This sentinel, documented by
 * Google for transplanted histories, tells the validator to skip the check.
 */
export const SKIP_SIGNATURE_SENTINEL = 'skip_thought_signature_validator';

/** The warning text for a field that the gemini upstream cannot take. */
export function notSent(field: string): string {
  return `"${field}" is not supported by gemini and was not sent`;
}
