// toChatRequestJson writes the upstream body directly for common requests: it must give the bytes
// and warnings of JSON.stringify(toChatRequestBody(...)) for every request, common or not.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CanonicalMessage, CanonicalRequest, ContentPart, TextPart } from '../../src/core/canonical.js';
import { parseChatRequest, toChatRequestBody, toChatRequestJson, type ChatRequestBodyOptions } from '../../src/wire/openai/request.js';

function expectSame(req: CanonicalRequest, opts: ChatRequestBodyOptions): void {
  const w1: string[] = [];
  const w2: string[] = [];
  const general = JSON.stringify(toChatRequestBody(req, 'up-model', w1, opts));
  expect(toChatRequestJson(req, 'up-model', w2, opts)).toBe(general);
  expect(w2).toEqual(w1);
}

const text = fc.string({ maxLength: 12 });
const textPart: fc.Arbitrary<TextPart> = fc.record(
  { type: fc.constant('text' as const), text, cacheControl: fc.constant({ type: 'ephemeral' as const }) },
  { requiredKeys: ['type', 'text'] },
);
const otherPart: fc.Arbitrary<ContentPart> = fc.oneof(
  fc.record({ type: fc.constant('image' as const), source: fc.constant({ kind: 'url' as const, url: 'https://x/y.png' }) }),
  fc.record({ type: fc.constant('tool_call' as const), id: text, name: text, arguments: fc.constant('{}') }),
  fc.record({ type: fc.constant('tool_result' as const), toolCallId: text, content: fc.array(textPart, { maxLength: 2 }) }),
  fc.record({ type: fc.constant('thinking' as const), text }),
);
const message: fc.Arbitrary<CanonicalMessage> = fc.record(
  {
    role: fc.constantFrom('user' as const, 'assistant' as const),
    content: fc.array(fc.oneof({ weight: 6, arbitrary: textPart }, { weight: 1, arbitrary: otherPart }), { maxLength: 3 }),
    name: text,
  },
  { requiredKeys: ['role', 'content'] },
);
const json: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 2 }).filter((v) => v !== null);
const passthroughKey = fc.oneof(
  text,
  fc.constantFrom(
    'model',
    'messages',
    'max_tokens',
    'max_completion_tokens',
    'temperature',
    'stream',
    'stream_options',
    'user',
    'tools',
    'toString',
    'metadata',
  ),
);
const request: fc.Arbitrary<CanonicalRequest> = fc.record(
  {
    model: text,
    system: fc.array(textPart, { maxLength: 3 }),
    messages: fc.array(message, { minLength: 1, maxLength: 4 }),
    maxTokens: fc.integer({ min: 1, max: 100_000 }),
    temperature: fc.double({ min: 0, max: 2, noNaN: true }),
    topP: fc.double({ min: 0, max: 1, noNaN: true }),
    topK: fc.integer({ min: 1, max: 50 }),
    stop: fc.array(text, { maxLength: 2 }),
    seed: fc.integer(),
    parallelToolCalls: fc.boolean(),
    responseFormat: fc.constant({ type: 'json_object' as const }),
    stream: fc.boolean(),
    streamUsage: fc.boolean(),
    user: text,
    promptCacheKey: text,
    reasoningEffort: fc.constantFrom('low', 'high'),
    thinking: fc.constant({ type: 'disabled' as const }),
    passthrough: fc.record({ format: fc.constantFrom('openai' as const, 'anthropic' as const), fields: fc.dictionary(passthroughKey, json, { maxKeys: 3 }) }),
  },
  { requiredKeys: ['model', 'system', 'messages', 'stream', 'streamUsage', 'passthrough'] },
);
const options: fc.Arbitrary<ChatRequestBodyOptions> = fc.record(
  { stream: fc.boolean(), maxTokensField: fc.constantFrom('max_tokens' as const, 'max_completion_tokens' as const) },
  { requiredKeys: ['stream'] },
);

describe('toChatRequestJson', () => {
  it('equals JSON.stringify(toChatRequestBody(...)), warnings included, for any canonical request', () => {
    fc.assert(
      fc.property(request, options, (req, opts) => expectSame(req, opts)),
      { numRuns: 3000 },
    );
  });

  it('equals it for requests it writes itself (text only, OpenAI passthrough)', () => {
    const plainMessage = fc.record(
      { role: fc.constantFrom('user' as const, 'assistant' as const), content: fc.array(textPart, { minLength: 1, maxLength: 3 }), name: text },
      { requiredKeys: ['role', 'content'] },
    );
    const plain = request.chain((req) =>
      fc
        .record({ messages: fc.array(plainMessage, { minLength: 1, maxLength: 4 }), fields: fc.dictionary(passthroughKey, json, { maxKeys: 3 }) })
        .map(({ messages, fields }): CanonicalRequest => {
          const { responseFormat: _r, topK: _k, thinking: _t, ...rest } = req;
          return { ...rest, messages, passthrough: { format: 'openai', fields } };
        }),
    );
    fc.assert(
      fc.property(plain, options, (req, opts) => expectSame(req, opts)),
      { numRuns: 3000 },
    );
  });

  it('equals it for parsed OpenAI bodies (the common case it writes itself)', () => {
    const bodies = [
      {
        model: 'm',
        messages: [
          { role: 'system', content: 'sys "quoted" \u2028' },
          { role: 'user', content: 'hi\n' },
        ],
        max_tokens: 64,
      },
      {
        model: 'm',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'a' },
              { type: 'text', text: 'b' },
            ],
            name: 'ann',
          },
        ],
        temperature: 0,
        seed: 7,
      },
      {
        model: 'm',
        messages: [
          { role: 'user', content: 'q' },
          { role: 'assistant', content: '' },
          { role: 'user', content: 'again' },
        ],
        stream: true,
        user: 'u',
      },
      {
        model: 'm',
        messages: [
          { role: 'developer', content: [{ type: 'text', text: 'x' }] },
          { role: 'system', content: 'y' },
          { role: 'user', content: 'z' },
        ],
      },
      {
        model: 'm',
        messages: [{ role: 'user', content: 'p' }],
        logprobs: true,
        metadata: { a: [1, { b: null }] },
        store: false,
        prompt_cache_key: 'k',
        reasoning_effort: 'low',
      },
    ];
    for (const body of bodies) {
      const req = parseChatRequest(body);
      for (const stream of [false, true]) expectSame(req, { stream });
      expectSame(req, { stream: false, maxTokensField: 'max_tokens' });
    }
  });
});
