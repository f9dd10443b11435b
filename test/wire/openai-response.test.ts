import fc from 'fast-check';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { CanonicalResponse, StopReason, Usage } from '../../src/core/canonical.js';
import { GatewayError } from '../../src/core/errors.js';
import { parseChatCompletion, renderChatCompletion } from '../../src/wire/openai/response.js';

const usage: Usage = {
  inputTokens: 100,
  cacheReadTokens: 1024,
  cacheWrite5mTokens: 10,
  cacheWrite1hTokens: 5,
  outputTokens: 50,
  reasoningTokens: 20,
};

const resp: CanonicalResponse = {
  id: 'msg_01',
  model: 'claude-sonnet-4-5',
  content: [
    { type: 'thinking', text: 'let me see' },
    { type: 'text', text: 'Hello, ' },
    { type: 'text', text: 'world' },
    { type: 'tool_call', id: 'toolu_1', name: 'lookup', arguments: '{"q":"x"}' },
  ],
  stopReason: 'tool_use',
  stopSequence: null,
  usage,
  created: 1_700_000_000,
};

describe('renderChatCompletion', () => {
  it('renders a chat.completion object', () => {
    expect(renderChatCompletion(resp, 'smart', 'req123')).toEqual({
      id: 'chatcmpl-req123',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'smart',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Hello, world',
            refusal: null,
            annotations: [],
            tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }],
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
      usage: {
        prompt_tokens: 1139,
        completion_tokens: 50,
        total_tokens: 1189,
        prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0, cache_write_tokens: 15 },
        completion_tokens_details: { reasoning_tokens: 20, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
      },
      service_tier: 'default',
      system_fingerprint: null,
    });
  });

  it('keeps chatcmpl- ids, null content for tool-only answers, refusal, and omits cache_write_tokens at 0', () => {
    const out = renderChatCompletion(
      {
        ...resp,
        id: 'chatcmpl-abc',
        content: [{ type: 'tool_call', id: 'a', name: 'f', arguments: '{}' }],
        usage: { ...usage, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0 },
      },
      'm',
      'r',
    ) as { id: string; choices: Array<{ message: { content: unknown } }>; usage: { prompt_tokens_details: object } };
    expect(out.id).toBe('chatcmpl-abc');
    expect(out.choices[0]?.message.content).toBeNull();
    expect(out.usage.prompt_tokens_details).toEqual({ cached_tokens: 1024, audio_tokens: 0 });
    const refused = renderChatCompletion({ ...resp, content: [], refusal: 'no', stopReason: 'refusal' }, 'm', 'r') as {
      choices: Array<{ message: { content: unknown; refusal: unknown }; finish_reason: string }>;
    };
    expect(refused.choices[0]).toMatchObject({ message: { content: null, refusal: 'no' }, finish_reason: 'content_filter' });
  });

  it('is what the openai SDK returns unchanged', async () => {
    const rendered = renderChatCompletion(resp, 'smart', 'req123');
    const client = new OpenAI({
      apiKey: 'k',
      baseURL: 'http://gateway.invalid/v1',
      fetch: () => Promise.resolve(new Response(JSON.stringify(rendered), { headers: { 'content-type': 'application/json' } })),
    });
    const got = await client.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'x' }] });
    expect(got).toEqual(rendered);
  });
});

describe('parseChatCompletion', () => {
  it('parses an OpenAI body', () => {
    const parsed = parseChatCompletion({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 5,
      model: 'gpt-4o-2024-08-06',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'hi', refusal: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] },
          finish_reason: 'tool_calls',
        },
      ],
      usage: {
        prompt_tokens: 2000,
        completion_tokens: 30,
        total_tokens: 2030,
        prompt_tokens_details: { cached_tokens: 1024, cache_write_tokens: 100 },
        completion_tokens_details: { reasoning_tokens: 12 },
      },
    });
    expect(parsed).toEqual({
      id: 'chatcmpl-1',
      model: 'gpt-4o-2024-08-06',
      content: [
        { type: 'text', text: 'hi' },
        { type: 'tool_call', id: 'c', name: 'f', arguments: '{}' },
      ],
      stopReason: 'tool_use',
      stopSequence: null,
      usage: { inputTokens: 876, cacheReadTokens: 1024, cacheWrite5mTokens: 100, cacheWrite1hTokens: 0, outputTokens: 30, reasoningTokens: 12 },
      created: 5,
    });
  });

  it('reads compatible-server extras: reasoning_content, object arguments, DeepSeek cache hits, missing usage', () => {
    const parsed = parseChatCompletion({
      choices: [
        { message: { content: 'x', reasoning_content: 'think', tool_calls: [{ id: 'c', function: { name: 'f', arguments: { a: 1 } } }] }, finish_reason: null },
      ],
      usage: { prompt_tokens: 10, completion_tokens: 2, prompt_cache_hit_tokens: 4 },
    });
    expect(parsed.content).toEqual([
      { type: 'thinking', text: 'think' },
      { type: 'text', text: 'x' },
      { type: 'tool_call', id: 'c', name: 'f', arguments: '{"a":1}' },
    ]);
    expect(parsed.stopReason).toBe('end_turn');
    expect(parsed.usage).toMatchObject({ inputTokens: 6, cacheReadTokens: 4 });
    expect(parseChatCompletion({ choices: [{ message: { content: 'x' }, finish_reason: 'length' }] }).usage.outputTokens).toBe(0);
  });

  it.each([
    ['not an object', 'oops', /not a JSON object/],
    ['no choices', { choices: [] }, /choices\[0\]/],
    ['no message', { choices: [{}] }, /message/],
    ['content type', { choices: [{ message: { content: 5 } }] }, /content is not a string/],
    ['usage type', { choices: [{ message: { content: 'x' } }], usage: 'lots' }, /usage is not an object/],
    ['usage count', { choices: [{ message: { content: 'x' } }], usage: { prompt_tokens: '3' } }, /usage.prompt_tokens/],
    ['tool call name', { choices: [{ message: { tool_calls: [{ function: { arguments: '{}' } }] } }] }, /function.name/],
  ])('a malformed body (%s) is an upstream_error', (_name, body, message) => {
    let err: unknown;
    try {
      parseChatCompletion(body, 'acme');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).kind).toBe('upstream_error');
    expect((err as GatewayError).status).toBe(502);
    expect((err as GatewayError).provider).toBe('acme');
    expect((err as GatewayError).message).toMatch(message);
  });
});

// ---- Property: parse(render(r)) preserves content, stop reason and usage ----
// Documented lossy mappings: text parts are concatenated and empty text vanishes; thinking parts are
// not rendered; stop_sequence / pause_turn → end_turn, refusal → content_filter; stopSequence → null;
// 1-hour cache writes come back as 5-minute writes.

const count = fc.integer({ min: 0, max: 1_000_000 });
const usageArb: fc.Arbitrary<Usage> = fc
  .record({ inputTokens: count, cacheReadTokens: count, cacheWrite5mTokens: count, cacheWrite1hTokens: count, outputTokens: count, reasoningTokens: count })
  .map((u) => ({ ...u, reasoningTokens: Math.min(u.reasoningTokens, u.outputTokens) }));
const ident = fc.stringMatching(/^[a-zA-Z0-9_-]{1,12}$/);
const part = fc.oneof(
  fc.record({ type: fc.constant('text' as const), text: fc.string({ maxLength: 20 }) }),
  fc.record({ type: fc.constant('thinking' as const), text: fc.string({ maxLength: 20 }) }),
  fc.record({ type: fc.constant('tool_call' as const), id: ident, name: ident, arguments: fc.json() }),
);
const stopReasons: StopReason[] = ['end_turn', 'max_tokens', 'stop_sequence', 'tool_use', 'content_filter', 'refusal', 'pause_turn'];
const responseArb: fc.Arbitrary<CanonicalResponse> = fc.record({
  id: ident.map((s) => `chatcmpl-${s}`),
  model: ident,
  content: fc.array(part, { maxLength: 5 }),
  stopReason: fc.constantFrom(...stopReasons),
  stopSequence: fc.option(fc.string({ maxLength: 5 }), { nil: null }),
  usage: usageArb,
  created: fc.integer({ min: 0, max: 2_000_000_000 }),
});

function expectedStopReason(r: StopReason): StopReason {
  if (r === 'stop_sequence' || r === 'pause_turn') return 'end_turn';
  if (r === 'refusal') return 'content_filter';
  return r;
}

function expectedUsage(u: Usage): Usage {
  return { ...u, cacheWrite5mTokens: u.cacheWrite5mTokens + u.cacheWrite1hTokens, cacheWrite1hTokens: 0 };
}

describe('round trip', () => {
  it('parseChatCompletion(renderChatCompletion(r)) keeps content, stop reason and usage', () => {
    fc.assert(
      fc.property(responseArb, (r) => {
        const back = parseChatCompletion(renderChatCompletion(r, 'public', 'rid'));
        const text = r.content.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('');
        const calls = r.content.filter((p) => p.type === 'tool_call');
        expect(back.content).toEqual([...(text !== '' ? [{ type: 'text', text }] : []), ...calls]);
        expect(back.stopReason).toBe(expectedStopReason(r.stopReason));
        expect(back.usage).toEqual(expectedUsage(r.usage));
        expect(back.id).toBe(r.id);
        expect(back.model).toBe('public');
        expect(back.created).toBe(r.created);
      }),
      { numRuns: 300 },
    );
  });
});
