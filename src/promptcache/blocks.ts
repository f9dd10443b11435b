// The abstract prompt the planner works on: a sequence of blocks in Anthropic's prefix order
// (tools → system → messages). A block's `hash` names the whole prefix up to and including it, so
// two prompts share a cached prefix exactly when they share a block hash. Candidate breakpoint
// positions are block ends.
import { hash } from 'node:crypto';
import type { CanonicalRequest, ContentPart, ImagePart, TextPart, ToolDefinition } from '../core/canonical.js';
import { IMAGE_TOKENS_HIGH, IMAGE_TOKENS_LOW } from '../tokens/count.js';

export type BlockKind = 'tools' | 'system' | 'message';

export interface PromptBlock {
  /** Cumulative prefix hash up to and including this block. */
  hash: string;
  tokens: number;
  kind: BlockKind;
  /** Whether the block may carry a breakpoint (not thinking, not empty text). */
  cacheable: boolean;
}

/** Where a block comes from in a canonical request (used to place `cacheControl`). */
export type BlockSlot = { kind: 'tools'; tool: number } | { kind: 'system'; part: number } | { kind: 'message'; message: number; part: number };

const SEP = '\u001f';

/**
 * Chains one block's content onto the previous prefix hash (96 bits, base64url). One-shot
 * `crypto.hash`: a Hash object per block cost more than hashing a 1.5 KB block itself.
 */
export function chainHash(previous: string, content: string): string {
  return hash('sha1', previous + SEP + content, 'base64url').slice(0, 16);
}

/** A block's identity and size, before chaining. */
interface RawBlock {
  slot: BlockSlot;
  content: string;
  tokens: number;
  cacheable: boolean;
}

function imageIdentity(part: ImagePart): string {
  return part.source.kind === 'url' ? `url:${part.source.url}` : `b64:${part.source.mediaType}:${part.source.data}`;
}

function imageTokens(part: ImagePart): number {
  return part.detail === 'low' ? IMAGE_TOKENS_LOW : IMAGE_TOKENS_HIGH;
}

function toolContent(tool: ToolDefinition): string {
  return JSON.stringify({ name: tool.name, description: tool.description, parameters: tool.parameters });
}

function simpleRaw(part: TextPart | ImagePart, count: (t: string) => number): Omit<RawBlock, 'slot'> {
  if (part.type === 'image') return { content: `image${SEP}${imageIdentity(part)}`, tokens: imageTokens(part), cacheable: true };
  return { content: `text${SEP}${part.text}`, tokens: count(part.text), cacheable: part.text.length > 0 };
}

function partRaw(part: ContentPart, count: (t: string) => number): Omit<RawBlock, 'slot'> {
  switch (part.type) {
    case 'text':
    case 'image':
      return simpleRaw(part, count);
    case 'thinking':
      // Counted (it occupies prefix positions) but never a breakpoint.
      return { content: `thinking${SEP}${part.text}${SEP}${part.signature ?? ''}`, tokens: count(part.text), cacheable: false };
    case 'tool_call':
      return {
        content: `tool_use${SEP}${part.id}${SEP}${part.name}${SEP}${part.arguments}`,
        tokens: count(part.name) + count(part.arguments),
        cacheable: true,
      };
    case 'tool_result': {
      let tokens = 0;
      const inner = part.content.map((c) => {
        const r = simpleRaw(c, count);
        tokens += r.tokens;
        return r.content;
      });
      return { content: `tool_result${SEP}${part.toolCallId}${SEP}${part.isError ? 1 : 0}${SEP}${inner.join(SEP)}`, tokens, cacheable: true };
    }
  }
}

function rawBlocks(req: CanonicalRequest, count: (t: string) => number): RawBlock[] {
  const out: RawBlock[] = [];
  (req.tools ?? []).forEach((tool, i) => {
    const content = toolContent(tool);
    out.push({ slot: { kind: 'tools', tool: i }, content: `tool${SEP}${content}`, tokens: count(content), cacheable: true });
  });
  req.system.forEach((part, i) => out.push({ slot: { kind: 'system', part: i }, ...simpleRaw(part, count) }));
  req.messages.forEach((msg, m) => {
    msg.content.forEach((part, p) => {
      const raw = partRaw(part, count);
      // The first part of a message also names the message boundary and role.
      const head = p === 0 ? `msg${SEP}${msg.role}${SEP}${msg.name ?? ''}${SEP}` : '';
      out.push({ slot: { kind: 'message', message: m, part: p }, ...raw, content: head + raw.content });
    });
  });
  return out;
}

/** The slot of every block, in block order (no token counting). */
export function blockSlots(req: CanonicalRequest): BlockSlot[] {
  return rawBlocks(req, () => 0).map((b) => b.slot);
}

/**
 * The request's blocks in Anthropic prefix order. `countTokens` is the gateway's estimate for the
 * target model; images use the layout's fixed estimate. The hash chain is seeded with nothing
 * model-specific: callers scope by namespace (which should include the model).
 */
export function blocksOfRequest(req: CanonicalRequest, countTokens: (text: string) => number): PromptBlock[] {
  let prev = '';
  return rawBlocks(req, countTokens).map((b) => {
    prev = chainHash(prev, b.content);
    return { hash: prev, tokens: b.tokens, kind: b.slot.kind, cacheable: b.cacheable };
  });
}

/** End position (cumulative tokens) of every block. */
export function blockEnds(blocks: readonly PromptBlock[]): number[] {
  const ends = new Array<number>(blocks.length);
  let pos = 0;
  for (let i = 0; i < blocks.length; i++) {
    pos += blocks[i]!.tokens;
    ends[i] = pos;
  }
  return ends;
}
