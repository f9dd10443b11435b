// InvokeModelWithResponseStream for Claude: an AWS event stream whose `chunk` events each carry one
// Anthropic Messages stream event, JSON, base64-encoded in `bytes`. Unwrapped here into the SSE
// events the Anthropic stream reader already reads; an exception message ends the stream with
// Bedrock's error.
import { GatewayError } from '../../core/errors.js';
import type { SseEvent } from '../sse.js';
import { bedrockStreamError } from './errors.js';
import type { StreamMessage } from './event-stream.js';

export async function* invokeChunksToSse(messages: AsyncIterable<StreamMessage>, provider: string): AsyncIterable<SseEvent> {
  for await (const m of messages) {
    if (m.messageType !== 'event') throw bedrockStreamError(m.name, m.payload, provider);
    if (m.name !== 'chunk') continue;
    const data = chunkBytes(m.payload, provider);
    // No SSE event name: the reader takes the event's own `type`.
    yield { event: null, data };
  }
}

function chunkBytes(payload: string, provider: string): string {
  let bytes: unknown;
  try {
    bytes = (JSON.parse(payload) as { bytes?: unknown }).bytes;
  } catch {
    // reported below
  }
  if (typeof bytes !== 'string')
    throw new GatewayError({ kind: 'upstream_error', message: `upstream ${provider} sent an InvokeModel stream chunk without bytes`, provider });
  return Buffer.from(bytes, 'base64').toString('utf8');
}
