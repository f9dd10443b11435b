// Token counting used by the emulator (usage it reports) and by the gateway's cost estimator.
// `countCanonicalInputTokens` applies the rule documented in ./layout.ts; for OpenAI models it is
// exactly the `prompt_tokens` the emulator reports for the equivalent request.
import type { CanonicalRequest } from '../core/canonical.js';
import { layoutPrompt, sumTokens } from './layout.js';

export { countTextTokens, encodeText, decodeTokens } from './text.js';
export { encodingForModel, type EncodingName } from './encodings.js';
export { layoutPrompt, type PromptSegment, IMAGE_TOKENS_LOW, IMAGE_TOKENS_HIGH } from './layout.js';

/** Prompt tokens of a canonical request: system, messages, tool calls/results, tools, images. */
export function countCanonicalInputTokens(req: CanonicalRequest, model: string): number {
  return sumTokens(layoutPrompt(req, model));
}
