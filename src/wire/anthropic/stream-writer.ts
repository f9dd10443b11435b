// Ingress streaming: canonical StreamEvents → Anthropic named SSE events, in the order the SDK's
// MessageStream expects: message_start (+ ping) → blocks → message_delta → message_stop.
// Block indices are re-numbered 0,1,2… in the order blocks start (the SDK pushes blocks in arrival
// order and addresses them by index, so any gap or reordering would corrupt its snapshot).
import type { StopReason, StreamBlock, StreamEvent, Usage } from '../../core/canonical.js';
import { ZERO_USAGE } from '../../core/canonical.js';
import { GatewayError } from '../../core/errors.js';
import { sseFrame } from '../sse.js';
import { renderAnthropicError } from './errors.js';
import { redactedData } from './redacted-thinking.js';
import { messageId } from './response.js';
import { toAnthropicStopReason } from './stop-reason.js';
import { renderDeltaUsage, renderUsage } from './usage.js';

export interface AnthropicStreamWriterOptions {
  publicModel: string;
  requestId: string;
}

const PING = sseFrame('{"type":"ping"}', 'ping');
const MESSAGE_STOP = sseFrame('{"type":"message_stop"}', 'message_stop');

export class AnthropicStreamWriter {
  readonly #publicModel: string;
  readonly #requestId: string;
  #started = false;
  #done = false;
  /** Producer index → wire index. */
  readonly #index = new Map<number, number>();
  #nextWire = 0;
  /** Wire indices started and not yet stopped. */
  readonly #open = new Set<number>();
  /**
   * A thinking block whose content_block_start is held back by one event: if the next event is a
   * signature_delta carrying redacted data, the block goes out as `redacted_thinking`.
   */
  #pendingThinking: { producer: number; wire: number } | null = null;

  constructor(opts: AnthropicStreamWriterOptions) {
    this.#publicModel = opts.publicModel;
    this.#requestId = opts.requestId;
  }

  write(event: StreamEvent): string {
    if (this.#done) return '';
    let out = '';
    if (!this.#started) {
      if (event.type === 'start') return this.#start(event.id, event.usage);
      out += this.#start('', ZERO_USAGE);
    }
    if (this.#pendingThinking !== null) {
      const pending = this.#pendingThinking;
      this.#pendingThinking = null;
      if (event.type === 'signature_delta' && event.index === pending.producer) {
        const data = redactedData(event.signature);
        if (data !== undefined) return out + blockStart(pending.wire, { type: 'redacted_thinking', data });
      }
      out += blockStart(pending.wire, { type: 'thinking', thinking: '', signature: '' });
    }
    switch (event.type) {
      case 'start':
        return out; // a second start is ignored
      case 'block_start':
        return out + this.#blockStart(event.index, event.block);
      case 'text_delta':
        return out + delta(this.#wire(event.index), `{"type":"text_delta","text":${JSON.stringify(event.text)}}`);
      case 'tool_args_delta':
        return out + delta(this.#wire(event.index), `{"type":"input_json_delta","partial_json":${JSON.stringify(event.partialJson)}}`);
      case 'thinking_delta':
        return out + delta(this.#wire(event.index), `{"type":"thinking_delta","thinking":${JSON.stringify(event.text)}}`);
      case 'signature_delta':
        return out + delta(this.#wire(event.index), `{"type":"signature_delta","signature":${JSON.stringify(event.signature)}}`);
      case 'block_stop': {
        const wire = this.#wire(event.index);
        if (!this.#open.delete(wire)) return out;
        return out + sseFrame(`{"type":"content_block_stop","index":${wire}}`, 'content_block_stop');
      }
      case 'finish':
        return out + this.#finish(event.stopReason, event.stopSequence, event.usage);
    }
  }

  /** Nothing after a finish. A stream that never finished must not look complete: an error event. */
  end(): string {
    if (this.#done) return '';
    return this.errorFrame(new GatewayError({ kind: 'upstream_error', message: 'the upstream stream ended before the message was complete' }));
  }

  /** `event: error` with the Anthropic error body; nothing is written after it. */
  errorFrame(err: GatewayError): string {
    if (this.#done) return '';
    this.#done = true;
    return errorFrame(err, this.#requestId);
  }

  #start(id: string, usage: Usage): string {
    this.#started = true;
    const message = {
      id: messageId(id, this.#requestId),
      type: 'message',
      role: 'assistant',
      model: this.#publicModel,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      // Output counts go out once, in message_delta (cumulative): LangChain's ChatAnthropic adds
      // message_start's output_tokens to message_delta's, so Anthropic's usual 1 here would show
      // one token more than the ledger bills. The official SDK takes message_delta's either way.
      usage: renderUsage({ ...usage, outputTokens: 0, reasoningTokens: 0 }),
    };
    return sseFrame(JSON.stringify({ type: 'message_start', message }), 'message_start') + PING;
  }

  #blockStart(producer: number, block: StreamBlock): string {
    const wire = this.#nextWire++;
    this.#index.set(producer, wire);
    this.#open.add(wire);
    switch (block.type) {
      case 'text':
        return blockStart(wire, { type: 'text', text: '' });
      case 'tool_call':
        return blockStart(wire, { type: 'tool_use', id: block.id, name: block.name, input: {} });
      case 'thinking':
        this.#pendingThinking = { producer, wire };
        return '';
    }
  }

  #wire(producer: number): number {
    const wire = this.#index.get(producer);
    if (wire === undefined) {
      throw new GatewayError({ kind: 'internal', message: `stream event for block ${producer}, which never started`, retryable: false });
    }
    return wire;
  }

  #finish(stopReason: StopReason, stopSequence: string | null, usage: Usage): string {
    let out = '';
    for (const wire of this.#open) out += sseFrame(`{"type":"content_block_stop","index":${wire}}`, 'content_block_stop');
    this.#open.clear();
    this.#done = true;
    const messageDelta = {
      type: 'message_delta',
      delta: { stop_reason: toAnthropicStopReason(stopReason), stop_sequence: stopSequence },
      usage: renderDeltaUsage(usage),
    };
    return out + sseFrame(JSON.stringify(messageDelta), 'message_delta') + MESSAGE_STOP;
  }
}

/** `event: error` + `{"type":"error","error":{…},"request_id"}` (request_id only when given). */
export function errorFrame(err: GatewayError, requestId?: string): string {
  const body = renderAnthropicError(err, requestId ?? '').body;
  if (requestId === undefined) delete body.request_id;
  return sseFrame(JSON.stringify(body), 'error');
}

function blockStart(index: number, block: Record<string, unknown>): string {
  return sseFrame(JSON.stringify({ type: 'content_block_start', index, content_block: block }), 'content_block_start');
}

function delta(index: number, deltaJson: string): string {
  return sseFrame(`{"type":"content_block_delta","index":${index},"delta":${deltaJson}}`, 'content_block_delta');
}
