// Canonical stream events → the Responses API's SSE events, as the openai SDK and the AI SDK parse
// them: every frame is `event: <type>` + `data: {type, sequence_number, …}`.
//
//   start        → response.created, response.in_progress
//   text block   → response.output_item.added, response.content_part.added,
//                  response.output_text.delta…, response.output_text.done,
//                  response.content_part.done, response.output_item.done
//   tool block   → response.output_item.added, response.function_call_arguments.delta…,
//                  response.function_call_arguments.done, response.output_item.done
//   finish       → response.completed (response.incomplete on a max-tokens stop), usage included
//
// Thinking blocks are dropped (no reasoning items), as on the non-streaming answer. The writer also
// assembles the final Response object, which the route stores.
import type { StreamEvent, Usage } from '../../core/canonical.js';
import type { GatewayError } from '../../core/errors.js';
import { sseFrame } from '../sse.js';
import { renderOpenAIError } from './errors.js';
import { functionCallItem, itemId, messageItem, outputText, responseObject, statusOf, type ResponseMeta } from './responses-render.js';
import type { Json } from './validate.js';

interface OpenItem {
  outputIndex: number;
  id: string;
  kind: 'text' | 'tool_call';
  /** Text so far, or the arguments so far. */
  text: string;
  callId: string;
  name: string;
}

export class ResponsesStreamWriter {
  private seq = 0;
  private started = false;
  private readonly output: Json[] = [];
  private readonly open = new Map<number, OpenItem>();
  private final: Json | undefined;

  constructor(private readonly meta: ResponseMeta) {}

  /** Zero or more SSE frames for one canonical event. */
  write(event: StreamEvent): string {
    switch (event.type) {
      case 'start':
        this.meta.createdAt = event.created;
        return this.ensureStarted();
      case 'block_start':
        return this.ensureStarted() + this.startBlock(event.index, event.block);
      case 'text_delta': {
        const item = this.open.get(event.index);
        if (!item || event.text === '') return '';
        item.text += event.text;
        return this.frame('response.output_text.delta', {
          item_id: item.id,
          output_index: item.outputIndex,
          content_index: 0,
          delta: event.text,
          logprobs: [],
        });
      }
      case 'tool_args_delta': {
        const item = this.open.get(event.index);
        if (!item || event.partialJson === '') return '';
        item.text += event.partialJson;
        return this.frame('response.function_call_arguments.delta', { item_id: item.id, output_index: item.outputIndex, delta: event.partialJson });
      }
      case 'block_stop':
        return this.stopBlock(event.index);
      case 'finish': {
        let out = this.ensureStarted();
        for (const index of [...this.open.keys()]) out += this.stopBlock(index);
        const state = statusOf(event.stopReason);
        this.final = responseObject(this.meta, state, this.output, event.usage);
        return out + this.frame(state.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: this.final });
      }
      case 'thinking_delta':
      case 'signature_delta':
        return '';
    }
  }

  /** Nothing follows the final event (the Responses stream has no `[DONE]`). */
  end(): string {
    return this.ensureStarted();
  }

  /** The finished Response object, once `finish` has been written. */
  response(): Json | undefined {
    return this.final;
  }

  /** A mid-stream failure: an `error` event (the openai SDK throws an APIError on it). */
  errorFrame(err: GatewayError): string {
    const e = renderOpenAIError(err).body.error as Json;
    return this.frame('error', { code: e.code ?? e.type, message: e.message, param: e.param });
  }

  private ensureStarted(): string {
    if (this.started) return '';
    this.started = true;
    const response = responseObject(this.meta, { status: 'in_progress', incomplete: null }, [], null as Usage | null);
    return this.frame('response.created', { response }) + this.frame('response.in_progress', { response });
  }

  private startBlock(index: number, block: Extract<StreamEvent, { type: 'block_start' }>['block']): string {
    if (block.type === 'thinking') return '';
    const outputIndex = this.output.length + this.open.size;
    if (block.type === 'text') {
      const item: OpenItem = { outputIndex, id: itemId('msg', this.meta.id, outputIndex), kind: 'text', text: '', callId: '', name: '' };
      this.open.set(index, item);
      return (
        this.frame('response.output_item.added', { output_index: outputIndex, item: messageItem(item.id, '', 'in_progress') }) +
        this.frame('response.content_part.added', { item_id: item.id, output_index: outputIndex, content_index: 0, part: outputText('') })
      );
    }
    const item: OpenItem = { outputIndex, id: itemId('fc', this.meta.id, outputIndex), kind: 'tool_call', text: '', callId: block.id, name: block.name };
    this.open.set(index, item);
    return this.frame('response.output_item.added', { output_index: outputIndex, item: functionCallItem(item.id, this.call(item), 'in_progress') });
  }

  private stopBlock(index: number): string {
    const item = this.open.get(index);
    if (!item) return '';
    this.open.delete(index);
    const where = { item_id: item.id, output_index: item.outputIndex };
    if (item.kind === 'text') {
      const done = messageItem(item.id, item.text, 'completed');
      this.output[item.outputIndex] = done;
      return (
        this.frame('response.output_text.done', { ...where, content_index: 0, text: item.text, logprobs: [] }) +
        this.frame('response.content_part.done', { ...where, content_index: 0, part: outputText(item.text) }) +
        this.frame('response.output_item.done', { output_index: item.outputIndex, item: done })
      );
    }
    const done = functionCallItem(item.id, this.call(item), 'completed');
    this.output[item.outputIndex] = done;
    return (
      this.frame('response.function_call_arguments.done', { ...where, name: item.name, arguments: item.text }) +
      this.frame('response.output_item.done', { output_index: item.outputIndex, item: done })
    );
  }

  private call(item: OpenItem): { id: string; name: string; arguments: string } {
    return { id: item.callId, name: item.name, arguments: item.text };
  }

  private frame(type: string, body: Json): string {
    return sseFrame(JSON.stringify({ type, sequence_number: this.seq++, ...body }), type);
  }
}
