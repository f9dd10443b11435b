// The prompt of a canonical request as an ordered list of token segments, in cache-prefix order:
// tools → response schema → system → messages → reply priming. Summing `tokens` gives the prompt
// size; the emulator also walks the list to hash prefixes (OpenAI) and to find the content blocks
// that can carry an Anthropic cache breakpoint.
//
// Counting rule (OpenAI's published chat rule, extended to the parts it does not publish):
// - every message costs 3 tokens + its role word (+ its name and 1 more when it has a `name`);
// - system parts form ONE system message, whatever the ingress format had;
// - each tool result is its own `tool` message (as OpenAI sends it); the other parts of a user
//   message that carried tool results form one `user` message after them;
// - a text part costs its tokens; a tool call costs tokens(name) + tokens(arguments JSON);
// - a tool definition costs tokens(JSON {name, description, parameters}); a json_schema response
//   format costs tokens(JSON of the schema);
// - an image is a fixed estimate: 85 tokens at `detail: "low"`, else 765 (a 1024×1024 image at
//   high detail: 85 base + 4 tiles × 170);
// - 3 tokens prime the reply.
// Tool-call ids are not counted. Thinking parts are counted as text but never cacheable.
import type { CacheControl, CanonicalRequest, ContentPart, ImagePart, TextPart } from '../core/canonical.js';
import { countTextTokens } from './text.js';

export const IMAGE_TOKENS_LOW = 85;
export const IMAGE_TOKENS_HIGH = 765;
export const MESSAGE_OVERHEAD_TOKENS = 3;
export const NAME_OVERHEAD_TOKENS = 1;
export const REPLY_PRIMING_TOKENS = 3;

export interface PromptSegment {
  tokens: number;
  /** The text the tokens come from, or null when they are synthetic (overheads, images). */
  text: string | null;
  /** Identifies synthetic tokens for prefix hashing (e.g. `img:<url>`); '' for text segments. */
  tag: string;
  /** Ends an Anthropic-cacheable content block (tool definition, system block, message block). */
  block: boolean;
  cacheControl?: CacheControl;
}

type Role = 'system' | 'user' | 'assistant' | 'tool';

class Builder {
  readonly segments: PromptSegment[] = [];
  constructor(private readonly model: string) {}

  text(text: string, block: boolean, cacheControl?: CacheControl): void {
    const seg: PromptSegment = { tokens: countTextTokens(text, this.model), text, tag: '', block };
    if (cacheControl) seg.cacheControl = cacheControl;
    this.segments.push(seg);
  }

  synthetic(tokens: number, tag: string, block = false, cacheControl?: CacheControl): void {
    const seg: PromptSegment = { tokens, text: null, tag, block };
    if (cacheControl) seg.cacheControl = cacheControl;
    this.segments.push(seg);
  }

  messageHeader(role: Role, name?: string): void {
    this.synthetic(MESSAGE_OVERHEAD_TOKENS, 'msg');
    this.text(role, false);
    if (name !== undefined) {
      this.text(name, false);
      this.synthetic(NAME_OVERHEAD_TOKENS, 'name');
    }
  }

  image(part: ImagePart, asBlock: boolean): void {
    const src = part.source.kind === 'url' ? part.source.url : part.source.data;
    const tokens = part.detail === 'low' ? IMAGE_TOKENS_LOW : IMAGE_TOKENS_HIGH;
    this.synthetic(tokens, `img:${src}`, asBlock, asBlock ? part.cacheControl : undefined);
  }

  /** A text or image part; non-empty text and images are cacheable blocks. */
  simplePart(part: TextPart | ImagePart): void {
    if (part.type === 'image') this.image(part, true);
    else this.text(part.text, part.text.length > 0, part.text.length > 0 ? part.cacheControl : undefined);
  }

  part(part: ContentPart): void {
    switch (part.type) {
      case 'text':
      case 'image':
        this.simplePart(part);
        return;
      case 'thinking':
        this.text(part.text, false);
        return;
      case 'tool_call':
        this.text(part.name, false);
        this.text(part.arguments, true, part.cacheControl);
        return;
      case 'tool_result':
        for (const c of part.content) {
          if (c.type === 'image') this.image(c, false);
          else this.text(c.text, false);
        }
        // The tool result as a whole is the cacheable block.
        this.synthetic(0, 'tool_result_end', true, part.cacheControl);
        return;
    }
  }
}

export function layoutPrompt(req: CanonicalRequest, model: string): PromptSegment[] {
  const b = new Builder(model);
  for (const tool of req.tools ?? []) {
    const def: Record<string, unknown> = { name: tool.name };
    if (tool.description !== undefined) def.description = tool.description;
    def.parameters = tool.parameters;
    b.text(JSON.stringify(def), true, tool.cacheControl);
  }
  if (req.responseFormat?.type === 'json_schema') b.text(JSON.stringify(req.responseFormat.schema), false);
  if (req.system.length > 0) {
    b.messageHeader('system');
    for (const p of req.system) b.simplePart(p);
  }
  for (const msg of req.messages) {
    if (msg.role === 'assistant') {
      b.messageHeader('assistant', msg.name);
      for (const p of msg.content) b.part(p);
      continue;
    }
    let openUser = false;
    for (const p of msg.content) {
      if (p.type === 'tool_result') {
        b.messageHeader('tool');
        b.part(p);
        openUser = false;
      } else {
        if (!openUser) b.messageHeader('user', msg.name);
        openUser = true;
        b.part(p);
      }
    }
    if (msg.content.length === 0) b.messageHeader('user', msg.name);
  }
  b.synthetic(REPLY_PRIMING_TOKENS, 'priming');
  return b.segments;
}

export function sumTokens(segments: readonly PromptSegment[]): number {
  let n = 0;
  for (const s of segments) n += s.tokens;
  return n;
}
