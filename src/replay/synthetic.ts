// Official-format chat requests for traces that record only sizes (Azure, Mooncake, ledger rows):
// one user message whose text parts have the trace's token counts, and the trace's output length
// asked of the emulator (`x-emulator-output-tokens`).
import { assertDigitGroupsAreTokens, framingTokens } from './synth.js';
import type { WireRequest } from './types.js';

export interface SyntheticPrompt {
  /** Text parts, in order; each can carry a prompt-cache breakpoint. */
  parts: string[];
  outputTokens: number;
  tenant?: string;
  tags?: readonly string[];
}

/** Builds chat requests for one model; knows the model's framing overhead. */
export class SyntheticChat {
  /** Prompt tokens outside the text parts (message framing, reply priming). */
  readonly framing: number;

  constructor(readonly model: string) {
    assertDigitGroupsAreTokens(model);
    this.framing = framingTokens(model);
  }

  /**
   * Text tokens that make the whole prompt `promptTokens` long (at least 1: a trace line shorter
   * than the framing is replayed slightly longer than recorded).
   */
  textTokens(promptTokens: number): number {
    return Math.max(1, promptTokens - this.framing);
  }

  request(p: SyntheticPrompt): WireRequest {
    const body = {
      model: this.model,
      messages: [{ role: 'user', content: p.parts.map((text) => ({ type: 'text', text })) }],
      // The recorded output length fits under the cap, so the reply is never cut short.
      max_tokens: Math.max(1, p.outputTokens),
    };
    const headers: Record<string, string> = { 'x-emulator-output-tokens': String(p.outputTokens) };
    if (p.tenant) headers['x-costwise-tenant'] = p.tenant;
    if (p.tags?.length) headers['x-costwise-tags'] = p.tags.join(',');
    return { path: '/v1/chat/completions', body: JSON.stringify(body), headers, prompt: { model: this.model, texts: p.parts } };
  }
}
