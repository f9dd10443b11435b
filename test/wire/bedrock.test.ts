// The Bedrock Converse wire: request translation (cache points, tools, refusals naming the field),
// AWS event-stream framing cut at any byte, exception messages and error responses.
import { describe, expect, it } from 'vitest';
import { emptyRequest, type CanonicalRequest, type StreamEvent } from '../../src/core/canonical.js';
import { GatewayError } from '../../src/core/errors.js';
import { converseEventsToCanonical, decodeEventStream, encodeEvent, encodeException, parseBedrockError, toConverseBody } from '../../src/wire/bedrock/index.js';

function request(fields: Partial<CanonicalRequest>): CanonicalRequest {
  return { ...emptyRequest('openai'), model: 'm', ...fields };
}

async function* chunked(bytes: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield await Promise.resolve(bytes.subarray(i, i + size));
}

function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

async function collect(it: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

describe('toConverseBody', () => {
  it('puts a cache point after each part marked cache_control, in system, messages and tools', () => {
    const warnings: string[] = [];
    const body = toConverseBody(
      request({
        system: [{ type: 'text', text: 'sys', cacheControl: { type: 'ephemeral' } }],
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'a', cacheControl: { type: 'ephemeral' } },
              { type: 'text', text: 'b' },
            ],
          },
        ],
        tools: [{ name: 't', parameters: { type: 'object' }, cacheControl: { type: 'ephemeral' } }],
        toolChoice: { type: 'required' },
        maxTokens: 10,
        stop: ['X'],
        seed: 3,
      }),
      warnings,
    );
    expect(body).toEqual({
      system: [{ text: 'sys' }, { cachePoint: { type: 'default' } }],
      messages: [{ role: 'user', content: [{ text: 'a' }, { cachePoint: { type: 'default' } }, { text: 'b' }] }],
      inferenceConfig: { maxTokens: 10, stopSequences: ['X'] },
      toolConfig: {
        tools: [{ toolSpec: { name: 't', inputSchema: { json: { type: 'object' } } } }, { cachePoint: { type: 'default' } }],
        toolChoice: { any: {} },
      },
    });
    expect(warnings).toEqual(['seed is not supported by Bedrock Converse and was not sent']);
  });

  it('translates tool calls and results, and refuses an image URL naming the field', () => {
    const body = toConverseBody(
      request({
        messages: [
          { role: 'assistant', content: [{ type: 'tool_call', id: 'c1', name: 't', arguments: '{"x":1}' }] },
          { role: 'user', content: [{ type: 'tool_result', toolCallId: 'c1', content: [{ type: 'text', text: 'ok' }], isError: true }] },
        ],
      }),
      [],
    );
    expect(body.messages).toEqual([
      { role: 'assistant', content: [{ toolUse: { toolUseId: 'c1', name: 't', input: { x: 1 } } }] },
      { role: 'user', content: [{ toolResult: { toolUseId: 'c1', content: [{ text: 'ok' }], status: 'error' } }] },
    ]);
    const url = request({ messages: [{ role: 'user', content: [{ type: 'image', source: { kind: 'url', url: 'https://x/y.png' } }] }] });
    expect(() => toConverseBody(url, [])).toThrow(expect.objectContaining({ kind: 'invalid_request', param: 'messages[0].content[0]' }) as Error);
  });
});

describe('ConverseStream event stream', () => {
  const messages = [
    encodeEvent('messageStart', { role: 'assistant' }),
    encodeEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hel' } }),
    encodeEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'lo' } }),
    encodeEvent('contentBlockStop', { contentBlockIndex: 0 }),
    encodeEvent('contentBlockStart', { contentBlockIndex: 1, start: { toolUse: { toolUseId: 'tu1', name: 'get' } } }),
    encodeEvent('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '{"a":' } } }),
    encodeEvent('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '2}' } } }),
    encodeEvent('contentBlockStop', { contentBlockIndex: 1 }),
    encodeEvent('messageStop', { stopReason: 'tool_use' }),
    encodeEvent('metadata', { usage: { inputTokens: 5, outputTokens: 7, totalTokens: 19, cacheReadInputTokens: 4, cacheWriteInputTokens: 3 } }),
  ];
  const ctx = { model: 'm', requestId: 'r1', provider: 'bedrock' };

  it.each([1, 3, 7, 64, 100_000])('decodes the same events whatever the chunk size (%i bytes)', async (size) => {
    const events = await collect(converseEventsToCanonical(decodeEventStream(chunked(concat(messages), size)), ctx));
    expect(events.slice(1)).toEqual([
      { type: 'block_start', index: 0, block: { type: 'text' } },
      { type: 'text_delta', index: 0, text: 'Hel' },
      { type: 'text_delta', index: 0, text: 'lo' },
      { type: 'block_stop', index: 0 },
      { type: 'block_start', index: 1, block: { type: 'tool_call', id: 'tu1', name: 'get' } },
      { type: 'tool_args_delta', index: 1, partialJson: '{"a":' },
      { type: 'tool_args_delta', index: 1, partialJson: '2}' },
      { type: 'block_stop', index: 1 },
      {
        type: 'finish',
        stopReason: 'tool_use',
        stopSequence: null,
        usage: { inputTokens: 5, cacheReadTokens: 4, cacheWrite5mTokens: 3, cacheWrite1hTokens: 0, outputTokens: 7, reasoningTokens: 0 },
      },
    ]);
  });

  it('an exception message mid-stream is a GatewayError of its kind; a corrupted byte fails the CRC', async () => {
    const throttled = concat([messages[0]!, encodeException('throttlingException', { message: 'slow down' })]);
    const err = await collect(converseEventsToCanonical(decodeEventStream(chunked(throttled, 5)), ctx)).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'rate_limit', status: 429, code: 'ThrottlingException', provider: 'bedrock' });
    expect((err as Error).message).toMatch(/slow down/);
    const corrupt = concat(messages);
    corrupt[20] = corrupt[20]! ^ 0xff;
    await expect(collect(converseEventsToCanonical(decodeEventStream(chunked(corrupt, 9)), ctx))).rejects.toThrow();
  });

  it('a stream that ends without messageStop is an upstream error', async () => {
    await expect(collect(converseEventsToCanonical(decodeEventStream(chunked(concat(messages.slice(0, 3)), 8)), ctx))).rejects.toThrow(/without messageStop/);
  });
});

describe('parseBedrockError', () => {
  it('names the exception from x-amzn-errortype; credential refusals are authentication errors', () => {
    const sig = parseBedrockError(
      403,
      { message: 'The request signature we calculated does not match' },
      { 'x-amzn-errortype': 'InvalidSignatureException:http://internal.amazon.com/coral/' },
      'bedrock',
    );
    expect(sig).toBeInstanceOf(GatewayError);
    expect(sig.kind).toBe('authentication');
    expect(sig.message).toBe('upstream bedrock (Bedrock InvalidSignatureException): The request signature we calculated does not match');
    const throttled = parseBedrockError(429, { message: 'Too many requests' }, { 'x-amzn-errortype': 'ThrottlingException' }, 'bedrock');
    expect([throttled.kind, throttled.status, throttled.retryable]).toEqual(['rate_limit', 429, true]);
    const invalid = parseBedrockError(400, { __type: 'com.amazon.coral.validate#ValidationException', message: 'bad' }, {}, 'bedrock');
    expect([invalid.kind, invalid.code]).toEqual(['invalid_request', 'ValidationException']);
  });
});
