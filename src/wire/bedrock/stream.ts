// ConverseStream events → canonical stream events. Converse opens a text block implicitly with its
// first delta (only tool-use blocks get a `contentBlockStart`), and reports usage in `metadata`
// after `messageStop`, so the finish event waits for it.
import type { StopReason, StreamEvent, Usage } from '../../core/canonical.js';
import { ZERO_USAGE } from '../../core/canonical.js';
import { GatewayError } from '../../core/errors.js';
import type { StreamMessage } from './event-stream.js';
import { bedrockStreamError } from './errors.js';
import { fromConverseStopReason } from './stop-reason.js';
import { mapConverseUsage } from './usage.js';

type Json = Record<string, unknown>;

const isJson = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export interface ConverseStreamContext {
  model: string;
  requestId: string;
  provider: string;
}

export async function* converseEventsToCanonical(messages: AsyncIterable<StreamMessage>, ctx: ConverseStreamContext): AsyncIterable<StreamEvent> {
  const open = new Set<number>();
  let stopReason: StopReason | undefined;
  let usage: Usage | undefined;
  yield { type: 'start', id: ctx.requestId, model: ctx.model, created: Math.floor(Date.now() / 1000), usage: { ...ZERO_USAGE } };
  for await (const m of messages) {
    if (m.messageType !== 'event') throw bedrockStreamError(m.name, m.payload, ctx.provider);
    const data = parse(m.payload, ctx.provider);
    const index = typeof data.contentBlockIndex === 'number' ? data.contentBlockIndex : 0;
    switch (m.name) {
      case 'contentBlockStart': {
        const tool = isJson(data.start) && isJson(data.start.toolUse) ? data.start.toolUse : undefined;
        if (tool && !open.has(index)) {
          open.add(index);
          yield { type: 'block_start', index, block: { type: 'tool_call', id: str(tool.toolUseId), name: str(tool.name) } };
        }
        break;
      }
      case 'contentBlockDelta': {
        const delta = isJson(data.delta) ? data.delta : {};
        if (typeof delta.text === 'string') {
          if (!open.has(index)) yield openBlock(open, index, 'text');
          yield { type: 'text_delta', index, text: delta.text };
        } else if (isJson(delta.toolUse) && typeof delta.toolUse.input === 'string') {
          yield { type: 'tool_args_delta', index, partialJson: delta.toolUse.input };
        } else if (isJson(delta.reasoningContent)) {
          const r = delta.reasoningContent;
          if (!open.has(index)) yield openBlock(open, index, 'thinking');
          if (typeof r.text === 'string') yield { type: 'thinking_delta', index, text: r.text };
          if (typeof r.signature === 'string') yield { type: 'signature_delta', index, signature: r.signature };
        }
        break;
      }
      case 'contentBlockStop':
        if (open.delete(index)) yield { type: 'block_stop', index };
        break;
      case 'messageStop':
        stopReason = fromConverseStopReason(data.stopReason);
        break;
      case 'metadata':
        usage = mapConverseUsage(data.usage);
        break;
      default:
        break; // messageStart and events added later carry nothing the canonical stream needs
    }
  }
  if (stopReason === undefined) {
    throw new GatewayError({
      kind: 'upstream_error',
      message: `upstream ${ctx.provider} ended the ConverseStream without messageStop`,
      provider: ctx.provider,
    });
  }
  for (const index of open) yield { type: 'block_stop', index };
  yield { type: 'finish', stopReason, stopSequence: null, usage: usage ?? { ...ZERO_USAGE } };
}

function openBlock(open: Set<number>, index: number, type: 'text' | 'thinking'): StreamEvent {
  open.add(index);
  return { type: 'block_start', index, block: { type } };
}

function parse(payload: string, provider: string): Json {
  try {
    const v = JSON.parse(payload) as unknown;
    if (isJson(v)) return v;
  } catch {
    // fall through
  }
  throw new GatewayError({ kind: 'upstream_error', message: `upstream ${provider} sent a ConverseStream event that is not a JSON object`, provider });
}
