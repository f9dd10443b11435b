// AWS event-stream framing (application/vnd.amazon.eventstream), as ConverseStream sends it:
// binary messages, each `total length (4) | headers length (4) | prelude CRC | headers | payload |
// message CRC`. The codec checks both CRCs; this file only cuts the byte stream at message edges.
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

export const EVENT_STREAM_TYPE = 'application/vnd.amazon.eventstream';

const codec = new EventStreamCodec(toUtf8, fromUtf8);

type Message = ReturnType<EventStreamCodec['decode']>;
type MessageHeaders = Message['headers'];

export interface StreamMessage {
  /** `:message-type`: `event`, `exception` or `error`. */
  messageType: string;
  /** `:event-type` or `:exception-type` (or `:error-code`). */
  name: string;
  /** The JSON payload text. */
  payload: string;
}

/** Decodes whole messages out of a chunked byte stream. */
export async function* decodeEventStream(chunks: AsyncIterable<Uint8Array>): AsyncIterable<StreamMessage> {
  let buffer: Uint8Array = new Uint8Array(0);
  for await (const chunk of chunks) {
    buffer = buffer.length === 0 ? chunk : concat(buffer, chunk);
    while (buffer.length >= 4) {
      const total = new DataView(buffer.buffer, buffer.byteOffset, 4).getUint32(0);
      if (buffer.length < total) break;
      yield readMessage(codec.decode(buffer.subarray(0, total)));
      buffer = buffer.subarray(total);
    }
  }
  if (buffer.length > 0) throw new Error(`event stream ended inside a message (${buffer.length} bytes left)`);
}

/** One event message: `:event-type` name and a JSON payload. */
export function encodeEvent(eventType: string, payload: unknown): Uint8Array {
  return encode({ ':event-type': eventType, ':content-type': 'application/json', ':message-type': 'event' }, payload);
}

/** One exception message (a mid-stream error). */
export function encodeException(exceptionType: string, payload: unknown): Uint8Array {
  return encode({ ':exception-type': exceptionType, ':content-type': 'application/json', ':message-type': 'exception' }, payload);
}

function encode(names: Record<string, string>, payload: unknown): Uint8Array {
  const headers: MessageHeaders = {};
  for (const [k, v] of Object.entries(names)) headers[k] = { type: 'string', value: v };
  return codec.encode({ headers, body: fromUtf8(JSON.stringify(payload)) });
}

function readMessage(m: Message): StreamMessage {
  const header = (name: string): string => {
    const h = m.headers[name];
    return h !== undefined && typeof h.value === 'string' ? h.value : '';
  };
  const messageType = header(':message-type') || 'event';
  const name = messageType === 'event' ? header(':event-type') : header(':exception-type') || header(':error-code');
  return { messageType, name, payload: toUtf8(m.body) };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
