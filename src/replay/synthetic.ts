// Official-format chat requests for traces that record only sizes (Azure, Mooncake, ledger rows):
// one user message whose text parts have the trace's token counts, and the trace's output length
// asked of the emulator (`x-emulator-output-tokens`).
import { assertDigitGroupsAreTokens, framingTokens, textPartJson } from './synth.js';
import type { SynthText, WireRequest } from './types.js';

export interface SyntheticPrompt {
  /** Text parts, in order; each can carry a prompt-cache breakpoint. */
  parts: SynthText[];
  outputTokens: number;
  tenant?: string;
  tags?: readonly string[];
}

const COMMA = Buffer.from(',');

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
    const headers: Record<string, string> = { 'x-emulator-output-tokens': String(p.outputTokens) };
    if (p.tenant) headers['x-costwise-tenant'] = p.tenant;
    if (p.tags?.length) headers['x-costwise-tags'] = p.tags.join(',');
    return { path: '/v1/chat/completions', body: this.body(p), headers, prompt: { model: this.model, texts: p.parts } };
  }

  /**
   * `{model, messages: [{role: 'user', content: [{type: 'text', text}…]}], max_tokens}` as
   * JSON.stringify writes it, in UTF-8, joined from the parts' cached JSON: a Mooncake body is
   * ~46 KB, most of its blocks were in earlier requests, and bytes go to the socket as they are.
   */
  private body(p: SyntheticPrompt): Buffer {
    const chunks: Buffer[] = [Buffer.from(`{"model":${JSON.stringify(this.model)},"messages":[{"role":"user","content":[`)];
    p.parts.forEach((part, i) => {
      if (i > 0) chunks.push(COMMA);
      chunks.push(part.part ?? textPartJson(part.text));
    });
    // The recorded output length fits under the cap, so the reply is never cut short.
    chunks.push(Buffer.from(`]}],"max_tokens":${Math.max(1, p.outputTokens)}}`));
    return Buffer.concat(chunks);
  }
}
