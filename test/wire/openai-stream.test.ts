import fc from 'fast-check';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { StopReason, StreamEvent, Usage } from '../../src/core/canonical.js';
import { ZERO_USAGE } from '../../src/core/canonical.js';
import { GatewayError } from '../../src/core/errors.js';
import { parseSse } from '../../src/wire/sse.js';
import { OpenAIStreamWriter, errorFrame, openAIChunksToEvents } from '../../src/wire/openai/stream.js';
import { rejectionOf } from '../helpers/assert.js';
import { arriving } from '../helpers/stream.js';

const usage: Usage = { inputTokens: 10, cacheReadTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, outputTokens: 7, reasoningTokens: 0 };

const events: StreamEvent[] = [
  { type: 'start', id: 'msg_1', model: 'claude', created: 42, usage: ZERO_USAGE },
  { type: 'block_start', index: 0, block: { type: 'thinking' } },
  { type: 'thinking_delta', index: 0, text: 'hmm' },
  { type: 'signature_delta', index: 0, signature: 'sig' },
  { type: 'block_stop', index: 0 },
  { type: 'block_start', index: 1, block: { type: 'text' } },
  { type: 'text_delta', index: 1, text: 'Hi' },
  { type: 'block_stop', index: 1 },
  { type: 'block_start', index: 2, block: { type: 'tool_call', id: 'call_a', name: 'f' } },
  { type: 'tool_args_delta', index: 2, partialJson: '{"a":' },
  { type: 'tool_args_delta', index: 2, partialJson: '1}' },
  { type: 'block_stop', index: 2 },
  { type: 'block_start', index: 3, block: { type: 'tool_call', id: 'call_b', name: 'g' } },
  { type: 'block_stop', index: 3 },
  { type: 'finish', stopReason: 'tool_use', stopSequence: null, usage },
];

function render(evts: StreamEvent[], includeUsage: boolean): string {
  const w = new OpenAIStreamWriter({ publicModel: 'smart', requestId: 'r1', includeUsage });
  return evts.map((e) => w.write(e)).join('') + w.end();
}

function dataOf(sse: string): unknown[] {
  return sse
    .split('\n\n')
    .filter((f) => f !== '')
    .map((f) => {
      expect(f.startsWith('data: ')).toBe(true);
      const d = f.slice(6);
      return d === '[DONE]' ? d : (JSON.parse(d) as unknown);
    });
}

function sdkClient(body: string, status = 200): OpenAI {
  return new OpenAI({
    apiKey: 'k',
    baseURL: 'http://gateway.invalid/v1',
    maxRetries: 0,
    fetch: () => Promise.resolve(new Response(body, { status, headers: { 'content-type': status === 200 ? 'text/event-stream' : 'application/json' } })),
  });
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** The text's bytes in pieces of the given sizes (taken in turn), arriving one at a time. */
function pieces(text: string, sizes: number[]): AsyncIterable<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  const out: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const n = Math.max(1, sizes[i % Math.max(1, sizes.length)] ?? 64);
    out.push(bytes.slice(at, at + n));
    at += n;
  }
  return arriving(out);
}

describe('OpenAIStreamWriter', () => {
  it('writes the exact chunk sequence with include_usage', () => {
    const head = { id: 'chatcmpl-r1', object: 'chat.completion.chunk', created: 42, model: 'smart', service_tier: 'default', system_fingerprint: null };
    const choice = (delta: object, finish: string | null = null) => ({
      ...head,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      usage: null,
    });
    expect(dataOf(render(events, true))).toEqual([
      choice({ role: 'assistant', content: '' }),
      choice({ content: 'Hi' }),
      choice({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'f', arguments: '' } }] }),
      choice({ tool_calls: [{ index: 0, function: { arguments: '{"a":' } }] }),
      choice({ tool_calls: [{ index: 0, function: { arguments: '1}' } }] }),
      choice({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'g', arguments: '' } }] }),
      choice({}, 'tool_calls'),
      {
        ...head,
        choices: [],
        usage: {
          prompt_tokens: 10,
          completion_tokens: 7,
          total_tokens: 17,
          prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
          completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
        },
      },
      '[DONE]',
    ]);
  });

  it('omits the usage key and the usage chunk without include_usage, and never writes event: lines', () => {
    const text = render(events, false);
    expect(text).not.toMatch(/^event:/m);
    const data = dataOf(text) as Array<Record<string, unknown>>;
    expect(data.at(-1)).toBe('[DONE]');
    expect(data.slice(0, -1).every((c) => !('usage' in c) && !('error' in c) && Array.isArray(c.choices) && (c.choices as unknown[]).length === 1)).toBe(true);
  });

  it('is parsed by the openai SDK, chunk by chunk and by its stream helper', async () => {
    const sse = render(events, true);
    const chunks = await collect(await sdkClient(sse).chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'x' }], stream: true }));
    expect(chunks).toHaveLength(8);
    expect(chunks.at(-1)?.usage?.total_tokens).toBe(17);

    const runner = sdkClient(sse).chat.completions.stream({
      model: 'smart',
      messages: [{ role: 'user', content: 'x' }],
      stream_options: { include_usage: true },
    });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]?.message.content).toBe('Hi');
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');
    expect(final.choices[0]?.message.tool_calls?.map((c) => (c.type === 'function' ? [c.id, c.function.name, c.function.arguments] : []))).toEqual([
      ['call_a', 'f', '{"a":1}'],
      ['call_b', 'g', ''],
    ]);
    expect(final.usage?.prompt_tokens).toBe(10);
  });

  it('errorFrame makes the SDK throw mid-stream', async () => {
    const w = new OpenAIStreamWriter({ publicModel: 'smart', requestId: 'r1', includeUsage: false });
    const sse =
      w.write(events[0]!) +
      w.write({ type: 'text_delta', index: 0, text: 'par' }) +
      errorFrame(new GatewayError({ kind: 'overloaded', message: 'upstream overloaded', provider: 'anthropic' }));
    expect(sse.split('\n\n').at(-2)).toBe('data: {"error":{"message":"upstream overloaded","type":"server_error","param":null,"code":null}}');
    const stream = await sdkClient(sse).chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'x' }], stream: true });
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const c of stream) seen.push(c.choices[0]?.delta.content ?? '');
      })(),
    ).rejects.toThrow(/upstream overloaded/);
    expect(seen.join('')).toBe('par');
  });
});

describe('openAIChunksToEvents', () => {
  const chunk = (delta: object, finish: string | null = null, extra: object = {}) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-9', object: 'chat.completion.chunk', created: 7, model: 'gpt-4o-2024', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], usage: null, ...extra })}\n\n`;

  it('synthesises blocks, and one finish with the usage chunk', async () => {
    const upstream =
      ': keep-alive\n\n' +
      chunk({ role: 'assistant', content: '', refusal: null }) +
      chunk({ reasoning_content: 'think' }) +
      chunk({ content: 'He' }) +
      chunk({ content: 'llo' }) +
      chunk({ tool_calls: [{ index: 0, id: 'c0', type: 'function', function: { name: 'f', arguments: '' } }] }) +
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{}' } }] }) +
      chunk({ tool_calls: [{ index: 1, id: 'c1', type: 'function', function: { name: 'g', arguments: '{"x":2}' } }] }) +
      chunk({}, 'tool_calls') +
      `data: ${JSON.stringify({ id: 'chatcmpl-9', choices: [], usage: { prompt_tokens: 1500, completion_tokens: 9, total_tokens: 1509, prompt_tokens_details: { cached_tokens: 1024 }, completion_tokens_details: { reasoning_tokens: 3 } } })}\n\n` +
      'data: [DONE]\n\n';
    expect(await collect(openAIChunksToEvents(parseSse(pieces(upstream, [7, 13, 100]))))).toEqual([
      { type: 'start', id: 'chatcmpl-9', model: 'gpt-4o-2024', created: 7, usage: ZERO_USAGE },
      { type: 'block_start', index: 0, block: { type: 'thinking' } },
      { type: 'thinking_delta', index: 0, text: 'think' },
      { type: 'block_stop', index: 0 },
      { type: 'block_start', index: 1, block: { type: 'text' } },
      { type: 'text_delta', index: 1, text: 'He' },
      { type: 'text_delta', index: 1, text: 'llo' },
      { type: 'block_stop', index: 1 },
      { type: 'block_start', index: 2, block: { type: 'tool_call', id: 'c0', name: 'f' } },
      { type: 'tool_args_delta', index: 2, partialJson: '{}' },
      { type: 'block_stop', index: 2 },
      { type: 'block_start', index: 3, block: { type: 'tool_call', id: 'c1', name: 'g' } },
      { type: 'tool_args_delta', index: 3, partialJson: '{"x":2}' },
      { type: 'block_stop', index: 3 },
      {
        type: 'finish',
        stopReason: 'tool_use',
        stopSequence: null,
        usage: { inputTokens: 476, cacheReadTokens: 1024, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, outputTokens: 9, reasoningTokens: 3 },
      },
    ]);
  });

  it('finishes with zero usage when the upstream never sends usage', async () => {
    const got = await collect(openAIChunksToEvents(parseSse(pieces(chunk({ content: 'a' }) + chunk({}, 'length') + 'data: [DONE]\n\n', [1000]))));
    expect(got.at(-1)).toEqual({ type: 'finish', stopReason: 'max_tokens', stopSequence: null, usage: ZERO_USAGE });
  });

  it('throws the upstream error from an error chunk', async () => {
    const upstream =
      chunk({ content: 'a' }) +
      `data: ${JSON.stringify({ error: { message: 'Rate limit reached', type: 'tokens', param: null, code: 'rate_limit_exceeded' } })}\n\n`;
    const it = openAIChunksToEvents(parseSse(pieces(upstream, [1000])), { provider: 'acme' });
    const seen: StreamEvent[] = [];
    let err: unknown;
    try {
      for await (const e of it) seen.push(e);
    } catch (e) {
      err = e;
    }
    expect(seen.map((e) => e.type)).toEqual(['start', 'block_start', 'text_delta']);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ kind: 'rate_limit', status: 429, code: 'rate_limit_exceeded', provider: 'acme', message: 'Rate limit reached' });
  });

  it.each([
    ['a truncated stream', () => chunk({ content: 'a' }), /ended before a finish_reason/],
    ['a non-JSON chunk', () => 'data: {nope\n\n', /not JSON/],
    [
      'a resumed tool call',
      () =>
        chunk({ tool_calls: [{ index: 0, id: 'a', function: { name: 'f' } }] }) +
        chunk({ content: 'x' }) +
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{}' } }] }),
      /resumed/,
    ],
  ])('%s is an upstream_error', async (_name, make, message) => {
    const err = await rejectionOf(collect(openAIChunksToEvents(parseSse(pieces(make(), [1000])))), GatewayError);
    expect(err.kind).toBe('upstream_error');
    expect(err.message).toMatch(message);
  });
});

// ---- Property: writer → SSE text → parseSse → openAIChunksToEvents keeps text, tool calls,
// finish reason and usage. Lossy by design: thinking is dropped, adjacent text blocks merge,
// stop reasons map as in finish-reason.ts, 1-hour cache writes come back as 5-minute writes.

const count = fc.integer({ min: 0, max: 1_000_000 });
const usageArb = fc
  .record({ inputTokens: count, cacheReadTokens: count, cacheWrite5mTokens: count, cacheWrite1hTokens: count, outputTokens: count, reasoningTokens: count })
  .map((u): Usage => ({ ...u, reasoningTokens: Math.min(u.reasoningTokens, u.outputTokens) }));
const ident = fc.stringMatching(/^[a-zA-Z0-9_-]{1,12}$/);
const deltas = fc.array(fc.string({ maxLength: 8, unit: 'binary' }), { maxLength: 4 });
type Block = { kind: 'text'; deltas: string[] } | { kind: 'thinking'; deltas: string[] } | { kind: 'tool'; id: string; name: string; deltas: string[] };
const blockArb: fc.Arbitrary<Block> = fc.oneof(
  deltas.map((d) => ({ kind: 'text' as const, deltas: d })),
  deltas.map((d) => ({ kind: 'thinking' as const, deltas: d })),
  fc.record({ kind: fc.constant('tool' as const), id: ident, name: ident, deltas }),
);
const stopReasons: StopReason[] = ['end_turn', 'max_tokens', 'stop_sequence', 'tool_use', 'content_filter', 'refusal', 'pause_turn'];

function toEvents(blocks: Block[], stopReason: StopReason, u: Usage): StreamEvent[] {
  const out: StreamEvent[] = [{ type: 'start', id: 'msg_x', model: 'm', created: 1, usage: ZERO_USAGE }];
  blocks.forEach((b, index) => {
    out.push({ type: 'block_start', index, block: b.kind === 'tool' ? { type: 'tool_call', id: b.id, name: b.name } : { type: b.kind } });
    for (const d of b.deltas) {
      if (b.kind === 'text') out.push({ type: 'text_delta', index, text: d });
      else if (b.kind === 'thinking') out.push({ type: 'thinking_delta', index, text: d });
      else out.push({ type: 'tool_args_delta', index, partialJson: d });
    }
    out.push({ type: 'block_stop', index });
  });
  out.push({ type: 'finish', stopReason, stopSequence: null, usage: u });
  return out;
}

function summary(evts: StreamEvent[]) {
  let text = '';
  const tools: Array<{ id: string; name: string; args: string }> = [];
  const byIndex = new Map<number, { id: string; name: string; args: string }>();
  let finish: StreamEvent | undefined;
  for (const e of evts) {
    if (e.type === 'text_delta') text += e.text;
    else if (e.type === 'block_start' && e.block.type === 'tool_call') {
      const t = { id: e.block.id, name: e.block.name, args: '' };
      tools.push(t);
      byIndex.set(e.index, t);
    } else if (e.type === 'tool_args_delta') {
      const t = byIndex.get(e.index);
      if (t) t.args += e.partialJson;
    } else if (e.type === 'finish') finish = e;
  }
  return { text, tools, finish };
}

describe('round trip', () => {
  it('stream writer → SSE → openAIChunksToEvents keeps text, tool calls, finish reason and usage', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(blockArb, { maxLength: 6 }),
        fc.constantFrom(...stopReasons),
        usageArb,
        fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 5 }),
        async (blocks, stopReason, u, sizes) => {
          const source = toEvents(blocks, stopReason, u);
          const back = await collect(openAIChunksToEvents(parseSse(pieces(render(source, true), sizes))));
          const want = summary(source);
          const got = summary(back);
          expect(got.text).toBe(want.text);
          expect(got.tools).toEqual(want.tools);
          const expectedStop =
            stopReason === 'stop_sequence' || stopReason === 'pause_turn' ? 'end_turn' : stopReason === 'refusal' ? 'content_filter' : stopReason;
          expect(got.finish).toEqual({
            type: 'finish',
            stopReason: expectedStop,
            stopSequence: null,
            usage: { ...u, cacheWrite5mTokens: u.cacheWrite5mTokens + u.cacheWrite1hTokens, cacheWrite1hTokens: 0 },
          });
          // Well-formed canonical stream: start first, finish last, every block started before its deltas and stopped once.
          expect(back[0]?.type).toBe('start');
          expect(back.filter((e) => e.type === 'finish')).toHaveLength(1);
          const open = new Set<number>();
          for (const e of back) {
            if (e.type === 'block_start') open.add(e.index);
            else if (e.type === 'block_stop') expect(open.delete(e.index)).toBe(true);
            else if (e.type === 'text_delta' || e.type === 'tool_args_delta') expect(open.has(e.index)).toBe(true);
          }
          expect(open.size).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});
