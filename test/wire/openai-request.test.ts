import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CanonicalRequest } from '../../src/core/canonical.js';
import { GatewayError } from '../../src/core/errors.js';
import { parseChatRequest, toChatRequestBody } from '../../src/wire/openai/request.js';

function errorOf(body: unknown): GatewayError {
  try {
    parseChatRequest(body);
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    return err as GatewayError;
  }
  throw new Error('expected parseChatRequest to throw');
}

const base = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] };

describe('parseChatRequest: translation', () => {
  it('maps a full request onto the canonical shape', () => {
    const req = parseChatRequest({
      model: 'gpt-4o',
      messages: [
        { role: 'developer', content: 'be brief' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } },
          ],
          name: 'ann',
        },
        { role: 'assistant', content: null, refusal: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'one' },
        { role: 'tool', tool_call_id: 'c2', content: [{ type: 'text', text: 'two' }] },
        { role: 'user', content: 'thanks' },
      ],
      max_tokens: 50,
      max_completion_tokens: 100,
      stop: 'END',
      n: 1,
      temperature: 0.5,
      top_p: 0.9,
      seed: 7,
      tools: [{ type: 'function', function: { name: 'f', description: 'd', parameters: { type: 'object' }, strict: true } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      parallel_tool_calls: false,
      response_format: { type: 'json_schema', json_schema: { name: 's', schema: { type: 'object' }, strict: true } },
      stream: true,
      stream_options: { include_usage: true },
      safety_identifier: 'u1',
      prompt_cache_key: 'k',
      reasoning_effort: 'low',
      logprobs: true,
      frequency_penalty: 0.2,
      metadata: { a: 'b' },
      presence_penalty: null,
    });
    const expected: CanonicalRequest = {
      model: 'gpt-4o',
      system: [{ type: 'text', text: 'be brief' }],
      messages: [
        {
          role: 'user',
          name: 'ann',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'AAAA' }, detail: 'low' },
          ],
        },
        { role: 'assistant', content: [{ type: 'tool_call', id: 'c1', name: 'f', arguments: '{"a":1}' }] },
        {
          role: 'user',
          content: [
            { type: 'tool_result', toolCallId: 'c1', content: [{ type: 'text', text: 'one' }] },
            { type: 'tool_result', toolCallId: 'c2', content: [{ type: 'text', text: 'two' }] },
          ],
        },
        { role: 'user', content: [{ type: 'text', text: 'thanks' }] },
      ],
      maxTokens: 100,
      stop: ['END'],
      temperature: 0.5,
      topP: 0.9,
      seed: 7,
      tools: [{ name: 'f', description: 'd', parameters: { type: 'object' }, strict: true }],
      toolChoice: { type: 'tool', name: 'f' },
      parallelToolCalls: false,
      responseFormat: { type: 'json_schema', name: 's', schema: { type: 'object' }, strict: true },
      stream: true,
      streamUsage: true,
      user: 'u1',
      promptCacheKey: 'k',
      reasoningEffort: 'low',
      passthrough: { format: 'openai', fields: { logprobs: true, frequency_penalty: 0.2, metadata: { a: 'b' } } },
    };
    expect(req).toEqual(expected);
  });

  it('appends a mid-conversation system message to the canonical system', () => {
    const req = parseChatRequest({
      model: 'm',
      messages: [
        { role: 'system', content: 'a' },
        { role: 'user', content: 'q' },
        {
          role: 'system',
          content: [
            { type: 'text', text: 'b' },
            { type: 'text', text: 'c' },
          ],
        },
        { role: 'assistant', content: 'r' },
      ],
    });
    expect(req.system.map((p) => p.text)).toEqual(['a', 'b', 'c']);
    expect(req.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
  });

  it('keeps http image URLs, max_tokens alone, and include_usage only when streaming', () => {
    const req = parseChatRequest({
      ...base,
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }],
      max_tokens: 9,
      stream_options: { include_usage: true },
    });
    expect(req.messages[0]?.content).toEqual([{ type: 'image', source: { kind: 'url', url: 'https://x/y.png' } }]);
    expect(req.maxTokens).toBe(9);
    expect(req.stream).toBe(false);
    expect(req.streamUsage).toBe(false);
  });

  it('keeps safety_identifier in passthrough when user is also given', () => {
    const req = parseChatRequest({ ...base, user: 'a', safety_identifier: 'b' });
    expect(req.user).toBe('a');
    expect(req.passthrough.fields).toEqual({ safety_identifier: 'b' });
    expect(toChatRequestBody(req, 'up', [], { stream: false })).toMatchObject({ user: 'a', safety_identifier: 'b' });
  });

  it('reads cache_control on content parts (the LiteLLM / OpenRouter extension)', () => {
    const req = parseChatRequest({
      model: 'm',
      messages: [{ role: 'system', content: [{ type: 'text', text: 'long', cache_control: { type: 'ephemeral', ttl: '1h' } }] }, base.messages[0]],
    });
    expect(req.system[0]?.cacheControl).toEqual({ type: 'ephemeral', ttl: '1h' });
  });
});

describe('parseChatRequest: errors name the exact parameter', () => {
  const cases: Array<[string, unknown, string | null, string | RegExp]> = [
    ['non-object body', [1], null, 'The request body must be a JSON object.'],
    ['missing model', { messages: base.messages }, 'model', "Missing required parameter: 'model'."],
    ['missing messages', { model: 'm' }, 'messages', "Missing required parameter: 'messages'."],
    ['empty messages', { model: 'm', messages: [] }, 'messages', /at least 1 message/],
    ['model type', { ...base, model: 3 }, 'model', "Invalid type for 'model': expected a string, got number."],
    [
      'content type',
      {
        model: 'm',
        messages: [
          { role: 'system', content: 's' },
          { role: 'user', content: 'a' },
          { role: 'user', content: 5 },
        ],
      },
      'messages[2].content',
      "Invalid type for 'messages[2].content': expected a string or an array of content parts, got number.",
    ],
    ['missing content', { model: 'm', messages: [{ role: 'user' }] }, 'messages[0].content', "Missing required parameter: 'messages[0].content'."],
    ['missing role', { model: 'm', messages: [{ content: 'x' }] }, 'messages[0].role', "Missing required parameter: 'messages[0].role'."],
    ['bad role', { model: 'm', messages: [{ role: 'bot', content: 'x' }] }, 'messages[0].role', /Invalid value for 'messages\[0\].role'.*got 'bot'/],
    ['function role', { model: 'm', messages: [{ role: 'function', name: 'f', content: 'x' }] }, 'messages[0].role', /Unsupported role 'function'/],
    [
      'input_audio',
      {
        model: 'm',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'a' },
              { type: 'input_audio', input_audio: {} },
            ],
          },
        ],
      },
      'messages[0].content[1].type',
      /Unsupported content type 'input_audio' at 'messages\[0\].content\[1\]'/,
    ],
    [
      'file',
      { model: 'm', messages: [{ role: 'user', content: [{ type: 'file', file: {} }] }] },
      'messages[0].content[0].type',
      /unsupported content type 'file'/i,
    ],
    ['unknown part', { model: 'm', messages: [{ role: 'user', content: [{ type: 'video' }] }] }, 'messages[0].content[0].type', /got 'video'/],
    ['text part text', { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 1 }] }] }, 'messages[0].content[0].text', /got number/],
    [
      'image url scheme',
      { model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x' } }] }] },
      'messages[0].content[0].image_url.url',
      /http\(s\) URL/,
    ],
    [
      'image detail',
      { model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x', detail: 'ultra' } }] }] },
      'messages[0].content[0].image_url.detail',
      /got 'ultra'/,
    ],
    [
      'tool_call_id',
      { model: 'm', messages: [{ role: 'tool', content: 'x' }] },
      'messages[0].tool_call_id',
      "Missing required parameter: 'messages[0].tool_call_id'.",
    ],
    [
      'tool call arguments',
      { model: 'm', messages: [{ role: 'assistant', tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: {} } }] }] },
      'messages[0].tool_calls[0].function.arguments',
      /expected a string, got object/,
    ],
    ['temperature range', { ...base, temperature: 3 }, 'temperature', "Invalid value for 'temperature': expected a number between 0 and 2, got 3."],
    ['temperature type', { ...base, temperature: 'hot' }, 'temperature', "Invalid type for 'temperature': expected a number, got string."],
    ['top_p', { ...base, top_p: 1.5 }, 'top_p', /between 0 and 1/],
    ['n', { ...base, n: 2 }, 'n', /costwise supports n=1/],
    ['max_tokens', { ...base, max_tokens: 0 }, 'max_tokens', /an integer >= 1, got 0/],
    ['max_completion_tokens', { ...base, max_completion_tokens: 1.5 }, 'max_completion_tokens', /expected an integer/],
    ['seed', { ...base, seed: '1' }, 'seed', /expected an integer, got string/],
    ['stop item', { ...base, stop: ['a', 2] }, 'stop[1]', /got number/],
    ['stream', { ...base, stream: 'yes' }, 'stream', /expected a boolean/],
    ['include_usage', { ...base, stream: true, stream_options: { include_usage: 1 } }, 'stream_options.include_usage', /expected a boolean/],
    ['tools type', { ...base, tools: {} }, 'tools', /expected an array/],
    [
      'tool name missing',
      { ...base, tools: [{ type: 'function', function: {} }] },
      'tools[0].function.name',
      "Missing required parameter: 'tools[0].function.name'.",
    ],
    ['tool name pattern', { ...base, tools: [{ type: 'function', function: { name: 'a b' } }] }, 'tools[0].function.name', /got 'a b'/],
    ['tool type', { ...base, tools: [{ type: 'custom', custom: { name: 'x' } }] }, 'tools[0].type', /Unsupported tool type/],
    ['tool parameters', { ...base, tools: [{ type: 'function', function: { name: 'f', parameters: [] } }] }, 'tools[0].function.parameters', /got array/],
    ['tool_choice', { ...base, tool_choice: 'any' }, 'tool_choice', /got 'any'/],
    ['tool_choice name', { ...base, tool_choice: { type: 'function', function: {} } }, 'tool_choice.function.name', /Missing required/],
    ['response_format', { ...base, response_format: { type: 'xml' } }, 'response_format.type', /got 'xml'/],
    [
      'json_schema name',
      { ...base, response_format: { type: 'json_schema', json_schema: { schema: {} } } },
      'response_format.json_schema.name',
      /Missing required/,
    ],
    ['user', { ...base, user: 5 }, 'user', /expected a string/],
    ['reasoning_effort', { ...base, reasoning_effort: 1 }, 'reasoning_effort', /expected a string/],
    [
      'assistant function_call',
      { model: 'm', messages: [{ role: 'assistant', content: null, function_call: { name: 'f', arguments: '{}' } }] },
      'messages[0].function_call',
      /deprecated function_call/,
    ],
    [
      'cache_control',
      { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'a', cache_control: { type: 'persistent' } }] }] },
      'messages[0].content[0].cache_control.type',
      /got 'persistent'/,
    ],
  ];
  it.each(cases)('%s', (_name, body, param, message) => {
    const err = errorOf(body);
    expect(err.kind).toBe('invalid_request');
    expect(err.status).toBe(400);
    expect(err.param).toBe(param);
    if (typeof message === 'string') expect(err.message).toBe(message);
    else expect(err.message).toMatch(message);
  });
});

describe('toChatRequestBody', () => {
  it('always asks a streaming upstream for usage', () => {
    const body = toChatRequestBody(parseChatRequest({ ...base, stream: true }), 'up', [], { stream: true });
    expect(body).toMatchObject({ model: 'up', stream: true, stream_options: { include_usage: true } });
    expect(toChatRequestBody(parseChatRequest(base), 'up', [], { stream: false })).not.toHaveProperty('stream');
  });

  it('uses max_tokens when asked (OpenAI-compatible servers)', () => {
    const body = toChatRequestBody(parseChatRequest({ ...base, max_completion_tokens: 5 }), 'up', [], { stream: false, maxTokensField: 'max_tokens' });
    expect(body.max_tokens).toBe(5);
    expect(body).not.toHaveProperty('max_completion_tokens');
  });

  it('sends a multi-part system prompt as text parts and a single part as a string', () => {
    const req = parseChatRequest({ model: 'm', messages: [{ role: 'developer', content: 'a' }, { role: 'system', content: 'b' }, base.messages[0]] });
    expect(toChatRequestBody(req, 'm', [], { stream: false }).messages).toEqual([
      {
        role: 'system',
        content: [
          { type: 'text', text: 'a' },
          { type: 'text', text: 'b' },
        ],
      },
      { role: 'user', content: 'hi' },
    ]);
  });

  it('warns about everything it cannot send, once each, and drops cacheControl silently', () => {
    const req: CanonicalRequest = {
      model: 'claude',
      system: [{ type: 'text', text: 'sys', cacheControl: { type: 'ephemeral' } }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'q' }] },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', text: 'hmm', signature: 's' },
            { type: 'text', text: 'calling' },
            { type: 'tool_call', id: 't1', name: 'f', arguments: '{}' },
            { type: 'thinking', text: 'again' },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'here you go' },
            {
              type: 'tool_result',
              toolCallId: 't1',
              isError: true,
              content: [
                { type: 'text', text: 'a' },
                { type: 'image', source: { kind: 'url', url: 'https://i' } },
                { type: 'text', text: 'b' },
              ],
            },
          ],
        },
      ],
      topK: 5,
      thinking: { type: 'enabled', budgetTokens: 1000 },
      cacheControl: { type: 'ephemeral' },
      stream: false,
      streamUsage: false,
      passthrough: { format: 'anthropic', fields: { container: 'c', mcp_servers: [] } },
    };
    const warnings: string[] = [];
    const body = toChatRequestBody(req, 'gpt-4o', warnings, { stream: false });
    expect(body).toEqual({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'sys' },
        { role: 'user', content: 'q' },
        { role: 'assistant', content: 'calling', tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 't1', content: 'a\n[image omitted: not supported in tool results]\nb' },
        { role: 'user', content: 'here you go' },
      ],
    });
    expect(warnings).toEqual([
      'thinking content is not supported by openai and was not sent',
      'images in tool results are not supported by openai and were replaced by a text note',
      '"is_error" on tool results is not supported by openai and was not sent',
      '"top_k" is not supported by openai and was not sent',
      '"thinking" is not supported by openai and was not sent (use reasoning_effort)',
      '"container" is not supported by openai and was not sent',
      '"mcp_servers" is not supported by openai and was not sent',
    ]);
  });

  it('renders base64 images as data URLs and keeps detail', () => {
    const req = parseChatRequest({
      model: 'm',
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/', detail: 'high' } }] }],
    });
    expect(toChatRequestBody(req, 'm', [], { stream: false }).messages).toEqual([
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/', detail: 'high' } }] },
    ]);
  });
});

// ---- Property: parse → egress is the identity on normalised bodies ----
// Normalisation (what the round trip changes, tested above or by construction excluded here):
// - system/developer messages → one leading `system` message (a string for one part);
// - a content array of exactly one text part → a plain string; `stop: "x"` → `["x"]`;
// - max_tokens → max_completion_tokens; `stream: false` and null-valued fields are omitted;
// - assistant `content: ""` → dropped (null when there are tool calls), `refusal` dropped;
// - tool message text parts → one string joined with "\n"; tool `parameters` absent → empty schema.

const text = fc.string({ maxLength: 20 });
const ident = fc.stringMatching(/^[a-zA-Z0-9_-]{1,12}$/);
const jsonObject = fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });

const textPart = fc.record({ type: fc.constant('text'), text });
const imagePart = fc.record({
  type: fc.constant('image_url'),
  image_url: fc.record(
    {
      url: fc.oneof(
        ident.map((s) => `https://img.example/${s}.png`),
        fc.base64String({ minLength: 4, maxLength: 16 }).map((s) => `data:image/png;base64,${s}`),
      ),
      detail: fc.constantFrom('auto', 'low', 'high'),
    },
    { requiredKeys: ['url'] },
  ),
});
const userContent = fc.oneof(text, fc.array(fc.oneof(textPart, imagePart), { minLength: 2, maxLength: 3 }), fc.tuple(imagePart));
const userMsg = fc.record({ role: fc.constant('user'), content: userContent, name: ident }, { requiredKeys: ['role', 'content'] });
const toolCall = fc.record({ id: ident, type: fc.constant('function'), function: fc.record({ name: ident, arguments: fc.json() }) });
const assistantMsg = fc.oneof(
  fc.record({ role: fc.constant('assistant'), content: fc.string({ minLength: 1, maxLength: 20 }) }),
  fc.record({ role: fc.constant('assistant'), content: fc.constant(null), tool_calls: fc.array(toolCall, { minLength: 1, maxLength: 3 }) }),
  fc.record({
    role: fc.constant('assistant'),
    content: fc.string({ minLength: 1, maxLength: 20 }),
    tool_calls: fc.array(toolCall, { minLength: 1, maxLength: 2 }),
  }),
);
const toolMsg = fc.record({ role: fc.constant('tool'), tool_call_id: ident, content: text });
const systemMsg = fc.oneof(
  fc.record({ role: fc.constant('system'), content: text }),
  fc.record({ role: fc.constant('system'), content: fc.array(textPart, { minLength: 2, maxLength: 3 }) }),
);
const tool = fc.record({
  type: fc.constant('function'),
  function: fc.record({ name: ident, description: text, parameters: jsonObject, strict: fc.boolean() }, { requiredKeys: ['name', 'parameters'] }),
});
const toolChoice = fc.oneof(
  fc.constantFrom('auto', 'none', 'required'),
  ident.map((name) => ({ type: 'function', function: { name } })),
);
const responseFormat = fc.oneof(
  fc.constantFrom({ type: 'text' }, { type: 'json_object' }),
  fc.record({
    type: fc.constant('json_schema'),
    json_schema: fc.record({ name: ident, schema: jsonObject, strict: fc.boolean(), description: text }, { requiredKeys: ['name', 'schema'] }),
  }),
);
const chatBody = fc
  .record(
    {
      model: ident,
      system: fc.option(systemMsg, { nil: undefined }),
      rest: fc.array(fc.oneof(userMsg, assistantMsg, toolMsg), { minLength: 1, maxLength: 6 }),
      max_completion_tokens: fc.integer({ min: 1, max: 100_000 }),
      temperature: fc.double({ min: 0, max: 2, noNaN: true }),
      top_p: fc.double({ min: 0, max: 1, noNaN: true }),
      seed: fc.integer(),
      stop: fc.array(text, { maxLength: 4 }),
      tools: fc.array(tool, { maxLength: 3 }),
      tool_choice: toolChoice,
      parallel_tool_calls: fc.boolean(),
      response_format: responseFormat,
      user: ident,
      prompt_cache_key: ident,
      reasoning_effort: fc.constantFrom('minimal', 'low', 'medium', 'high'),
      frequency_penalty: fc.double({ min: -2, max: 2, noNaN: true }),
      logprobs: fc.boolean(),
      metadata: fc.dictionary(ident, text, { maxKeys: 2 }),
      service_tier: fc.constantFrom('auto', 'flex', 'priority'),
    },
    { requiredKeys: ['model', 'rest'] },
  )
  .map(({ system, rest, ...fields }) => ({ ...fields, messages: system ? [system, ...rest] : rest }));

describe('round trip', () => {
  it('toChatRequestBody(parseChatRequest(body)) equals the normalised body', () => {
    fc.assert(
      fc.property(chatBody, (body) => {
        const warnings: string[] = [];
        expect(toChatRequestBody(parseChatRequest(body), body.model, warnings, { stream: false })).toEqual(body);
        expect(warnings).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('documents the normalisations', () => {
    const req = parseChatRequest({
      model: 'm',
      messages: [
        { role: 'developer', content: [{ type: 'text', text: 's' }] },
        { role: 'user', content: [{ type: 'text', text: 'u' }] },
        { role: 'assistant', content: '', refusal: null, tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        {
          role: 'tool',
          tool_call_id: 'a',
          content: [
            { type: 'text', text: 'x' },
            { type: 'text', text: 'y' },
          ],
        },
      ],
      stop: 'END',
      max_tokens: 3,
      stream: false,
      tools: [{ type: 'function', function: { name: 'f' } }],
      logit_bias: null,
    });
    expect(toChatRequestBody(req, 'm', [], { stream: false })).toEqual({
      model: 'm',
      messages: [
        { role: 'system', content: 's' },
        { role: 'user', content: 'u' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'a', content: 'x\ny' },
      ],
      stop: ['END'],
      max_completion_tokens: 3,
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }],
    });
  });
});
