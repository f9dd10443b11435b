// Canonical stream events → OpenAI `chat.completion.chunk` SSE frames, as the openai SDK parses
// them: data-only frames (no `event:` line), first delta `{role:"assistant",content:""}`, tool
// calls indexed by tool call (not by block), a `delta:{}` chunk carrying finish_reason, then the
// usage chunk (`choices: []`) only when asked, then `data: [DONE]`. With include_usage every other
// chunk has `"usage": null`; without it the key is absent. Never an `error` key in a normal chunk.
// Dropped: thinking blocks and signatures (OpenAI has no field for them), block boundaries.
import { ZERO_USAGE, type StreamEvent, type Usage } from '../../core/canonical.js';
import type { GatewayError } from '../../core/errors.js';
import { sseFrame } from '../sse.js';
import { renderOpenAIError } from './errors.js';
import { toOpenAIFinishReason } from './finish-reason.js';
import { chatCompletionId } from './response.js';
import { renderUsage } from './usage.js';
import type { Json } from './validate.js';

export { openAIChunksToEvents, type ChunkParseOptions } from './stream-parse.js';

export interface OpenAIStreamWriterOptions {
  publicModel: string;
  requestId: string;
  includeUsage: boolean;
}

const DONE = 'data: [DONE]\n\n';

export class OpenAIStreamWriter {
  private readonly opts: OpenAIStreamWriterOptions;
  private id: string;
  private created = Math.floor(Date.now() / 1000);
  private started = false;
  private usage: Usage = ZERO_USAGE;
  /** Canonical block index → OpenAI tool call index. */
  private readonly toolIndex = new Map<number, number>();

  constructor(opts: OpenAIStreamWriterOptions) {
    this.opts = opts;
    this.id = `chatcmpl-${opts.requestId}`;
  }

  /** Zero or more SSE frames for one canonical event. */
  write(event: StreamEvent): string {
    switch (event.type) {
      case 'start':
        this.id = chatCompletionId(event.id, this.opts.requestId);
        this.created = event.created;
        return this.ensureStarted();
      case 'block_start':
        if (event.block.type !== 'tool_call') return this.ensureStarted();
        return (
          this.ensureStarted() +
          this.delta({
            tool_calls: [
              {
                index: this.toolIndexFor(event.index),
                id: event.block.id,
                type: 'function',
                function: { name: event.block.name, arguments: '' },
              },
            ],
          })
        );
      case 'text_delta':
        return event.text === '' ? '' : this.ensureStarted() + this.delta({ content: event.text });
      case 'tool_args_delta':
        if (event.partialJson === '') return '';
        return this.ensureStarted() + this.delta({ tool_calls: [{ index: this.toolIndexFor(event.index), function: { arguments: event.partialJson } }] });
      case 'finish':
        this.usage = event.usage;
        return this.ensureStarted() + this.delta({}, toOpenAIFinishReason(event.stopReason));
      case 'thinking_delta':
      case 'signature_delta':
      case 'block_stop':
        return '';
    }
  }

  /** The usage chunk (only when the client asked for it) and `[DONE]`. */
  end(): string {
    let out = this.ensureStarted();
    if (this.opts.includeUsage) out += sseFrame(JSON.stringify({ ...this.head(), choices: [], usage: renderUsage(this.usage) }));
    return out + DONE;
  }

  private ensureStarted(): string {
    if (this.started) return '';
    this.started = true;
    return this.delta({ role: 'assistant', content: '' });
  }

  private toolIndexFor(blockIndex: number): number {
    let i = this.toolIndex.get(blockIndex);
    if (i === undefined) {
      i = this.toolIndex.size;
      this.toolIndex.set(blockIndex, i);
    }
    return i;
  }

  private head(): Json {
    return {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.opts.publicModel,
      service_tier: 'default',
      system_fingerprint: null,
    };
  }

  private delta(delta: Json, finishReason: string | null = null): string {
    const chunk: Json = this.head();
    chunk.choices = [{ index: 0, delta, logprobs: null, finish_reason: finishReason }];
    if (this.opts.includeUsage) chunk.usage = null;
    return sseFrame(JSON.stringify(chunk));
  }
}

/** A mid-stream failure: `data: {"error":{…}}` (the openai SDK throws an APIError on it). */
export function errorFrame(err: GatewayError): string {
  return sseFrame(JSON.stringify(renderOpenAIError(err).body));
}
