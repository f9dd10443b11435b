// Gemini parts → canonical content blocks, as stream events. Gemini has no blocks: a run of text
// parts is one text block, a run of thought parts one thinking block, and each function call (it
// always arrives whole) one tool_call block. The same writer serves whole responses (the events
// are folded back into content by `foldContent`) so both paths map parts identically.
//
// Thought signatures: Gemini puts them on a thought part, a text part or a function call part. The
// canonical shape keeps signatures only on thinking parts, so a signature on any other part
// closes the open thinking block with it (or, with none open, becomes an empty thinking block)
// just BEFORE that part; ./contents.ts puts it back on the part that follows. Signatures handed
// out carry SIGNATURE_PREFIX.
import { randomUUID } from 'node:crypto';
import type { StreamEvent, TextPart, ThinkingPart, ToolCallPart } from '../../core/canonical.js';
import type { ReadPart } from './read.js';
import { SIGNATURE_PREFIX } from './types.js';

interface OpenBlock {
  type: 'text' | 'thinking';
  index: number;
  signed: boolean;
}

export class BlockWriter {
  private nextIndex = 0;
  private open: OpenBlock | null = null;
  private toolCalls = 0;

  constructor(private readonly newCallId: () => string) {}

  get hasToolCall(): boolean {
    return this.toolCalls > 0;
  }

  push(part: ReadPart): StreamEvent[] {
    const out: StreamEvent[] = [];
    if (part.kind === 'text' && part.thought) {
      if (part.text === '' && part.signature === undefined) return out;
      if (this.open?.type !== 'thinking' || this.open.signed) this.start('thinking', out);
      const block = this.open as OpenBlock;
      if (part.text !== '') out.push({ type: 'thinking_delta', index: block.index, text: part.text });
      if (part.signature !== undefined) this.sign(block, part.signature, out);
      return out;
    }
    if (part.signature !== undefined) this.carrySignature(part.signature, out);
    if (part.kind === 'text') {
      if (part.text === '') return out;
      if (this.open?.type !== 'text') this.start('text', out);
      out.push({ type: 'text_delta', index: (this.open as OpenBlock).index, text: part.text });
    } else if (part.kind === 'call') {
      this.close(out);
      const index = this.nextIndex++;
      const id = part.id ?? this.newCallId();
      out.push({ type: 'block_start', index, block: { type: 'tool_call', id, name: part.name } });
      out.push({ type: 'tool_args_delta', index, partialJson: JSON.stringify(part.args) });
      out.push({ type: 'block_stop', index });
      this.toolCalls++;
    }
    // 'other' parts have no canonical form and are skipped.
    return out;
  }

  /** Closes the block still open, if any. */
  finish(): StreamEvent[] {
    const out: StreamEvent[] = [];
    this.close(out);
    return out;
  }

  private carrySignature(signature: string, out: StreamEvent[]): void {
    if (this.open?.type !== 'thinking' || this.open.signed) this.start('thinking', out);
    this.sign(this.open as OpenBlock, signature, out);
    this.close(out);
  }

  private sign(block: OpenBlock, signature: string, out: StreamEvent[]): void {
    out.push({ type: 'signature_delta', index: block.index, signature: SIGNATURE_PREFIX + signature });
    block.signed = true;
  }

  private start(type: 'text' | 'thinking', out: StreamEvent[]): void {
    this.close(out);
    const index = this.nextIndex++;
    this.open = { type, index, signed: false };
    out.push({ type: 'block_start', index, block: { type } });
  }

  private close(out: StreamEvent[]): void {
    if (this.open) out.push({ type: 'block_stop', index: this.open.index });
    this.open = null;
  }
}

/** Folds block events back into content parts, in block order. */
export function foldContent(events: readonly StreamEvent[]): Array<TextPart | ToolCallPart | ThinkingPart> {
  const parts = new Map<number, TextPart | ToolCallPart | ThinkingPart>();
  for (const e of events) {
    if (e.type === 'block_start') {
      const b = e.block;
      parts.set(
        e.index,
        b.type === 'tool_call'
          ? { type: 'tool_call', id: b.id, name: b.name, arguments: '' }
          : b.type === 'text'
            ? { type: 'text', text: '' }
            : { type: 'thinking', text: '' },
      );
      continue;
    }
    const part = 'index' in e ? parts.get(e.index) : undefined;
    if (!part) continue;
    if (e.type === 'text_delta' && part.type === 'text') part.text += e.text;
    else if (e.type === 'thinking_delta' && part.type === 'thinking') part.text += e.text;
    else if (e.type === 'signature_delta' && part.type === 'thinking') part.signature = (part.signature ?? '') + e.signature;
    else if (e.type === 'tool_args_delta' && part.type === 'tool_call') part.arguments += e.partialJson;
  }
  return [...parts.entries()].sort(([a], [b]) => a - b).map(([, p]) => p);
}

/** Tool call ids for calls Gemini sent without one: unique, so later turns can refer to them. */
export function generatedCallId(): string {
  return `call_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
}
