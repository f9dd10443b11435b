// Anthropic Messages requests: ingress parsing, egress bodies, and the round trip between them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CanonicalRequest } from '../../src/core/canonical.js';
import { GatewayError } from '../../src/core/errors.js';
import {
  DEFAULT_MAX_TOKENS,
  parseCountTokensRequest,
  parseMessagesRequest,
  toCountTokensRequestBody,
  toMessagesRequestBody,
} from '../../src/wire/anthropic/request.js';

type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Arbitraries: valid Anthropic bodies in a normalised subset.
// ---------------------------------------------------------------------------------------------

const cacheControl = fc.option(
  fc.oneof(
    fc.constant({ type: 'ephemeral' }),
    fc.constantFrom('5m', '1h').map((ttl) => ({ type: 'ephemeral', ttl })),
  ),
  { nil: undefined },
);

function withCc<T extends Json>(block: T, cc: Json | undefined): T {
  return cc === undefined ? block : { ...block, cache_control: cc };
}

const text = fc.string({ maxLength: 20 });
const textBlock = fc.tuple(text, cacheControl).map(([t, cc]) => withCc({ type: 'text', text: t }, cc));
const imageBlock = fc
  .tuple(
    fc.oneof(
      fc.record({ type: fc.constant('base64'), media_type: fc.constantFrom('image/png', 'image/jpeg'), data: fc.base64String({ maxLength: 16 }) }),
      fc.record({ type: fc.constant('url'), url: fc.webUrl() }),
    ),
    cacheControl,
  )
  .map(([source, cc]) => withCc({ type: 'image', source }, cc));

const id = fc.stringMatching(/^toolu_[a-zA-Z0-9]{1,8}$/);
const safeKey = fc.string({ maxLength: 6 }).filter((k) => k !== '__proto__');
const toolInput = fc.dictionary(safeKey, fc.jsonValue(), { maxKeys: 4 }).map((o) => JSON.parse(JSON.stringify(o)) as Json);
const toolUseBlock = fc
  .tuple(id, fc.stringMatching(/^[a-z_]{1,10}$/), toolInput, cacheControl)
  .map(([i, name, input, cc]) => withCc({ type: 'tool_use', id: i, name, input }, cc));
const toolResultBlock = fc
  .tuple(
    id,
    fc.option(fc.oneof(text, fc.array(fc.oneof(textBlock, imageBlock), { minLength: 1, maxLength: 3 })), { nil: undefined }),
    fc.option(fc.boolean(), { nil: undefined }),
    cacheControl,
  )
  .map(([i, content, isError, cc]) => {
    const block: Json = { type: 'tool_result', tool_use_id: i };
    if (content !== undefined) block.content = content;
    if (isError !== undefined) block.is_error = isError;
    return withCc(block, cc);
  });
const thinkingBlock = fc.record({ type: fc.constant('thinking'), thinking: text, signature: fc.base64String({ minLength: 4, maxLength: 24 }) });
const redactedBlock = fc.record({ type: fc.constant('redacted_thinking'), data: fc.base64String({ minLength: 4, maxLength: 24 }) });

const userContent = fc.oneof(text, fc.array(fc.oneof(textBlock, imageBlock, toolResultBlock), { maxLength: 4 }));
const assistantContent = fc.oneof(text, fc.array(fc.oneof(textBlock, toolUseBlock, thinkingBlock, redactedBlock), { maxLength: 4 }));

const messages = fc.array(fc.tuple(userContent, assistantContent), { minLength: 1, maxLength: 3 }).chain((turns) =>
  fc.boolean().map((endWithUser) => {
    const out: Json[] = [];
    turns.forEach(([u, a], i) => {
      out.push({ role: 'user', content: u });
      if (i < turns.length - 1 || !endWithUser) out.push({ role: 'assistant', content: a });
    });
    return out;
  }),
);

const tool = fc
  .record(
    {
      name: fc.stringMatching(/^[a-z_]{1,10}$/),
      description: text,
      input_schema: fc.record({ type: fc.constant('object'), properties: fc.dictionary(safeKey, fc.constant({ type: 'string' }), { maxKeys: 3 }) }),
      cache_control: cacheControl,
      strict: fc.boolean(),
      type: fc.constant('custom'),
    },
    { requiredKeys: ['name', 'input_schema'] },
  )
  .map((t) => JSON.parse(JSON.stringify(t)) as Json);

const toolChoice = fc.oneof(
  fc.constant({ type: 'none' }),
  fc.record({ type: fc.constantFrom('auto', 'any'), disable_parallel_tool_use: fc.boolean() }, { requiredKeys: ['type'] }),
  fc.record(
    { type: fc.constant('tool'), name: fc.stringMatching(/^[a-z]{1,6}$/), disable_parallel_tool_use: fc.boolean() },
    { requiredKeys: ['type', 'name'] },
  ),
);

const unit = fc.integer({ min: 0, max: 100 }).map((n) => n / 100);

const body = fc.record(
  {
    model: fc.constantFrom('claude-sonnet-4-5', 'claude-haiku-4-5'),
    max_tokens: fc.integer({ min: 1, max: 64_000 }),
    messages,
    system: fc.oneof(text, fc.array(textBlock, { maxLength: 3 })),
    tools: fc.array(tool, { maxLength: 3 }),
    tool_choice: toolChoice,
    stop_sequences: fc.array(fc.string({ minLength: 1, maxLength: 5 }), { maxLength: 3 }),
    temperature: unit,
    top_p: unit,
    top_k: fc.integer({ min: 1, max: 500 }),
    stream: fc.boolean(),
    metadata: fc.record({ user_id: fc.string({ maxLength: 10 }) }),
    thinking: fc.oneof(
      fc.integer({ min: 1024, max: 32_000 }).map((budget_tokens) => ({ type: 'enabled', budget_tokens })),
      fc.constant({ type: 'disabled' }),
    ),
    cache_control: cacheControl.filter((c) => c !== undefined),
    service_tier: fc.constantFrom('auto', 'standard_only'),
    container: fc.string({ maxLength: 8 }),
  },
  { requiredKeys: ['model', 'max_tokens', 'messages'] },
);

// ---------------------------------------------------------------------------------------------
// The documented normalisation egress applies to a parsed body.
// ---------------------------------------------------------------------------------------------

/** A one-element list of a plain (uncached) text block is sent as a string. */
function compact(content: unknown): unknown {
  if (Array.isArray(content) && content.length === 1) {
    const only = content[0] as Json;
    if (only.type === 'text' && only.cache_control === undefined) return only.text;
  }
  return content;
}

function normalise(input: Json): Json {
  const b = structuredClone(input);
  delete b.stream; // sent per the call's `stream` option
  if (b.system !== undefined) {
    b.system = compact(b.system);
    if (Array.isArray(b.system) && b.system.length === 0) delete b.system; // [] = no system
  }
  b.messages = (b.messages as Json[]).map((m) => {
    const content = Array.isArray(m.content)
      ? (m.content as Json[]).map((block) => {
          if (block.type !== 'tool_result') return block;
          const out = { ...block };
          if (Array.isArray(out.content) && out.content.length === 0) delete out.content;
          else if (out.content !== undefined) out.content = compact(out.content);
          return out;
        })
      : m.content;
    return { ...m, content: compact(content) };
  });
  if (Array.isArray(b.tools)) {
    b.tools = (b.tools as Json[]).map((t) => {
      const { type: _custom, ...rest } = t;
      return rest;
    });
  }
  return b;
}

describe('Anthropic request round trip', () => {
  it('toMessagesRequestBody(parseMessagesRequest(body)) equals the normalised body', () => {
    fc.assert(
      fc.property(body, (b) => {
        const warnings: string[] = [];
        const out = toMessagesRequestBody(parseMessagesRequest(b), b.model, warnings, { stream: false });
        expect(out).toEqual(normalise(b));
        expect(warnings).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('carries eager_input_streaming (fine-grained tool streaming, sent by the AI SDK) to Anthropic', () => {
    const tool = { name: 'x', input_schema: { type: 'object' }, eager_input_streaming: true };
    const minimal = { model: 'claude-x', max_tokens: 100, messages: [{ role: 'user', content: 'Hello' }] };
    const req = parseMessagesRequest({ ...minimal, tools: [tool] });
    expect(req.tools![0]!.eagerInputStreaming).toBe(true);
    expect(toMessagesRequestBody(req, 'up', [], { stream: true }).tools).toEqual([tool]);
    expect(() => parseMessagesRequest({ ...minimal, tools: [{ ...tool, eager_input_streaming: 'yes' }] })).toThrow(/tools\[0\]\.eager_input_streaming/);
  });

  it('sends stream: true only when asked', () => {
    const req = parseMessagesRequest({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] });
    expect(toMessagesRequestBody(req, 'up', [], { stream: true }).stream).toBe(true);
    expect(toMessagesRequestBody(req, 'up', [], { stream: false })).not.toHaveProperty('stream');
  });
});

describe('parseMessagesRequest', () => {
  const minimal = { model: 'claude-x', max_tokens: 100, messages: [{ role: 'user', content: 'Hello' }] };

  it('translates a full request', () => {
    const req = parseMessagesRequest({
      ...minimal,
      system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral', ttl: '1h' } }],
      messages: [
        { role: 'user', content: 'What is the weather?' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Use the tool.', signature: 'c2ln' },
            { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Paris' } },
          ],
        },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'Sunny', is_error: false, cache_control: { type: 'ephemeral' } }],
        },
      ],
      tools: [{ name: 'weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      stop_sequences: ['END'],
      temperature: 0.5,
      top_p: 0.9,
      top_k: 40,
      stream: true,
      metadata: { user_id: 'u-1' },
      thinking: { type: 'enabled', budget_tokens: 2048 },
      cache_control: { type: 'ephemeral' },
      service_tier: 'auto',
    });
    const expected: CanonicalRequest = {
      model: 'claude-x',
      system: [{ type: 'text', text: 'Be brief.', cacheControl: { type: 'ephemeral', ttl: '1h' } }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'What is the weather?' }] },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', text: 'Use the tool.', signature: 'c2ln' },
            { type: 'tool_call', id: 'toolu_1', name: 'weather', arguments: '{"city":"Paris"}' },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', toolCallId: 'toolu_1', content: [{ type: 'text', text: 'Sunny' }], isError: false, cacheControl: { type: 'ephemeral' } },
          ],
        },
      ],
      maxTokens: 100,
      temperature: 0.5,
      topP: 0.9,
      topK: 40,
      stop: ['END'],
      tools: [{ name: 'weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }],
      toolChoice: { type: 'required' },
      parallelToolCalls: false,
      stream: true,
      streamUsage: false,
      user: 'u-1',
      thinking: { type: 'enabled', budgetTokens: 2048 },
      cacheControl: { type: 'ephemeral' },
      passthrough: { format: 'anthropic', fields: { service_tier: 'auto' } },
    };
    expect(req).toEqual(expected);
  });

  it('keeps a thinking config of another shape verbatim in passthrough', () => {
    const req = parseMessagesRequest({ ...minimal, thinking: { type: 'adaptive' } });
    expect(req.thinking).toBeUndefined();
    expect(req.passthrough.fields).toEqual({ thinking: { type: 'adaptive' } });
    expect(toMessagesRequestBody(req, 'up', [], { stream: false }).thinking).toEqual({ type: 'adaptive' });
  });

  it('treats null optional fields as absent', () => {
    const req = parseMessagesRequest({ ...minimal, temperature: null, system: null, tools: null, metadata: { user_id: null } });
    expect(req.temperature).toBeUndefined();
    expect(req.system).toEqual([]);
    expect(req.tools).toBeUndefined();
    expect(req.user).toBeUndefined();
  });

  it('parseCountTokensRequest does not require max_tokens', () => {
    const req = parseCountTokensRequest({ model: 'claude-x', messages: [{ role: 'user', content: 'Hello' }] });
    expect(req.maxTokens).toBeUndefined();
    expect(() => parseMessagesRequest({ model: 'claude-x', messages: [{ role: 'user', content: 'Hello' }] })).toThrow('max_tokens: Field required');
  });

  function rejection(b: unknown, parse = parseMessagesRequest): GatewayError {
    try {
      parse(b);
    } catch (err) {
      expect(err).toBeInstanceOf(GatewayError);
      return err as GatewayError;
    }
    throw new Error('expected the request to be rejected');
  }

  const cases: Array<[string, unknown, string, string]> = [
    ['body not an object', [], '', 'request body: Input should be a valid dictionary'],
    ['missing model', { max_tokens: 1, messages: minimal.messages }, 'model', 'model: Field required'],
    ['missing max_tokens', { model: 'm', messages: minimal.messages }, 'max_tokens', 'max_tokens: Field required'],
    ['zero max_tokens', { ...minimal, max_tokens: 0 }, 'max_tokens', 'max_tokens: Input should be greater than or equal to 1'],
    ['fractional max_tokens', { ...minimal, max_tokens: 1.5 }, 'max_tokens', 'max_tokens: Input should be a valid integer'],
    ['missing messages', { model: 'm', max_tokens: 1 }, 'messages', 'messages: Field required'],
    ['empty messages', { ...minimal, messages: [] }, 'messages', 'messages: List should have at least 1 item after validation, not 0'],
    ['bad role', { ...minimal, messages: [{ role: 'system', content: 'x' }] }, 'messages[0].role', "messages[0].role: Input should be 'user' or 'assistant'"],
    [
      'extra message key',
      { ...minimal, messages: [{ role: 'user', content: 'x', name: 'bob' }] },
      'messages[0].name',
      'messages[0].name: Extra inputs are not permitted',
    ],
    ['missing content', { ...minimal, messages: [{ role: 'user' }] }, 'messages[0].content', 'messages[0].content: Field required'],
    [
      'document block',
      {
        ...minimal,
        messages: [
          { role: 'user', content: 'a' },
          { role: 'assistant', content: 'b' },
          { role: 'user', content: [{ type: 'document', source: {} }] },
        ],
      },
      'messages[2].content[0].type',
      "messages[2].content[0].type: content block type 'document' is not supported by costwise",
    ],
    [
      'search_result block in a tool result',
      { ...minimal, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'search_result' }] }] }] },
      'messages[0].content[0].content[0].type',
      "messages[0].content[0].content[0].type: tool_result content block type 'search_result' is not supported by costwise",
    ],
    [
      'text without text',
      { ...minimal, messages: [{ role: 'user', content: [{ type: 'text' }] }] },
      'messages[0].content[0].text',
      'messages[0].content[0].text: Field required',
    ],
    [
      'tool_use input not an object',
      { ...minimal, messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'n', input: '{}' }] }] },
      'messages[0].content[0].input',
      'messages[0].content[0].input: Input should be a valid dictionary',
    ],
    [
      'image from a file',
      { ...minimal, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'f' } }] }] },
      'messages[0].content[0].source.type',
      "messages[0].content[0].source.type: image source type 'file' is not supported by costwise",
    ],
    [
      'bad cache ttl',
      { ...minimal, messages: [{ role: 'user', content: [{ type: 'text', text: 'x', cache_control: { type: 'ephemeral', ttl: '2h' } }] }] },
      'messages[0].content[0].cache_control.ttl',
      "messages[0].content[0].cache_control.ttl: Input should be '5m' or '1h'",
    ],
    [
      'thinking with cache_control',
      { ...minimal, messages: [{ role: 'assistant', content: [{ type: 'thinking', thinking: 'x', signature: 's', cache_control: { type: 'ephemeral' } }] }] },
      'messages[0].content[0].cache_control',
      'messages[0].content[0].cache_control: Extra inputs are not permitted',
    ],
    ['system of images', { ...minimal, system: [{ type: 'image' }] }, 'system[0].type', "system[0].type: Input should be 'text'"],
    [
      'server tool',
      { ...minimal, tools: [{ type: 'web_search_20250305', name: 'web_search' }] },
      'tools[0].type',
      "tools[0].type: server tool 'web_search_20250305' is not supported by costwise",
    ],
    ['tool without schema', { ...minimal, tools: [{ name: 'x' }] }, 'tools[0].input_schema', 'tools[0].input_schema: Field required'],
    [
      'tool field costwise cannot carry',
      { ...minimal, tools: [{ name: 'x', input_schema: { type: 'object' }, defer_loading: true }] },
      'tools[0].defer_loading',
      "tools[0].defer_loading: tool field 'defer_loading' is not supported by costwise",
    ],
    [
      'tool_choice type',
      { ...minimal, tool_choice: { type: 'required' } },
      'tool_choice.type',
      "tool_choice.type: Input tag should be 'auto', 'any', 'tool' or 'none'",
    ],
    ['tool_choice tool without name', { ...minimal, tool_choice: { type: 'tool' } }, 'tool_choice.name', 'tool_choice.name: Field required'],
    ['temperature above 1', { ...minimal, temperature: 1.5 }, 'temperature', 'temperature: Input should be less than or equal to 1'],
    ['top_p as a string', { ...minimal, top_p: '0.5' }, 'top_p', 'top_p: Input should be a valid number'],
    ['stop sequence not a string', { ...minimal, stop_sequences: ['a', 3] }, 'stop_sequences[1]', 'stop_sequences[1]: Input should be a valid string'],
    ['stream not a boolean', { ...minimal, stream: 'yes' }, 'stream', 'stream: Input should be a valid boolean'],
    ['metadata extra key', { ...minimal, metadata: { user: 'x' } }, 'metadata.user', 'metadata.user: Extra inputs are not permitted'],
    [
      'thinking budget too small',
      { ...minimal, thinking: { type: 'enabled', budget_tokens: 100 } },
      'thinking.budget_tokens',
      'thinking.budget_tokens: Input should be greater than or equal to 1024',
    ],
    [
      'top-level cache_control type',
      { ...minimal, cache_control: { type: 'persistent' } },
      'cache_control.type',
      "cache_control.type: Input should be 'ephemeral'",
    ],
  ];

  it.each(cases)('rejects %s naming the exact param', (_name, b, param, message) => {
    const err = rejection(b);
    expect(err.kind).toBe('invalid_request');
    expect(err.status).toBe(400);
    expect(err.param).toBe(param === '' ? null : param);
    expect(err.message).toBe(message);
  });
});

describe('toMessagesRequestBody (egress)', () => {
  function canonical(over: Partial<CanonicalRequest>): CanonicalRequest {
    return {
      model: 'gpt-public',
      system: [],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
      stream: false,
      streamUsage: false,
      passthrough: { format: 'openai', fields: {} },
      ...over,
    };
  }

  it(`defaults max_tokens to ${DEFAULT_MAX_TOKENS} without a warning`, () => {
    const warnings: string[] = [];
    const body = toMessagesRequestBody(canonical({}), 'claude-up', warnings, { stream: false });
    expect(body).toEqual({ model: 'claude-up', max_tokens: 4096, messages: [{ role: 'user', content: 'Hi' }] });
    expect(warnings).toEqual([]);
  });

  it('reports every field anthropic cannot take', () => {
    const warnings: string[] = [];
    const body = toMessagesRequestBody(
      canonical({
        responseFormat: { type: 'json_schema', name: 'x', schema: { type: 'object' } },
        seed: 7,
        reasoningEffort: 'high',
        promptCacheKey: 'k',
        messages: [{ role: 'user', name: 'alice', content: [{ type: 'image', source: { kind: 'url', url: 'https://x/y.png' }, detail: 'low' }] }],
        passthrough: { format: 'openai', fields: { logprobs: true, n: 2 } },
      }),
      'claude-up',
      warnings,
      { stream: false },
    );
    expect(warnings).toEqual([
      '"logprobs" is not supported by anthropic and was not sent',
      '"n" is not supported by anthropic and was not sent',
      '"messages[].name" is not supported by anthropic and was not sent',
      '"image_url.detail" is not supported by anthropic and was not sent',
      '"response_format" is not supported by anthropic and was not sent',
      '"seed" is not supported by anthropic and was not sent',
      '"reasoning_effort" is not supported by anthropic and was not sent',
    ]);
    expect(body).not.toHaveProperty('logprobs');
    expect(body).not.toHaveProperty('seed');
  });

  it('passes same-format passthrough fields through verbatim', () => {
    const body = toMessagesRequestBody(
      canonical({ passthrough: { format: 'anthropic', fields: { service_tier: 'auto', mcp_servers: [{ name: 'x' }] } } }),
      'up',
      [],
      { stream: false },
    );
    expect(body.service_tier).toBe('auto');
    expect(body.mcp_servers).toEqual([{ name: 'x' }]);
  });

  it('refuses a temperature above 1 instead of clamping it', () => {
    expect(() => toMessagesRequestBody(canonical({ temperature: 1.4 }), 'up', [], { stream: false })).toThrow(
      expect.objectContaining({ kind: 'invalid_request', param: 'temperature', message: 'temperature: 1.4 is above the maximum 1 of the served model' }),
    );
  });

  it('merges consecutive same-role messages, tool results first', () => {
    const body = toMessagesRequestBody(
      canonical({
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
          { role: 'assistant', content: [{ type: 'tool_call', id: 'c1', name: 'w', arguments: '{"city":"Paris"}' }] },
          { role: 'assistant', content: [{ type: 'tool_call', id: 'c2', name: 'w', arguments: '{"city":"Rome"}' }] },
          { role: 'user', content: [{ type: 'text', text: 'quick please' }] },
          { role: 'user', content: [{ type: 'tool_result', toolCallId: 'c1', content: [{ type: 'text', text: 'Sunny' }] }] },
          { role: 'user', content: [{ type: 'tool_result', toolCallId: 'c2', content: [], isError: true }] },
        ],
      }),
      'up',
      [],
      { stream: false },
    );
    expect(body.messages).toEqual([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'c1', name: 'w', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'c2', name: 'w', input: { city: 'Rome' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'c1', content: 'Sunny' },
          { type: 'tool_result', tool_use_id: 'c2', is_error: true },
          { type: 'text', text: 'quick please' },
        ],
      },
    ]);
  });

  it('sends invalid tool-call arguments as {} with a warning', () => {
    const warnings: string[] = [];
    const body = toMessagesRequestBody(
      canonical({
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'x' }] },
          { role: 'assistant', content: [{ type: 'tool_call', id: 'c1', name: 'w', arguments: '{"city": "Par' }] },
        ],
      }),
      'up',
      warnings,
      { stream: false },
    );
    expect((body.messages as Json[])[1]).toEqual({ role: 'assistant', content: [{ type: 'tool_use', id: 'c1', name: 'w', input: {} }] });
    expect(warnings).toEqual(['tool call "c1" arguments are not a JSON object; sent to anthropic as {}']);
  });

  it('drops unsigned thinking with a warning and restores redacted thinking', () => {
    const warnings: string[] = [];
    const req = parseMessagesRequest({
      model: 'm',
      max_tokens: 10,
      messages: [
        { role: 'user', content: 'x' },
        {
          role: 'assistant',
          content: [
            { type: 'redacted_thinking', data: 'ZW5j' },
            { type: 'text', text: 'ok' },
          ],
        },
      ],
    });
    req.messages[1]!.content.unshift({ type: 'thinking', text: 'from elsewhere' });
    const body = toMessagesRequestBody(req, 'up', warnings, { stream: false });
    expect((body.messages as Json[])[1]!.content).toEqual([
      { type: 'redacted_thinking', data: 'ZW5j' },
      { type: 'text', text: 'ok' },
    ]);
    expect(warnings).toEqual(['thinking blocks without a signature are not accepted by anthropic and were not sent']);
  });

  it('maps tool choice, parallel calls, user, data URLs and schemas without a type', () => {
    const body = toMessagesRequestBody(
      canonical({
        user: 'end-user-1',
        parallelToolCalls: false,
        tools: [{ name: 'noop', parameters: {} }],
        messages: [{ role: 'user', content: [{ type: 'image', source: { kind: 'url', url: 'data:image/png;base64,iVBORw0K' } }] }],
        stop: ['\n\n'],
        topP: 0.5,
      }),
      'up',
      [],
      { stream: false },
    );
    expect(body.metadata).toEqual({ user_id: 'end-user-1' });
    expect(body.tool_choice).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    expect(body.tools).toEqual([{ name: 'noop', input_schema: { type: 'object' } }]);
    expect(body.messages).toEqual([{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0K' } }] }]);
    expect(body.stop_sequences).toEqual(['\n\n']);
    expect(body.top_p).toBe(0.5);

    const required = toMessagesRequestBody(canonical({ toolChoice: { type: 'required' }, parallelToolCalls: true }), 'up', [], { stream: false });
    expect(required.tool_choice).toEqual({ type: 'any', disable_parallel_tool_use: false });
  });

  it('builds a count_tokens body with only the fields that change the count', () => {
    const req = parseMessagesRequest({
      model: 'claude-x',
      max_tokens: 100,
      temperature: 0.2,
      stop_sequences: ['x'],
      metadata: { user_id: 'u' },
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Hello' }],
      tools: [{ name: 't', input_schema: { type: 'object' } }],
      thinking: { type: 'enabled', budget_tokens: 2000 },
      service_tier: 'auto',
    });
    expect(toCountTokensRequestBody(req, 'claude-up', [])).toEqual({
      model: 'claude-up',
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Hello' }],
      tools: [{ name: 't', input_schema: { type: 'object' } }],
      thinking: { type: 'enabled', budget_tokens: 2000 },
    });
  });
});
