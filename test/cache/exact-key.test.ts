// The exact-cache key: what changes it, what does not, and that it cannot be fooled by framing.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CanonicalRequest, ImagePart } from '../../src/core/canonical.js';
import { cacheKey, cacheKeyText, isDeterministic } from '../../src/cache/exact/key.js';
import { HASH_CHUNK_CHARS } from '../../src/cache/exact/key-sink.js';
import { parseChatRequest } from '../../src/wire/openai/request.js';
import { parseMessagesRequest } from '../../src/wire/anthropic/request.js';

const scope = { tenant: 'acme', model: 'gpt-4.1-mini' };

const weather = {
  name: 'get_weather',
  description: 'Weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { enum: ['c', 'f'] } }, required: ['city'] },
};

function base(): CanonicalRequest {
  return {
    model: 'gpt-4.1-mini',
    system: [{ type: 'text', text: 'Be brief.' }],
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
      { role: 'assistant', content: [{ type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
      { role: 'user', content: [{ type: 'tool_result', toolCallId: 'call_1', content: [{ type: 'text', text: '18C' }] }] },
    ],
    tools: [structuredClone(weather)],
    temperature: 0,
    maxTokens: 100,
    stream: false,
    streamUsage: false,
    passthrough: { format: 'openai', fields: {} },
  };
}

const key = (r: CanonicalRequest, s = scope) => cacheKey(r, s);
function variant(change: (r: CanonicalRequest) => void): CanonicalRequest {
  const r = base();
  change(r);
  return r;
}

describe('cacheKey', () => {
  it('is 64 hex digits over a canonical text that is valid JSON', () => {
    expect(key(base())).toMatch(/^[0-9a-f]{64}$/);
    expect(key(base())).toBe(key(base()));
    expect((): unknown => JSON.parse(cacheKeyText(base(), scope))).not.toThrow();
  });

  it('is the sha256 of that text, whether it is hashed in one call or in chunks', () => {
    const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
    const long = base();
    long.messages.push({ role: 'user', content: [{ type: 'text', text: 'é'.repeat(3 * HASH_CHUNK_CHARS) }] });
    for (const request of [base(), long]) expect(key(request)).toBe(sha256(cacheKeyText(request, scope)));
    expect(cacheKeyText(long, scope).length).toBeGreaterThan(3 * HASH_CHUNK_CHARS);
  });

  it('partitions by tenant and by the model scope', () => {
    expect(key(base(), { tenant: 'other', model: scope.model })).not.toBe(key(base()));
    expect(key(base(), { tenant: scope.tenant, model: 'cheap-tier' })).not.toBe(key(base()));
    // the scope model is what counts, not request.model
    expect(key(variant((r) => (r.model = 'something-else')))).toBe(key(base()));
  });

  it.each<[string, (r: CanonicalRequest) => void]>([
    ['stream', (r) => (r.stream = true)],
    ['streamUsage', (r) => (r.streamUsage = true)],
    ['user', (r) => (r.user = 'end-user-7')],
    ['promptCacheKey', (r) => (r.promptCacheKey = 'pck')],
    ['top-level cache_control', (r) => (r.cacheControl = { type: 'ephemeral' })],
    ['cache_control on a text part', (r) => ((r.system[0] as { cacheControl?: unknown }).cacheControl = { type: 'ephemeral', ttl: '1h' })],
    ['cache_control on a tool', (r) => (r.tools![0]!.cacheControl = { type: 'ephemeral' })],
    [
      'tool schema key order',
      (r) => (r.tools![0]!.parameters = { required: ['city'], properties: { unit: { enum: ['c', 'f'] }, city: { type: 'string' } }, type: 'object' }),
    ],
    ['tool-call argument whitespace and key order', (r) => ((r.messages[1]!.content[0] as { arguments: string }).arguments = '{\n  "city" : "Paris"\n}')],
    [
      'tool-call ids re-minted consistently',
      (r) => {
        (r.messages[1]!.content[0] as { id: string }).id = 'toolu_XYZ';
        (r.messages[2]!.content[0] as { toolCallId: string }).toolCallId = 'toolu_XYZ';
      },
    ],
    ['toolChoice auto with tools (the default)', (r) => (r.toolChoice = { type: 'auto' })],
    ['parallelToolCalls true (the default)', (r) => (r.parallelToolCalls = true)],
    ['responseFormat text (the default)', (r) => (r.responseFormat = { type: 'text' })],
    ['tool strict false (the default)', (r) => (r.tools![0]!.strict = false)],
    ['empty stop list', (r) => (r.stop = [])],
    ['isError false', (r) => ((r.messages[2]!.content[0] as { isError?: boolean }).isError = false)],
    ['passthrough format with no fields', (r) => (r.passthrough = { format: 'anthropic', fields: {} })],
  ])('ignores %s', (_name, change) => {
    expect(key(variant(change))).toBe(key(base()));
  });

  it.each<[string, (r: CanonicalRequest) => void]>([
    ['temperature absent vs 0', (r) => delete r.temperature],
    ['topP', (r) => (r.topP = 0.9)],
    ['topK', (r) => (r.topK = 40)],
    ['seed', (r) => (r.seed = 7)],
    ['maxTokens', (r) => (r.maxTokens = 101)],
    ['stop', (r) => (r.stop = ['END'])],
    ['reasoningEffort', (r) => (r.reasoningEffort = 'low')],
    ['thinking', (r) => (r.thinking = { type: 'enabled', budgetTokens: 1024 })],
    ['thinking disabled (kept: default unsure)', (r) => (r.thinking = { type: 'disabled' })],
    ['toolChoice none', (r) => (r.toolChoice = { type: 'none' })],
    ['toolChoice required', (r) => (r.toolChoice = { type: 'required' })],
    ['toolChoice a named tool', (r) => (r.toolChoice = { type: 'tool', name: 'get_weather' })],
    ['parallelToolCalls false', (r) => (r.parallelToolCalls = false)],
    ['responseFormat json_object', (r) => (r.responseFormat = { type: 'json_object' })],
    ['responseFormat schema', (r) => (r.responseFormat = { type: 'json_schema', name: 'x', schema: { type: 'object' } })],
    ['tool strict true', (r) => (r.tools![0]!.strict = true)],
    ['tool description', (r) => (r.tools![0]!.description = 'Weather for a town')],
    ['tool schema content', (r) => ((r.tools![0]!.parameters as { required: string[] }).required = [])],
    ['tool name', (r) => (r.tools![0]!.name = 'weather')],
    ['no tools', (r) => delete r.tools],
    ['system text', (r) => (r.system = [{ type: 'text', text: 'Be brief!' }])],
    [
      'system split into two parts',
      (r) =>
        (r.system = [
          { type: 'text', text: 'Be ' },
          { type: 'text', text: 'brief.' },
        ]),
    ],
    ['trailing whitespace in user text', (r) => ((r.messages[0]!.content[0] as { text: string }).text = 'Weather in Paris? ')],
    ['message role', (r) => (r.messages[0]!.role = 'assistant')],
    ['message name', (r) => (r.messages[0]!.name = 'bob')],
    ['tool-call arguments', (r) => ((r.messages[1]!.content[0] as { arguments: string }).arguments = '{"city":"Lyon"}')],
    ['tool result text', (r) => ((r.messages[2]!.content[0] as { content: Array<{ text: string }> }).content[0]!.text = '19C')],
    ['tool result isError', (r) => ((r.messages[2]!.content[0] as { isError?: boolean }).isError = true)],
    ['tool result linked to no call', (r) => ((r.messages[2]!.content[0] as { toolCallId: string }).toolCallId = 'call_9')],
    ['an image', (r) => r.messages[0]!.content.push({ type: 'image', source: { kind: 'url', url: 'https://x/a.png' } })],
    ['thinking part', (r) => r.messages[1]!.content.unshift({ type: 'thinking', text: 'hmm', signature: 'sig' })],
    ['passthrough field', (r) => (r.passthrough.fields.frequency_penalty = 0.5)],
  ])('changes with %s', (_name, change) => {
    expect(key(variant(change))).not.toBe(key(base()));
  });

  it('keeps temperature 1 apart from an absent temperature (defaults differ by provider)', () => {
    expect(key(variant((r) => (r.temperature = 1)))).not.toBe(key(variant((r) => delete r.temperature)));
  });

  it('keeps stop order, image detail and image source apart', () => {
    const stops = (stop: string[]) => key(variant((r) => (r.stop = stop)));
    expect(stops(['a', 'b'])).not.toBe(stops(['b', 'a']));
    const img = (part: ImagePart) => key(variant((r) => r.messages[0]!.content.push(part)));
    const url: ImagePart = { type: 'image', source: { kind: 'url', url: 'https://x/a.png' } };
    expect(img({ ...url, detail: 'auto' })).toBe(img(url));
    expect(img({ ...url, detail: 'low' })).not.toBe(img(url));
    expect(img({ type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'AAAA' } })).not.toBe(
      img({ type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'AAAB' } }),
    );
  });

  it('keeps which result answers which call', () => {
    const twoCalls = (firstResult: string, secondResult: string) =>
      key(
        variant((r) => {
          r.messages[1]!.content.push({ type: 'tool_call', id: 'call_2', name: 'get_weather', arguments: '{"city":"Rome"}' });
          r.messages[2]!.content = [
            { type: 'tool_result', toolCallId: 'call_1', content: [{ type: 'text', text: firstResult }] },
            { type: 'tool_result', toolCallId: 'call_2', content: [{ type: 'text', text: secondResult }] },
          ];
        }),
      );
    expect(twoCalls('18C', '25C')).not.toBe(twoCalls('25C', '18C'));
  });

  it('hashes arguments with numbers a double cannot hold verbatim', () => {
    const args = (a: string) => key(variant((r) => ((r.messages[1]!.content[0] as { arguments: string }).arguments = a)));
    expect(args('{"id":12345678901234567890}')).not.toBe(args('{"id":12345678901234567891}'));
    expect(args('{"x":0.12345678901234567}')).not.toBe(args('{"x":0.12345678901234566}'));
    expect(args('{"id": 1}')).toBe(args('{"id":1}'));
    expect(args('not json')).not.toBe(args('"not json"'));
  });

  it('shares one key between the OpenAI and Anthropic forms of one conversation', () => {
    const openai = parseChatRequest({
      model: 'gpt-4.1-mini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city": "Paris"}' } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '18C' },
      ],
      tools: [{ type: 'function', function: weather }],
      temperature: 0,
      max_tokens: 100,
      stream: true,
      user: 'u1',
    });
    const anthropic = parseMessagesRequest({
      model: 'claude-haiku-4-5',
      system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { city: 'Paris' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: '18C' }] },
      ],
      tools: [{ name: weather.name, description: weather.description, input_schema: weather.parameters }],
      temperature: 0,
      max_tokens: 100,
    });
    expect(cacheKeyText(anthropic, scope)).toBe(cacheKeyText(openai, scope));
    expect(key(anthropic)).toBe(key(openai));
  });

  it('property: JSON arguments with any key order and whitespace share a key; different text never does', () => {
    const withArgs = (a: string) => key(variant((r) => ((r.messages[1]!.content[0] as { arguments: string }).arguments = a)));
    const shuffled = (v: unknown, seed: number): unknown => {
      if (Array.isArray(v)) return v.map((x) => shuffled(x, seed));
      if (v === null || typeof v !== 'object') return v;
      const entries = Object.entries(v as Record<string, unknown>);
      if (seed % 2) entries.reverse();
      return Object.fromEntries(entries.map(([k, x]) => [k, shuffled(x, seed >> 1)]));
    };
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), fc.nat(), fc.integer({ min: 0, max: 4 }), (value, seed, indent) => {
        const a = JSON.stringify(value);
        const b = JSON.stringify(shuffled(value, seed), null, indent);
        // 16+ digit numbers are hashed verbatim by design (a double may not hold them)
        fc.pre(!/(?:\d\.?){16}/.test(a));
        expect(withArgs(b)).toBe(withArgs(a));
      }),
      { numRuns: 300 },
    );
    const withText = (t: string) => key(variant((r) => ((r.messages[0]!.content[0] as { text: string }).text = t)));
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        fc.pre(a !== b);
        expect(withText(a)).not.toBe(withText(b));
      }),
      { numRuns: 300 },
    );
  });
});

describe('isDeterministic', () => {
  it('is true at temperature 0 or with a seed, false otherwise', () => {
    expect(isDeterministic(base())).toBe(true);
    expect(isDeterministic(variant((r) => delete r.temperature))).toBe(false);
    expect(isDeterministic(variant((r) => (r.temperature = 0.7)))).toBe(false);
    expect(
      isDeterministic(
        variant((r) => {
          r.temperature = 0.7;
          r.seed = 1;
        }),
      ),
    ).toBe(true);
  });
});
