// A complete response replayed as the stream events an upstream would have sent for it, so an
// answer obtained without streaming (a cascade step, later a cache hit) can be served to a
// streaming caller in either wire format with the usual event structure.
import type { CanonicalResponse, StreamEvent } from './canonical.js';

/** Text is cut into deltas of this many characters, as upstreams send a few tokens at a time. */
const TEXT_CHUNK = 64;

export function responseEvents(response: CanonicalResponse): StreamEvent[] {
  const events: StreamEvent[] = [];
  const startUsage = { ...response.usage, outputTokens: 0, reasoningTokens: 0 };
  events.push({ type: 'start', id: response.id, model: response.model, created: response.created, usage: startUsage });
  response.content.forEach((part, index) => {
    switch (part.type) {
      case 'text':
        events.push({ type: 'block_start', index, block: { type: 'text' } });
        for (let i = 0; i < part.text.length; i += TEXT_CHUNK) events.push({ type: 'text_delta', index, text: part.text.slice(i, i + TEXT_CHUNK) });
        break;
      case 'tool_call':
        events.push({ type: 'block_start', index, block: { type: 'tool_call', id: part.id, name: part.name } });
        if (part.arguments) events.push({ type: 'tool_args_delta', index, partialJson: part.arguments });
        break;
      case 'thinking':
        events.push({ type: 'block_start', index, block: { type: 'thinking' } });
        if (part.text) events.push({ type: 'thinking_delta', index, text: part.text });
        if (part.signature) events.push({ type: 'signature_delta', index, signature: part.signature });
        break;
    }
    events.push({ type: 'block_stop', index });
  });
  events.push({ type: 'finish', stopReason: response.stopReason, stopSequence: response.stopSequence, usage: response.usage });
  return events;
}

// eslint-disable-next-line @typescript-eslint/require-await -- an async generator is what stream consumers take (AsyncGenerator, with its queued next() and return()); there is nothing to await
export async function* replay(events: readonly StreamEvent[]): AsyncGenerator<StreamEvent> {
  for (const event of events) yield event;
}
