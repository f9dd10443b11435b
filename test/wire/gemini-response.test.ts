import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/core/errors.js';
import { parseGenerateContentResponse } from '../../src/wire/gemini/response.js';

const TEXT_RESPONSE = {
  candidates: [
    {
      content: { role: 'model', parts: [{ text: 'Hello' }, { text: ', world.' }] },
      finishReason: 'STOP',
      index: 0,
      safetyRatings: [],
    },
  ],
  usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 4, totalTokenCount: 16 },
  modelVersion: 'gemini-2.5-flash-001',
  responseId: 'resp-abc',
};

function errorOf(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (e) {
    if (e instanceof GatewayError) return e;
    throw e;
  }
  throw new Error('expected a GatewayError');
}

describe('parseGenerateContentResponse', () => {
  it('parses text, id, model and usage', () => {
    const r = parseGenerateContentResponse(TEXT_RESPONSE, 'gemini-2.5-flash');
    expect(r).toMatchObject({
      id: 'resp-abc',
      model: 'gemini-2.5-flash-001',
      content: [{ type: 'text', text: 'Hello, world.' }],
      stopReason: 'end_turn',
      stopSequence: null,
      usage: { inputTokens: 12, cacheReadTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, outputTokens: 4, reasoningTokens: 0 },
    });
    expect(typeof r.created).toBe('number');
  });

  it('falls back to the requested model and a generated id', () => {
    const { modelVersion: _m, responseId: _r, ...bare } = TEXT_RESPONSE;
    const r = parseGenerateContentResponse(bare, 'gemini-2.5-flash');
    expect(r.model).toBe('gemini-2.5-flash');
    expect(r.id).toMatch(/^gemini-/);
  });

  it('parses function calls (keeping or generating ids) as tool_use', () => {
    const r = parseGenerateContentResponse(
      {
        candidates: [
          {
            content: {
              role: 'model',
              parts: [
                { functionCall: { id: 'fc-1', name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'SIG' },
                { functionCall: { name: 'get_time', args: { tz: 'CET' } } },
                { functionCall: { name: 'ping' } },
              ],
            },
            finishReason: 'STOP',
          },
        ],
        usageMetadata: { promptTokenCount: 30, candidatesTokenCount: 10 },
      },
      'gemini-3-pro-preview',
    );
    expect(r.stopReason).toBe('tool_use');
    expect(r.content).toHaveLength(4);
    expect(r.content[0]).toEqual({ type: 'thinking', text: '', signature: 'gemini:SIG' });
    expect(r.content[1]).toEqual({ type: 'tool_call', id: 'fc-1', name: 'get_weather', arguments: '{"city":"Paris"}' });
    expect(r.content[2]).toMatchObject({ type: 'tool_call', name: 'get_time', arguments: '{"tz":"CET"}' });
    expect(r.content[3]).toMatchObject({ type: 'tool_call', name: 'ping', arguments: '{}' });
    const ids = r.content.flatMap((p) => (p.type === 'tool_call' ? [p.id] : []));
    expect(ids[1]).toMatch(/^call_[0-9a-f]{24}$/);
    expect(new Set(ids).size).toBe(3);
  });

  it('parses thought parts as thinking, and counts thoughts and cache reads by class', () => {
    const r = parseGenerateContentResponse(
      {
        candidates: [
          {
            content: {
              role: 'model',
              parts: [
                { text: 'Let me think', thought: true },
                { text: ' about it.', thought: true },
                { text: 'The answer is 4.', thoughtSignature: 'S2' },
              ],
            },
            finishReason: 'STOP',
          },
        ],
        usageMetadata: {
          promptTokenCount: 2000,
          cachedContentTokenCount: 1500,
          candidatesTokenCount: 8,
          thoughtsTokenCount: 120,
          totalTokenCount: 2128,
        },
      },
      'gemini-2.5-pro',
    );
    expect(r.content).toEqual([
      { type: 'thinking', text: 'Let me think about it.', signature: 'gemini:S2' },
      { type: 'text', text: 'The answer is 4.' },
    ]);
    expect(r.usage).toEqual({
      inputTokens: 500,
      cacheReadTokens: 1500,
      cacheWrite5mTokens: 0,
      cacheWrite1hTokens: 0,
      outputTokens: 128,
      reasoningTokens: 120,
    });
  });

  it.each([
    ['STOP', 'end_turn'],
    ['MAX_TOKENS', 'max_tokens'],
    ['SAFETY', 'content_filter'],
    ['RECITATION', 'content_filter'],
    ['BLOCKLIST', 'content_filter'],
    ['PROHIBITED_CONTENT', 'content_filter'],
    ['SPII', 'content_filter'],
    ['OTHER', 'end_turn'],
    ['MALFORMED_FUNCTION_CALL', 'end_turn'],
    [undefined, 'end_turn'],
  ])('maps finishReason %s to %s', (finishReason, stopReason) => {
    const body = { candidates: [{ content: { parts: [{ text: 'x' }] }, ...(finishReason ? { finishReason } : {}) }] };
    expect(parseGenerateContentResponse(body, 'm').stopReason).toBe(stopReason);
  });

  it('skips empty parts instead of making empty blocks', () => {
    const r = parseGenerateContentResponse(
      { candidates: [{ content: { parts: [{ text: '', thought: true }, { text: '' }, { text: 'x' }] }, finishReason: 'STOP' }] },
      'm',
    );
    expect(r.content).toEqual([{ type: 'text', text: 'x' }]);
  });

  it('accepts a filtered candidate without content', () => {
    const r = parseGenerateContentResponse({ candidates: [{ finishReason: 'SAFETY' }] }, 'm');
    expect(r.content).toEqual([]);
    expect(r.stopReason).toBe('content_filter');
  });

  it('reports a blocked prompt as invalid_request with the reason', () => {
    const err = errorOf(() =>
      parseGenerateContentResponse({ promptFeedback: { blockReason: 'PROHIBITED_CONTENT' }, usageMetadata: { promptTokenCount: 9 } }, 'm'),
    );
    expect(err.kind).toBe('invalid_request');
    expect(err.message).toContain('PROHIBITED_CONTENT');
  });

  it.each([
    ['not an object', 'nope'],
    ['no candidates', { usageMetadata: { promptTokenCount: 1 } }],
    ['candidates not an array', { candidates: {} }],
    ['parts not an array', { candidates: [{ content: { parts: 'x' } }] }],
    ['text not a string', { candidates: [{ content: { parts: [{ text: 3 }] } }] }],
    ['function call without a name', { candidates: [{ content: { parts: [{ functionCall: { args: {} } }] } }] }],
    ['function args not an object', { candidates: [{ content: { parts: [{ functionCall: { name: 'f', args: [1] } }] } }] }],
    ['a negative token count', { candidates: [], usageMetadata: { promptTokenCount: -1 } }],
  ])('rejects a malformed body (%s) as upstream_error', (_label, body) => {
    expect(errorOf(() => parseGenerateContentResponse(body, 'm')).kind).toBe('upstream_error');
  });

  it('ignores fields it does not read', () => {
    const r = parseGenerateContentResponse(
      {
        candidates: [
          { content: { parts: [{ text: 'ok' }, { inlineData: { mimeType: 'image/png', data: 'AA' } }] }, citationMetadata: 5, finishReason: 'STOP' },
        ],
        usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 1, promptTokensDetails: 'weird' },
      },
      'm',
    );
    expect(r.content).toEqual([{ type: 'text', text: 'ok' }]);
  });
});
