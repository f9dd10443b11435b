// Anthropic Messages responses: rendering for callers, parsing from upstreams, and the SDK's view.
import Anthropic from '@anthropic-ai/sdk';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CanonicalResponse, StopReason, Usage } from '../../src/core/canonical.js';
import { GatewayError } from '../../src/core/errors.js';
import { parseMessage, renderMessage } from '../../src/wire/anthropic/response.js';

const count = fc.integer({ min: 0, max: 2_000_000 });
const usageArb: fc.Arbitrary<Usage> = fc
  .record({ inputTokens: count, cacheReadTokens: count, cacheWrite5mTokens: count, cacheWrite1hTokens: count, outputTokens: count })
  .chain((u) => fc.integer({ min: 0, max: u.outputTokens }).map((reasoningTokens) => ({ ...u, reasoningTokens })));

const safeKey = fc.string({ maxLength: 6 }).filter((k) => k !== '__proto__');
const args = fc.dictionary(safeKey, fc.jsonValue(), { maxKeys: 4 }).map((o) => JSON.stringify(o));

const part = fc.oneof(
  fc.record({ type: fc.constant('text' as const), text: fc.string() }),
  fc.record({ type: fc.constant('tool_call' as const), id: fc.stringMatching(/^toolu_\w{1,8}$/), name: fc.stringMatching(/^[a-z_]{1,8}$/), arguments: args }),
  fc.record({ type: fc.constant('thinking' as const), text: fc.string(), signature: fc.base64String({ minLength: 4, maxLength: 20 }) }),
  fc.base64String({ minLength: 4, maxLength: 20 }).map((data) => ({ type: 'thinking' as const, text: '', signature: `redacted_thinking:${data}` })),
);

const stopReason = fc.constantFrom<StopReason>('end_turn', 'max_tokens', 'stop_sequence', 'tool_use', 'refusal', 'pause_turn');

const responseArb: fc.Arbitrary<CanonicalResponse> = fc.record({
  id: fc.stringMatching(/^msg_\w{1,12}$/),
  model: fc.constantFrom('claude-sonnet-4-5', 'claude-haiku-4-5'),
  content: fc.array(part, { maxLength: 5 }),
  stopReason,
  stopSequence: fc.option(fc.string({ minLength: 1, maxLength: 4 }), { nil: null }),
  usage: usageArb,
  created: fc.constant(0),
});

describe('renderMessage / parseMessage', () => {
  it('parseMessage(renderMessage(r)) preserves content, stop reason and usage by class', () => {
    fc.assert(
      fc.property(responseArb, (r) => {
        const back = parseMessage(JSON.parse(JSON.stringify(renderMessage(r, r.model, 'req_1'))));
        expect({ ...back, created: 0 }).toEqual(r);
      }),
      { numRuns: 300 },
    );
  });

  it('renders the Anthropic Message shape', () => {
    const body = renderMessage(
      {
        id: 'chatcmpl-123',
        model: 'gpt-4o-2024-08-06',
        content: [
          { type: 'thinking', text: 'hmm', signature: 'c2ln' },
          { type: 'text', text: 'Calling the tool.' },
          { type: 'tool_call', id: 'call_1', name: 'weather', arguments: '{"city":"Paris"}' },
          { type: 'tool_call', id: 'call_2', name: 'weather', arguments: 'not json' },
        ],
        stopReason: 'tool_use',
        stopSequence: null,
        usage: { inputTokens: 10, cacheReadTokens: 100, cacheWrite5mTokens: 20, cacheWrite1hTokens: 30, outputTokens: 40, reasoningTokens: 0 },
        created: 1,
      },
      'my-public-model',
      'req_abc',
    );
    expect(body).toEqual({
      id: 'msg_req_abc',
      type: 'message',
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'hmm', signature: 'c2ln' },
        { type: 'text', text: 'Calling the tool.' },
        { type: 'tool_use', id: 'call_1', name: 'weather', input: { city: 'Paris' } },
        { type: 'tool_use', id: 'call_2', name: 'weather', input: {} },
      ],
      model: 'my-public-model',
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: {
        input_tokens: 10,
        cache_creation_input_tokens: 50,
        cache_read_input_tokens: 100,
        cache_creation: { ephemeral_5m_input_tokens: 20, ephemeral_1h_input_tokens: 30 },
        output_tokens: 40,
        service_tier: 'standard',
      },
    });
  });

  it('maps content_filter to refusal and shows an OpenAI refusal as text', () => {
    const base: CanonicalResponse = {
      id: 'x',
      model: 'm',
      content: [],
      stopReason: 'content_filter',
      stopSequence: null,
      usage: { inputTokens: 1, cacheReadTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, outputTokens: 1, reasoningTokens: 0 },
      created: 0,
    };
    expect(renderMessage(base, 'm', 'r').stop_reason).toBe('refusal');
    const refused = renderMessage({ ...base, stopReason: 'end_turn', refusal: 'I cannot help with that.' }, 'm', 'r');
    expect(refused.stop_reason).toBe('refusal');
    expect(refused.content).toEqual([{ type: 'text', text: 'I cannot help with that.' }]);
  });

  it('counts cache writes without a breakdown as 5m, and reads thinking tokens', () => {
    const r = parseMessage({
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'claude-up',
      content: [{ type: 'text', text: 'hi', citations: null }],
      stop_reason: 'model_context_window_exceeded',
      stop_sequence: null,
      usage: {
        input_tokens: 3,
        output_tokens: 9,
        cache_creation_input_tokens: 1500,
        cache_read_input_tokens: null,
        output_tokens_details: { thinking_tokens: 4 },
      },
    });
    expect(r.usage).toEqual({ inputTokens: 3, cacheReadTokens: 0, cacheWrite5mTokens: 1500, cacheWrite1hTokens: 0, outputTokens: 9, reasoningTokens: 4 });
    expect(r.stopReason).toBe('max_tokens');
    expect(r.model).toBe('claude-up');
  });

  it.each([
    ['not an object', 'oops'],
    ['no usage', { id: 'msg_1', content: [], stop_reason: 'end_turn' }],
    ['unknown stop reason', { id: 'msg_1', content: [], stop_reason: 'weird', usage: { input_tokens: 1, output_tokens: 1 } }],
    [
      'unsupported block',
      { id: 'msg_1', content: [{ type: 'server_tool_use', id: 'x' }], stop_reason: 'end_turn', usage: { input_tokens: 1, output_tokens: 1 } },
    ],
    ['text without text', { id: 'msg_1', content: [{ type: 'text' }], stop_reason: 'end_turn', usage: { input_tokens: 1, output_tokens: 1 } }],
  ])('rejects a malformed upstream message (%s) as upstream_error', (_name, body) => {
    let err: unknown;
    try {
      parseMessage(body, { provider: 'anthropic-main' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).kind).toBe('upstream_error');
    expect((err as GatewayError).provider).toBe('anthropic-main');
  });
});

describe('the official SDK reads a rendered message', () => {
  it('messages.create returns the rendered body', async () => {
    const rendered = renderMessage(
      {
        id: 'msg_01',
        model: 'up',
        content: [{ type: 'text', text: 'Hello!' }],
        stopReason: 'end_turn',
        stopSequence: null,
        usage: { inputTokens: 5, cacheReadTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, outputTokens: 2, reasoningTokens: 0 },
        created: 0,
      },
      'claude-public',
      'req_1',
    );
    const client = new Anthropic({
      apiKey: 'test',
      maxRetries: 0,
      fetch: () => Promise.resolve(new Response(JSON.stringify(rendered), { headers: { 'content-type': 'application/json', 'request-id': 'req_1' } })),
    });
    const msg = await client.messages.create({ model: 'claude-public', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] });
    expect(msg.content).toEqual([{ type: 'text', text: 'Hello!' }]);
    expect(msg.usage.input_tokens).toBe(5);
    expect(msg._request_id).toBe('req_1');
  });
});
