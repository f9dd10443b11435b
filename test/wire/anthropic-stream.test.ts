// Anthropic streaming: canonical events → named SSE (writer) → parseSse → canonical events (reader).
import Anthropic from '@anthropic-ai/sdk';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StopReason, StreamEvent, Usage } from '../../src/core/canonical.js';
import { GatewayError } from '../../src/core/errors.js';
import { AnthropicStreamWriter, anthropicEventsToCanonical, errorFrame } from '../../src/wire/anthropic/stream.js';
import { parseSse } from '../../src/wire/sse.js';
import { arriving } from '../helpers/stream.js';

const USAGE: Usage = { inputTokens: 12, cacheReadTokens: 1000, cacheWrite5mTokens: 200, cacheWrite1hTokens: 300, outputTokens: 1, reasoningTokens: 0 };

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

function writeAll(events: StreamEvent[], opts = { publicModel: 'claude-public', requestId: 'req_1' }): string {
  const writer = new AnthropicStreamWriter(opts);
  return events.map((e) => writer.write(e)).join('') + writer.end();
}

/** Splits the bytes at the given cut points (which may fall inside a multi-byte character). */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let last = 0;
  for (const p of points) {
    out.push(bytes.subarray(last, p));
    last = p;
  }
  out.push(bytes.subarray(last));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Arbitrary canonical streams.
// ---------------------------------------------------------------------------------------------

const count = fc.integer({ min: 0, max: 1_000_000 });
const usage: fc.Arbitrary<Usage> = fc
  .record({ inputTokens: count, cacheReadTokens: count, cacheWrite5mTokens: count, cacheWrite1hTokens: count, outputTokens: count })
  .chain((u) => fc.integer({ min: 0, max: u.outputTokens }).map((reasoningTokens) => ({ ...u, reasoningTokens })));

type BlockSpec =
  | { kind: 'text'; deltas: string[] }
  | { kind: 'tool'; id: string; name: string; chunks: string[] }
  | { kind: 'thinking'; deltas: string[]; signature: string | null }
  | { kind: 'redacted'; data: string };

/** Cuts a string into consecutive pieces. */
function pieces(s: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((c) => c % (s.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let last = 0;
  for (const p of points) {
    out.push(s.slice(last, p));
    last = p;
  }
  out.push(s.slice(last));
  return out;
}

const safeKey = fc.string({ maxLength: 6 }).filter((k) => k !== '__proto__');
const unicode = fc.string({ unit: 'grapheme', maxLength: 12 });
const blockSpec: fc.Arbitrary<BlockSpec> = fc.oneof(
  fc.record({ kind: fc.constant('text' as const), deltas: fc.array(unicode, { maxLength: 4 }) }),
  fc
    .tuple(
      fc.stringMatching(/^toolu_\w{1,6}$/),
      fc.stringMatching(/^[a-z_]{1,8}$/),
      fc.dictionary(safeKey, fc.jsonValue(), { maxKeys: 3 }),
      fc.array(fc.nat(), { maxLength: 4 }),
    )
    .map(([id, name, input, cuts]): BlockSpec => ({ kind: 'tool', id, name, chunks: pieces(JSON.stringify(input), cuts) })),
  fc.record({
    kind: fc.constant('thinking' as const),
    deltas: fc.array(unicode, { maxLength: 3 }),
    signature: fc.option(fc.base64String({ minLength: 4, maxLength: 16 }), { nil: null }),
  }),
  fc.record({ kind: fc.constant('redacted' as const), data: fc.base64String({ minLength: 4, maxLength: 16 }) }),
);

const streamArb = fc
  .record({
    blocks: fc.array(blockSpec, { maxLength: 5 }),
    startUsage: usage,
    finalUsage: usage,
    stopReason: fc.constantFrom<StopReason>('end_turn', 'max_tokens', 'stop_sequence', 'tool_use', 'refusal', 'pause_turn'),
    stopSequence: fc.option(fc.string({ minLength: 1, maxLength: 3 }), { nil: null }),
    cuts: fc.array(fc.nat(), { maxLength: 8 }),
  })
  .chain((s) =>
    fc.uniqueArray(fc.integer({ min: 0, max: 99 }), { minLength: s.blocks.length, maxLength: s.blocks.length }).map((indices) => ({ ...s, indices })),
  );

/** The canonical events for a spec, with block `i` under producer index `index(i)`. */
function eventsFor(
  s: { blocks: BlockSpec[]; startUsage: Usage; finalUsage: Usage; stopReason: StopReason; stopSequence: string | null },
  index: (i: number) => number,
  model: string,
): StreamEvent[] {
  const out: StreamEvent[] = [{ type: 'start', id: 'msg_abc', model, created: 0, usage: s.startUsage }];
  s.blocks.forEach((b, i) => {
    const idx = index(i);
    switch (b.kind) {
      case 'text':
        out.push({ type: 'block_start', index: idx, block: { type: 'text' } });
        for (const text of b.deltas) out.push({ type: 'text_delta', index: idx, text });
        break;
      case 'tool':
        out.push({ type: 'block_start', index: idx, block: { type: 'tool_call', id: b.id, name: b.name } });
        for (const partialJson of b.chunks) out.push({ type: 'tool_args_delta', index: idx, partialJson });
        break;
      case 'thinking':
        out.push({ type: 'block_start', index: idx, block: { type: 'thinking' } });
        for (const text of b.deltas) out.push({ type: 'thinking_delta', index: idx, text });
        if (b.signature !== null) out.push({ type: 'signature_delta', index: idx, signature: b.signature });
        break;
      case 'redacted':
        out.push({ type: 'block_start', index: idx, block: { type: 'thinking' } });
        out.push({ type: 'signature_delta', index: idx, signature: `redacted_thinking:${b.data}` });
        break;
    }
    out.push({ type: 'block_stop', index: idx });
  });
  out.push({ type: 'finish', stopReason: s.stopReason, stopSequence: s.stopSequence, usage: s.finalUsage });
  return out;
}

function withoutCreated(events: StreamEvent[]): StreamEvent[] {
  return events.map((e) => (e.type === 'start' ? { ...e, created: 0 } : e));
}

/** The writer sends output counts in message_delta only (message_start says 0). */
function startOutputZeroed(events: StreamEvent[]): StreamEvent[] {
  return events.map((e) => (e.type === 'start' ? { ...e, usage: { ...e.usage, outputTokens: 0, reasoningTokens: 0 } } : e));
}

describe('stream round trip: writer → SSE → parseSse → reader', () => {
  it('preserves text, tool input JSON, thinking, stop reason and usage; re-indexes blocks from 0', async () => {
    await fc.assert(
      fc.asyncProperty(streamArb, async (s) => {
        const sse = writeAll(eventsFor(s, (i) => s.indices[i]!, 'claude-upstream-id'));
        const bytes = new TextEncoder().encode(sse);
        const back = await collect(anthropicEventsToCanonical(parseSse(arriving(split(bytes, s.cuts)))));
        expect(withoutCreated(back)).toEqual(startOutputZeroed(eventsFor(s, (i) => i, 'claude-public')));
      }),
      { numRuns: 200 },
    );
  });

  it('the official SDK accumulates the written stream into the final message', async () => {
    const events: StreamEvent[] = [
      { type: 'start', id: 'chatcmpl-1', model: 'gpt-x', created: 0, usage: { ...USAGE, outputTokens: 0 } },
      { type: 'block_start', index: 3, block: { type: 'thinking' } },
      { type: 'thinking_delta', index: 3, text: 'Let me ' },
      { type: 'thinking_delta', index: 3, text: 'think.' },
      { type: 'signature_delta', index: 3, signature: 'c2lnbmF0dXJl' },
      { type: 'block_stop', index: 3 },
      { type: 'block_start', index: 7, block: { type: 'text' } },
      { type: 'text_delta', index: 7, text: 'Héllo ' },
      { type: 'text_delta', index: 7, text: '🌍' },
      { type: 'block_stop', index: 7 },
      { type: 'block_start', index: 1, block: { type: 'tool_call', id: 'call_9', name: 'lookup' } },
      { type: 'tool_args_delta', index: 1, partialJson: '{"q":"pa' },
      { type: 'tool_args_delta', index: 1, partialJson: 'ris","n":2}' },
      // The producer forgets block_stop: the writer closes the block before message_delta.
      { type: 'finish', stopReason: 'tool_use', stopSequence: null, usage: { ...USAGE, outputTokens: 57, reasoningTokens: 9 } },
    ];
    const sse = writeAll(events);
    const client = new Anthropic({
      apiKey: 'test',
      maxRetries: 0,
      fetch: () => Promise.resolve(new Response(sse, { headers: { 'content-type': 'text/event-stream', 'request-id': 'req_1' } })),
    });
    const stream = client.messages.stream({ model: 'claude-public', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] });
    const final = await stream.finalMessage();
    expect(final.id).toBe('msg_req_1');
    expect(final.model).toBe('claude-public');
    expect(final.content).toEqual([
      { type: 'thinking', thinking: 'Let me think.', signature: 'c2lnbmF0dXJl' },
      { type: 'text', text: 'Héllo 🌍' },
      { type: 'tool_use', id: 'call_9', name: 'lookup', input: { q: 'paris', n: 2 } },
    ]);
    expect(final.stop_reason).toBe('tool_use');
    expect(final.usage).toMatchObject({
      input_tokens: 12,
      cache_read_input_tokens: 1000,
      cache_creation_input_tokens: 500,
      output_tokens: 57,
      output_tokens_details: { thinking_tokens: 9 },
    });
  });

  it('writes redacted thinking as a redacted_thinking block', () => {
    const sse = writeAll([
      { type: 'start', id: 'msg_1', model: 'x', created: 0, usage: USAGE },
      { type: 'block_start', index: 0, block: { type: 'thinking' } },
      { type: 'signature_delta', index: 0, signature: 'redacted_thinking:ZW5jcnlwdGVk' },
      { type: 'block_stop', index: 0 },
      { type: 'finish', stopReason: 'end_turn', stopSequence: null, usage: USAGE },
    ]);
    expect(sse).toContain(
      'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"redacted_thinking","data":"ZW5jcnlwdGVk"}}\n\n',
    );
    expect(sse).not.toContain('signature_delta');
  });
});

describe('AnthropicStreamWriter', () => {
  it('writes message_start with a ping, then content_block events and message_delta/message_stop', () => {
    const writer = new AnthropicStreamWriter({ publicModel: 'claude-public', requestId: 'req_9' });
    const start = writer.write({ type: 'start', id: 'msg_up', model: 'up', created: 0, usage: USAGE });
    expect(start).toBe(
      'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_up","type":"message","role":"assistant","model":"claude-public","content":[],"stop_reason":null,"stop_sequence":null,' +
        '"usage":{"input_tokens":12,"cache_creation_input_tokens":500,"cache_read_input_tokens":1000,"cache_creation":{"ephemeral_5m_input_tokens":200,"ephemeral_1h_input_tokens":300},"output_tokens":0,"service_tier":"standard"}}}\n\n' +
        'event: ping\ndata: {"type":"ping"}\n\n',
    );
    expect(writer.write({ type: 'block_start', index: 4, block: { type: 'text' } })).toBe(
      'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
    );
    expect(writer.write({ type: 'text_delta', index: 4, text: 'a"b' })).toBe(
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a\\"b"}}\n\n',
    );
    expect(writer.write({ type: 'block_stop', index: 4 })).toBe('event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n');
    const finish = writer.write({ type: 'finish', stopReason: 'content_filter', stopSequence: null, usage: { ...USAGE, outputTokens: 30 } });
    expect(finish).toBe(
      'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"refusal","stop_sequence":null},' +
        '"usage":{"input_tokens":12,"cache_creation_input_tokens":500,"cache_read_input_tokens":1000,"cache_creation":{"ephemeral_5m_input_tokens":200,"ephemeral_1h_input_tokens":300},"output_tokens":30,"output_tokens_details":{"thinking_tokens":0}}}\n\n' +
        'event: message_stop\ndata: {"type":"message_stop"}\n\n',
    );
    expect(writer.end()).toBe('');
    expect(writer.write({ type: 'text_delta', index: 4, text: 'late' })).toBe('');
  });

  it('synthesises message_start when the producer did not send one', () => {
    const writer = new AnthropicStreamWriter({ publicModel: 'p', requestId: 'r1' });
    const out = writer.write({ type: 'block_start', index: 0, block: { type: 'text' } });
    expect(out.startsWith('event: message_start\ndata: {"type":"message_start","message":{"id":"msg_r1"')).toBe(true);
    expect(out).toContain('event: content_block_start');
  });

  it('ends an unfinished stream with an error event, never a fake message_stop', () => {
    const writer = new AnthropicStreamWriter({ publicModel: 'p', requestId: 'r1' });
    writer.write({ type: 'start', id: 'msg_1', model: 'x', created: 0, usage: USAGE });
    const end = writer.end();
    expect(end.startsWith('event: error\ndata: ')).toBe(true);
    expect(JSON.parse(end.split('data: ')[1]!)).toEqual({
      type: 'error',
      error: { type: 'api_error', message: 'the upstream stream ended before the message was complete' },
      request_id: 'r1',
    });
    expect(writer.end()).toBe('');
  });

  it('errorFrame renders the Anthropic error body as an `error` event', () => {
    const err = new GatewayError({ kind: 'overloaded', message: 'Overloaded' });
    expect(errorFrame(err, 'req_5')).toBe(
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_5"}\n\n',
    );
    expect(errorFrame(err)).toBe('event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n');
  });

  it('refuses a delta for a block that never started', () => {
    const writer = new AnthropicStreamWriter({ publicModel: 'p', requestId: 'r1' });
    writer.write({ type: 'start', id: 'msg_1', model: 'x', created: 0, usage: USAGE });
    expect(() => writer.write({ type: 'text_delta', index: 2, text: 'x' })).toThrow(GatewayError);
  });
});

describe('anthropicEventsToCanonical (upstream streams)', () => {
  // Shaped like a real /v1/messages stream (ping, cumulative message_delta usage with output only).
  const upstream = [
    'event: message_start',
    'data: {"type":"message_start","message":{"id":"msg_01X","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"cache_creation_input_tokens":2048,"cache_read_input_tokens":0,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":2048},"output_tokens":1,"service_tier":"standard"}}}',
    '',
    'event: content_block_start',
    'data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}',
    '',
    'event: ping',
    'data: {"type": "ping"}',
    '',
    'event: content_block_delta',
    'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Checking."}}',
    '',
    'event: content_block_stop',
    'data: {"type":"content_block_stop","index":0}',
    '',
    'event: content_block_start',
    'data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01","name":"get_weather","input":{}}}',
    '',
    'event: content_block_delta',
    'data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}',
    '',
    'event: content_block_delta',
    'data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\\"city\\": \\"Paris\\"}"}}',
    '',
    'event: content_block_stop',
    'data: {"type":"content_block_stop","index":1}',
    '',
    'event: message_delta',
    'data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":42}}',
    '',
    'event: message_stop',
    'data: {"type":"message_stop"}',
    '',
    '',
  ].join('\n');

  it('translates a recorded-shape stream and merges usage from message_start', async () => {
    const events = withoutCreated(await collect(anthropicEventsToCanonical(parseSse(arriving([upstream])))));
    expect(events).toEqual([
      {
        type: 'start',
        id: 'msg_01X',
        model: 'claude-sonnet-4-5-20250929',
        created: 0,
        usage: { inputTokens: 25, cacheReadTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 2048, outputTokens: 1, reasoningTokens: 0 },
      },
      { type: 'block_start', index: 0, block: { type: 'text' } },
      { type: 'text_delta', index: 0, text: 'Checking.' },
      { type: 'block_stop', index: 0 },
      { type: 'block_start', index: 1, block: { type: 'tool_call', id: 'toolu_01', name: 'get_weather' } },
      { type: 'tool_args_delta', index: 1, partialJson: '' },
      { type: 'tool_args_delta', index: 1, partialJson: '{"city": "Paris"}' },
      { type: 'block_stop', index: 1 },
      {
        type: 'finish',
        stopReason: 'tool_use',
        stopSequence: null,
        usage: { inputTokens: 25, cacheReadTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 2048, outputTokens: 42, reasoningTokens: 0 },
      },
    ]);
  });

  it('takes input and cache counts from message_delta when it restates them', async () => {
    const sse =
      'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","model":"m","usage":{"input_tokens":0,"output_tokens":0}}}\n\n' +
      'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":7,"input_tokens":30,"cache_read_input_tokens":500,"cache_creation_input_tokens":100}}\n\n' +
      'event: message_stop\ndata: {"type":"message_stop"}\n\n';
    const events = await collect(anthropicEventsToCanonical(parseSse(arriving([sse]))));
    expect(events.at(-1)).toEqual({
      type: 'finish',
      stopReason: 'end_turn',
      stopSequence: null,
      usage: { inputTokens: 30, cacheReadTokens: 500, cacheWrite5mTokens: 100, cacheWrite1hTokens: 0, outputTokens: 7, reasoningTokens: 0 },
    });
  });

  it('emits finish at the end of a stream that had message_delta but no message_stop', async () => {
    const sse =
      'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","model":"m","usage":{"input_tokens":3,"output_tokens":0}}}\n\n' +
      'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"output_tokens":5}}\n\n';
    const events = await collect(anthropicEventsToCanonical(parseSse(arriving([sse]))));
    expect(events.at(-1)).toMatchObject({ type: 'finish', stopReason: 'max_tokens', usage: { inputTokens: 3, outputTokens: 5 } });
  });

  it('throws an upstream_error for a stream cut before message_delta', async () => {
    const sse = 'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","model":"m","usage":{"input_tokens":3,"output_tokens":0}}}\n\n';
    await expect(collect(anthropicEventsToCanonical(parseSse(arriving([sse])), { provider: 'anth' }))).rejects.toMatchObject({
      kind: 'upstream_error',
      provider: 'anth',
    });
  });

  it('throws a mid-stream error event as a GatewayError of its type', async () => {
    const sse =
      'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","model":"m","usage":{"input_tokens":3,"output_tokens":0}}}\n\n' +
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n';
    const seen: StreamEvent[] = [];
    let error: unknown;
    try {
      for await (const e of anthropicEventsToCanonical(parseSse(arriving([sse])), { provider: 'anth' })) seen.push(e);
    } catch (err) {
      error = err;
    }
    expect(seen.map((e) => e.type)).toEqual(['start']);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ kind: 'overloaded', status: 529, message: 'Overloaded', retryable: true, provider: 'anth' });
  });

  it('rejects content blocks it cannot represent', async () => {
    const sse =
      'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","model":"m","usage":{"input_tokens":3,"output_tokens":0}}}\n\n' +
      'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"server_tool_use","id":"s","name":"web_search","input":{}}}\n\n';
    await expect(collect(anthropicEventsToCanonical(parseSse(arriving([sse]))))).rejects.toMatchObject({ kind: 'upstream_error' });
  });
});
