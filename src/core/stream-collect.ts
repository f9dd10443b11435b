// The complete response a stream amounts to: the inverse of `responseEvents`, so a streamed
// answer can be stored (response cache) or checked as a whole.
import type { CanonicalResponse, StreamEvent, TextPart, ThinkingPart, ToolCallPart } from './canonical.js';

export class StreamCollector {
  private id = '';
  private model = '';
  private created = 0;
  private readonly blocks: Array<TextPart | ToolCallPart | ThinkingPart | undefined> = [];
  private finish: Extract<StreamEvent, { type: 'finish' }> | undefined;

  add(event: StreamEvent): void {
    switch (event.type) {
      case 'start':
        this.id = event.id;
        this.model = event.model;
        this.created = event.created;
        return;
      case 'block_start': {
        const b = event.block;
        this.blocks[event.index] =
          b.type === 'text'
            ? { type: 'text', text: '' }
            : b.type === 'tool_call'
              ? { type: 'tool_call', id: b.id, name: b.name, arguments: '' }
              : { type: 'thinking', text: '' };
        return;
      }
      case 'text_delta': {
        const part = this.blocks[event.index];
        if (part?.type === 'text') part.text += event.text;
        return;
      }
      case 'tool_args_delta': {
        const part = this.blocks[event.index];
        if (part?.type === 'tool_call') part.arguments += event.partialJson;
        return;
      }
      case 'thinking_delta': {
        const part = this.blocks[event.index];
        if (part?.type === 'thinking') part.text += event.text;
        return;
      }
      case 'signature_delta': {
        const part = this.blocks[event.index];
        if (part?.type === 'thinking') part.signature = (part.signature ?? '') + event.signature;
        return;
      }
      case 'block_stop':
        return;
      case 'finish':
        this.finish = event;
        return;
    }
  }

  /** The whole response, or undefined when the stream did not finish (cut, errored, aborted). */
  result(): CanonicalResponse | undefined {
    const f = this.finish;
    if (!f) return undefined;
    return {
      id: this.id,
      model: this.model,
      content: this.blocks.filter((b): b is TextPart | ToolCallPart | ThinkingPart => b !== undefined),
      stopReason: f.stopReason,
      stopSequence: f.stopSequence,
      usage: f.usage,
      created: this.created,
    };
  }
}
