import { describe, expect, it } from 'vitest';
import type { CanonicalRequest } from '../../src/core/canonical.js';
import { GatewayError } from '../../src/core/errors.js';
import { toGenerateContentBody } from '../../src/wire/gemini/request.js';
import { toGeminiSchema } from '../../src/wire/gemini/schema.js';

function req(overrides: Partial<CanonicalRequest> = {}): CanonicalRequest {
  return {
    model: 'gemini-2.5-flash',
    system: [],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
    stream: false,
    streamUsage: false,
    passthrough: { format: 'openai', fields: {} },
    ...overrides,
  };
}

function map(r: CanonicalRequest, upstreamModel?: string): { body: Record<string, unknown>; warnings: string[] } {
  const warnings: string[] = [];
  const body = toGenerateContentBody(r, warnings, upstreamModel !== undefined ? { upstreamModel } : {});
  return { body, warnings };
}

describe('toGenerateContentBody: turns', () => {
  it('maps system, roles and merges consecutive same-role turns', () => {
    const { body, warnings } = map(
      req({
        system: [
          { type: 'text', text: 'Be brief.' },
          { type: 'text', text: 'Be kind.', cacheControl: { type: 'ephemeral' } },
        ],
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'a' }] },
          { role: 'user', content: [{ type: 'text', text: 'b' }] },
          { role: 'assistant', content: [{ type: 'text', text: 'c' }] },
          { role: 'user', content: [{ type: 'text', text: 'd' }] },
        ],
      }),
    );
    expect(body).toEqual({
      systemInstruction: { parts: [{ text: 'Be brief.' }, { text: 'Be kind.' }] },
      contents: [
        { role: 'user', parts: [{ text: 'a' }, { text: 'b' }] },
        { role: 'model', parts: [{ text: 'c' }] },
        { role: 'user', parts: [{ text: 'd' }] },
      ],
    });
    expect(warnings).toEqual([]);
  });

  it('round-trips a tool call and its result, resolving the function name from the call id', () => {
    const { body } = map(
      req({
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'weather in Paris and Rome?' }] },
          {
            role: 'assistant',
            content: [
              { type: 'text', text: 'Checking.' },
              { type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
              { type: 'tool_call', id: 'call_2', name: 'get_time', arguments: '{"city":"Rome"}' },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'tool_result', toolCallId: 'call_2', content: [{ type: 'text', text: '14:00' }] },
              { type: 'tool_result', toolCallId: 'call_1', content: [{ type: 'text', text: 'rain' }], isError: true },
            ],
          },
        ],
      }),
    );
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'weather in Paris and Rome?' }] },
      {
        role: 'model',
        parts: [
          { text: 'Checking.' },
          { functionCall: { id: 'call_1', name: 'get_weather', args: { city: 'Paris' } } },
          { functionCall: { id: 'call_2', name: 'get_time', args: { city: 'Rome' } } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { id: 'call_2', name: 'get_time', response: { content: '14:00' } } },
          { functionResponse: { id: 'call_1', name: 'get_weather', response: { error: 'rain' } } },
        ],
      },
    ]);
  });

  it('rejects a tool result with no earlier tool call (the name cannot be known)', () => {
    const r = req({
      messages: [{ role: 'user', content: [{ type: 'tool_result', toolCallId: 'nope', content: [] }] }],
    });
    expect(() => map(r)).toThrow(GatewayError);
    try {
      map(r);
    } catch (e) {
      expect((e as GatewayError).kind).toBe('invalid_request');
      expect((e as GatewayError).param).toBe('messages[0].content[0].toolCallId');
    }
  });

  it('rejects tool call arguments that are not a JSON object', () => {
    const r = req({
      messages: [{ role: 'assistant', content: [{ type: 'tool_call', id: 'c', name: 'f', arguments: '[1]' }] }],
    });
    expect(() => map(r)).toThrow(/JSON object/);
  });

  it('maps images: base64 and data URLs inline, URLs with a known extension as fileData, others warn', () => {
    const { body, warnings } = map(
      req({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'AAAA' } },
              { type: 'image', source: { kind: 'url', url: 'data:image/jpeg;base64,BBBB' } },
              { type: 'image', source: { kind: 'url', url: 'https://x.test/cat.JPG?size=2' } },
              { type: 'image', source: { kind: 'url', url: 'https://x.test/render' } },
              { type: 'text', text: 'what is this?' },
            ],
          },
        ],
      }),
    );
    expect(body.contents).toEqual([
      {
        role: 'user',
        parts: [
          { inlineData: { mimeType: 'image/png', data: 'AAAA' } },
          { inlineData: { mimeType: 'image/jpeg', data: 'BBBB' } },
          { fileData: { fileUri: 'https://x.test/cat.JPG?size=2', mimeType: 'image/jpeg' } },
          { text: 'what is this?' },
        ],
      },
    ]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/messages\[0\]\.content\[3\].*not sent/);
  });

  it('keeps Gemini thought signatures, drops thought text and foreign signatures', () => {
    const { body } = map(
      req({
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'q' }] },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', text: 'pondering', signature: 'gemini:SIG1' },
              { type: 'tool_call', id: 'c1', name: 'f', arguments: '{}' },
            ],
          },
          { role: 'user', content: [{ type: 'tool_result', toolCallId: 'c1', content: [{ type: 'text', text: 'ok' }] }] },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', text: 'claude thoughts', signature: 'EqQBCkYIBxgCKkBclaude' },
              { type: 'text', text: 'done' },
            ],
          },
        ],
      }),
    );
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'q' }] },
      { role: 'model', parts: [{ functionCall: { id: 'c1', name: 'f', args: {} }, thoughtSignature: 'SIG1' }] },
      { role: 'user', parts: [{ functionResponse: { id: 'c1', name: 'f', response: { content: 'ok' } } }] },
      { role: 'model', parts: [{ text: 'done' }] },
    ]);
  });

  it('gives unsigned function calls the skip-validator sentinel on Gemini 3 only', () => {
    const r = req({
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'q' }] },
        {
          role: 'assistant',
          content: [
            { type: 'tool_call', id: 'a', name: 'f', arguments: '{}' },
            { type: 'tool_call', id: 'b', name: 'f', arguments: '{}' },
          ],
        },
      ],
    });
    const g3 = map(r, 'gemini-3-pro-preview').body.contents as Array<{ parts: Array<Record<string, unknown>> }>;
    expect(g3[1]?.parts[0]?.thoughtSignature).toBe('skip_thought_signature_validator');
    expect(g3[1]?.parts[1]?.thoughtSignature).toBeUndefined();
    const g25 = map(r, 'gemini-2.5-flash').body.contents as Array<{ parts: Array<Record<string, unknown>> }>;
    expect(g25[1]?.parts[0]?.thoughtSignature).toBeUndefined();
  });
});

describe('toGenerateContentBody: generation config, tools, warnings', () => {
  it('maps sampling parameters and thinking', () => {
    const { body } = map(
      req({ maxTokens: 100, temperature: 0.2, topP: 0.9, topK: 40, stop: ['END'], seed: 7, thinking: { type: 'enabled', budgetTokens: 2048 } }),
    );
    expect(body.generationConfig).toEqual({
      maxOutputTokens: 100,
      temperature: 0.2,
      topP: 0.9,
      topK: 40,
      stopSequences: ['END'],
      seed: 7,
      thinkingConfig: { thinkingBudget: 2048, includeThoughts: true },
    });
    expect(map(req({ thinking: { type: 'disabled' } })).body.generationConfig).toEqual({ thinkingConfig: { thinkingBudget: 0 } });
  });

  it('maps reasoningEffort to a thinking budget, and warns on unknown efforts', () => {
    expect(map(req({ reasoningEffort: 'medium' })).body.generationConfig).toEqual({ thinkingConfig: { thinkingBudget: 8192 } });
    const odd = map(req({ reasoningEffort: 'extreme' }));
    expect(odd.body.generationConfig).toBeUndefined();
    expect(odd.warnings).toEqual(['"reasoningEffort: extreme" is not supported by gemini and was not sent']);
  });

  it('sends json_schema as responseJsonSchema, untouched, with the format description', () => {
    const schema = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: { answer: { type: ['string', 'null'] } },
      required: ['answer'],
      additionalProperties: false,
    };
    const { body, warnings } = map(req({ responseFormat: { type: 'json_schema', name: 'reply', schema, strict: true, description: 'A reply' } }));
    expect(body.generationConfig).toEqual({
      responseMimeType: 'application/json',
      responseJsonSchema: { ...schema, description: 'A reply' },
    });
    expect(warnings).toEqual([]);
    expect(map(req({ responseFormat: { type: 'json_object' } })).body.generationConfig).toEqual({ responseMimeType: 'application/json' });
  });

  it('maps tools and tool choice', () => {
    const tools = [
      {
        name: 'get_weather',
        description: 'Weather for a city',
        parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
      { name: 'now', parameters: { type: 'object', properties: {} } },
    ];
    const { body, warnings } = map(req({ tools, toolChoice: { type: 'tool', name: 'get_weather' } }));
    expect(body.tools).toEqual([
      {
        functionDeclarations: [
          {
            name: 'get_weather',
            description: 'Weather for a city',
            parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
          },
          { name: 'now' },
        ],
      },
    ]);
    expect(body.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } });
    expect(warnings).toEqual([]);
    for (const [choice, mode] of [
      ['auto', 'AUTO'],
      ['none', 'NONE'],
      ['required', 'ANY'],
    ] as const) {
      expect(map(req({ tools, toolChoice: { type: choice } })).body.toolConfig).toEqual({ functionCallingConfig: { mode } });
    }
  });

  it('warns about every field it cannot send, and ignores cost hints silently', () => {
    const { body, warnings } = map(
      req({
        user: 'u-1',
        parallelToolCalls: false,
        promptCacheKey: 'k',
        cacheControl: { type: 'ephemeral' },
        passthrough: { format: 'openai', fields: { logprobs: true, service_tier: 'flex' } },
        messages: [{ role: 'user', name: 'bob', content: [{ type: 'text', text: 'hi' }] }],
        tools: [{ name: 'f', strict: true, parameters: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false } }],
      }),
    );
    expect(body).not.toHaveProperty('logprobs');
    expect(warnings.sort()).toEqual(
      [
        '"messages[].name" is not supported by gemini and was not sent',
        '"tools[].strict" is not supported by gemini and was not sent',
        'tool "f": JSON Schema keywords not supported by gemini were not sent: additionalProperties',
        '"parallelToolCalls" is not supported by gemini and was not sent',
        '"user" is not supported by gemini and was not sent',
        '"logprobs" is not supported by gemini and was not sent',
        '"service_tier" is not supported by gemini and was not sent',
      ].sort(),
    );
  });

  it('merges passthrough fields of a gemini-format caller into the body', () => {
    const safetySettings = [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }];
    const { body, warnings } = map(req({ passthrough: { format: 'gemini', fields: { safetySettings } } }));
    expect(body.safetySettings).toEqual(safetySettings);
    expect(warnings).toEqual([]);
  });
});

describe('toGeminiSchema', () => {
  it('translates nullable unions, oneOf, const and local $refs; names what it removes', () => {
    const { schema, dropped } = toGeminiSchema({
      $schema: 'x',
      type: 'object',
      $defs: { Point: { type: 'object', properties: { x: { type: 'number', exclusiveMinimum: 0 } } } },
      properties: {
        name: { type: ['string', 'null'], format: 'email' },
        kind: { const: 'a' },
        shape: { oneOf: [{ type: 'string' }, { type: 'integer' }] },
        maybe: { anyOf: [{ type: 'string', enum: ['x', 'y'] }, { type: 'null' }] },
        at: { $ref: '#/$defs/Point', description: 'where' },
        tuple: { type: 'array', items: [{ type: 'string' }] },
      },
      additionalProperties: false,
    });
    expect(schema).toEqual({
      type: 'object',
      properties: {
        name: { type: 'string', nullable: true },
        kind: { enum: ['a'] },
        shape: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
        maybe: { nullable: true, type: 'string', enum: ['x', 'y'] },
        at: { type: 'object', properties: { x: { type: 'number' } }, description: 'where' },
        tuple: { type: 'array' },
      },
    });
    expect(dropped.sort()).toEqual(['additionalProperties', 'exclusiveMinimum', 'format: email', 'items (tuple form)'].sort());
  });

  it('cuts recursive $refs instead of looping', () => {
    const { schema, dropped } = toGeminiSchema({
      $defs: { Node: { type: 'object', properties: { next: { $ref: '#/$defs/Node' } } } },
      $ref: '#/$defs/Node',
    });
    expect(schema).toEqual({ type: 'object', properties: { next: {} } });
    expect(dropped).toEqual(['$ref (recursive)']);
  });
});
