import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../src/core/canonical.js';
import { GatewayError } from '../../src/core/errors.js';
import { geminiChunksToEvents } from '../../src/wire/gemini/stream.js';
import { parseSse } from '../../src/wire/sse.js';
import { arriving } from '../helpers/stream.js';

/** SSE text as `streamGenerateContent?alt=sse` sends it: `data: <json>\r\n\r\n`, no [DONE]. */
function sse(chunks: unknown[]): string {
  return chunks.map((c) => `data: ${JSON.stringify(c)}\r\n\r\n`).join('');
}

/** Feeds the text in awkward slices, as a socket would. */
function slices(text: string, size = 7): AsyncIterable<string> {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return arriving(out);
}

async function collect(text: string, model = 'gemini-2.5-flash'): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of geminiChunksToEvents(parseSse(slices(text)), model)) out.push(e);
  return out;
}

async function failure(text: string): Promise<GatewayError> {
  try {
    await collect(text);
  } catch (e) {
    if (e instanceof GatewayError) return e;
    throw e;
  }
  throw new Error('expected a GatewayError');
}

const meta = { modelVersion: 'gemini-2.5-flash', responseId: 'r-1' };

describe('geminiChunksToEvents', () => {
  it('streams text over several chunks with usage from the last chunk', async () => {
    const events = await collect(
      sse([
        { candidates: [{ content: { role: 'model', parts: [{ text: 'Hel' }] } }], usageMetadata: { promptTokenCount: 10, totalTokenCount: 10 }, ...meta },
        { candidates: [{ content: { role: 'model', parts: [{ text: 'lo' }] } }], usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 1 }, ...meta },
        {
          candidates: [{ content: { role: 'model', parts: [{ text: '!' }] }, finishReason: 'STOP' }],
          usageMetadata: { promptTokenCount: 10, cachedContentTokenCount: 4, candidatesTokenCount: 3, totalTokenCount: 13 },
          ...meta,
        },
      ]),
    );
    expect(events[0]).toMatchObject({ type: 'start', id: 'r-1', model: 'gemini-2.5-flash', usage: { inputTokens: 10, outputTokens: 0 } });
    expect(events.slice(1)).toEqual([
      { type: 'block_start', index: 0, block: { type: 'text' } },
      { type: 'text_delta', index: 0, text: 'Hel' },
      { type: 'text_delta', index: 0, text: 'lo' },
      { type: 'text_delta', index: 0, text: '!' },
      { type: 'block_stop', index: 0 },
      {
        type: 'finish',
        stopReason: 'end_turn',
        stopSequence: null,
        usage: { inputTokens: 6, cacheReadTokens: 4, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, outputTokens: 3, reasoningTokens: 0 },
      },
    ]);
  });

  it('streams thinking, then text, then a whole function call', async () => {
    const events = await collect(
      sse([
        { candidates: [{ content: { parts: [{ text: 'Plan: ', thought: true }] } }], ...meta },
        { candidates: [{ content: { parts: [{ text: 'call the tool.', thought: true }] } }], ...meta },
        { candidates: [{ content: { parts: [{ text: 'One moment.' }] } }], ...meta },
        {
          candidates: [
            {
              content: { parts: [{ functionCall: { id: 'fc-9', name: 'lookup', args: { q: 'x' } }, thoughtSignature: 'SIG' }] },
              finishReason: 'STOP',
            },
          ],
          usageMetadata: { promptTokenCount: 50, candidatesTokenCount: 20, thoughtsTokenCount: 30 },
          ...meta,
        },
      ]),
    );
    expect(events.slice(1)).toEqual([
      { type: 'block_start', index: 0, block: { type: 'thinking' } },
      { type: 'thinking_delta', index: 0, text: 'Plan: ' },
      { type: 'thinking_delta', index: 0, text: 'call the tool.' },
      { type: 'block_stop', index: 0 },
      { type: 'block_start', index: 1, block: { type: 'text' } },
      { type: 'text_delta', index: 1, text: 'One moment.' },
      { type: 'block_stop', index: 1 },
      { type: 'block_start', index: 2, block: { type: 'thinking' } },
      { type: 'signature_delta', index: 2, signature: 'gemini:SIG' },
      { type: 'block_stop', index: 2 },
      { type: 'block_start', index: 3, block: { type: 'tool_call', id: 'fc-9', name: 'lookup' } },
      { type: 'tool_args_delta', index: 3, partialJson: '{"q":"x"}' },
      { type: 'block_stop', index: 3 },
      {
        type: 'finish',
        stopReason: 'tool_use',
        stopSequence: null,
        usage: { inputTokens: 50, cacheReadTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, outputTokens: 50, reasoningTokens: 30 },
      },
    ]);
  });

  it('emits one finish with the last finishReason and a usage-only trailing chunk', async () => {
    const events = await collect(
      sse([
        { candidates: [{ content: { parts: [{ text: 'cut' }] }, finishReason: 'MAX_TOKENS' }], ...meta },
        { usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 16 }, ...meta },
      ]),
    );
    const finishes = events.filter((e) => e.type === 'finish');
    expect(finishes).toEqual([
      {
        type: 'finish',
        stopReason: 'max_tokens',
        stopSequence: null,
        usage: { inputTokens: 5, cacheReadTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, outputTokens: 16, reasoningTokens: 0 },
      },
    ]);
    expect(events.at(-1)?.type).toBe('finish');
  });

  it('throws on a stream cut before any finishReason, and on an empty stream', async () => {
    const cut = await failure(sse([{ candidates: [{ content: { parts: [{ text: 'par' }] } }], ...meta }]));
    expect(cut.kind).toBe('upstream_error');
    expect((await failure('')).kind).toBe('upstream_error');
  });

  it('throws the upstream error carried in a chunk', async () => {
    const err = await failure(
      sse([
        { candidates: [{ content: { parts: [{ text: 'a' }] } }], ...meta },
        { error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } },
      ]),
    );
    expect(err.kind).toBe('overloaded');
    expect(err.message).toBe('The model is overloaded.');
  });

  it('throws invalid_request when the prompt is blocked', async () => {
    const err = await failure(sse([{ promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 3 } }]));
    expect(err.kind).toBe('invalid_request');
    expect(err.message).toContain('SAFETY');
  });

  it('rejects a chunk that is not JSON', async () => {
    expect((await failure('data: {oops\n\n')).kind).toBe('upstream_error');
  });
});
