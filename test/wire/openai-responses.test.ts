// The Responses API's wire modules on their own: input items → canonical, canonical stream → events
// and back (the writer's frames parsed by the upstream reader), egress bodies, item ids.
import { describe, expect, it } from 'vitest';
import { ZERO_USAGE, type StreamEvent, type Usage } from '../../src/core/canonical.js';
import { GatewayError } from '../../src/core/errors.js';
import { parseSse } from '../../src/wire/sse.js';
import { itemsToMessages, parseInput } from '../../src/wire/openai/responses-items.js';
import { parseResponsesBody } from '../../src/wire/openai/responses-parse.js';
import { itemId, renderResponse, responseIdOfItem } from '../../src/wire/openai/responses-render.js';
import { toResponsesRequestBody } from '../../src/wire/openai/responses-request-body.js';
import { ResponsesStreamWriter } from '../../src/wire/openai/responses-stream.js';
import { parseResponseObject, responsesEventsToCanonical } from '../../src/wire/openai/responses-upstream.js';

/** One chunk, as a body stream would give it. */
// eslint-disable-next-line @typescript-eslint/require-await -- parseSse takes an async iterable
async function* once(text: string): AsyncGenerator<string> {
  yield text;
}

const usage: Usage = { ...ZERO_USAGE, inputTokens: 70, cacheReadTokens: 1024, outputTokens: 30, reasoningTokens: 12 };

function call(body: Record<string, unknown>) {
  const c = parseResponsesBody({ model: 'gpt-4.1-mini', ...body });
  itemsToMessages(c.input, c.request);
  return c;
}

describe('input items → canonical', () => {
  it('groups an assistant turn with its calls and consecutive outputs into one user turn', () => {
    const { request } = call({
      instructions: 'Be brief.',
      input: [
        { role: 'developer', content: 'Use metric units.' },
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'Weather?' },
            { type: 'input_image', image_url: 'data:image/png;base64,AAAA', detail: 'low' },
          ],
        },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.' }] },
        { type: 'function_call', call_id: 'call_1', name: 'w', arguments: '{"city":"Oslo"}' },
        { type: 'function_call', call_id: 'call_2', name: 'w', arguments: '{"city":"Bergen"}' },
        { type: 'function_call_output', call_id: 'call_1', output: '4' },
        { type: 'function_call_output', call_id: 'call_2', output: [{ type: 'input_text', text: '6' }] },
        { type: 'reasoning', id: 'rs_1', summary: [] },
      ],
    });
    expect(request.system.map((p) => p.text)).toEqual(['Be brief.', 'Use metric units.']);
    expect(request.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Weather?' },
          { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'AAAA' }, detail: 'low' },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool_call', id: 'call_1', name: 'w', arguments: '{"city":"Oslo"}' },
          { type: 'tool_call', id: 'call_2', name: 'w', arguments: '{"city":"Bergen"}' },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', toolCallId: 'call_1', content: [{ type: 'text', text: '4' }] },
          { type: 'tool_result', toolCallId: 'call_2', content: [{ type: 'text', text: '6' }] },
        ],
      },
    ]);
  });

  it('maps the request fields and refuses what it cannot honour, naming the field', () => {
    const c = call({
      input: 'hi',
      max_output_tokens: 100,
      text: { format: { type: 'json_schema', name: 'x', schema: { type: 'object' }, strict: true }, verbosity: 'low' },
      reasoning: { effort: 'high' },
      tool_choice: { type: 'function', name: 'w' },
      tools: [{ type: 'function', name: 'w', parameters: { type: 'object' } }],
    });
    expect(c.request).toMatchObject({
      maxTokens: 100,
      reasoningEffort: 'high',
      toolChoice: { type: 'tool', name: 'w' },
      responseFormat: { type: 'json_schema', name: 'x', strict: true },
      passthrough: { format: 'openai', fields: { verbosity: 'low' } },
    });
    expect(c.store).toBe(true);
    const refused = (body: Record<string, unknown>): GatewayError => {
      try {
        call(body);
      } catch (err) {
        return err as GatewayError;
      }
      throw new Error('accepted');
    };
    expect(refused({ input: 'x', tools: [{ type: 'code_interpreter' }] }).param).toBe('tools[0].type');
    expect(refused({ input: 'x', tool_choice: { type: 'web_search_preview' } }).message).toMatch(/"web_search_preview" is a hosted tool/);
    expect(refused({ input: [{ role: 'system', content: [{ type: 'input_image', image_url: 'https://x/y.png' }] }] }).param).toBe('input[0].content[0].type');
    expect(refused({ input: 'x', max_output_tokens: 8 }).param).toBe('max_output_tokens');
    expect(refused({ input: 'x', truncation: 'auto' }).param).toBe('truncation');
    expect(refused({ input: [{ type: 'item_reference', id: 'msg_1' }] }).message).toMatch(/Item with id 'msg_1' not found/);
  });

  it('item ids name their response', () => {
    const id = itemId('msg', 'resp_cw_abc_1', 3);
    expect(id).toBe('msg_cw_abc_1_3');
    expect(responseIdOfItem(id)).toBe('resp_cw_abc_1');
    expect(responseIdOfItem('msg_67ccd2bf')).toBeUndefined();
    expect(parseInput('hi')).toEqual([{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }]);
  });
});

describe('canonical → Responses events → canonical', () => {
  const meta = () => ({ id: 'resp_cw_x', createdAt: 1, model: 'claude-haiku-4-5', echo: parseResponsesBody({ model: 'm', input: 'x' }).echo });
  const events: StreamEvent[] = [
    { type: 'start', id: 'msg_up', model: 'claude-haiku-4-5', created: 100, usage: ZERO_USAGE },
    { type: 'block_start', index: 0, block: { type: 'thinking' } },
    { type: 'thinking_delta', index: 0, text: 'hmm' },
    { type: 'block_stop', index: 0 },
    { type: 'block_start', index: 1, block: { type: 'text' } },
    { type: 'text_delta', index: 1, text: 'Hel' },
    { type: 'text_delta', index: 1, text: 'lo' },
    { type: 'block_stop', index: 1 },
    { type: 'block_start', index: 2, block: { type: 'tool_call', id: 'toolu_1', name: 'w' } },
    { type: 'tool_args_delta', index: 2, partialJson: '{"city":' },
    { type: 'tool_args_delta', index: 2, partialJson: '"Oslo"}' },
    { type: 'block_stop', index: 2 },
    { type: 'finish', stopReason: 'tool_use', stopSequence: null, usage },
  ];

  it('drops thinking, numbers output items from 0, and the upstream reader reads the frames back', async () => {
    const writer = new ResponsesStreamWriter(meta());
    const sse = events.map((e) => writer.write(e)).join('') + writer.end();
    const frames: Array<{ event: string | null; data: { type: string; sequence_number: number; output_index?: number } }> = [];
    for await (const f of parseSse(once(sse))) frames.push({ event: f.event, data: JSON.parse(f.data) as { type: string; sequence_number: number } });
    expect(frames.every((f, i) => f.event === f.data.type && f.data.sequence_number === i)).toBe(true);
    expect(frames.map((f) => f.data.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const final = writer.response()!;
    expect(final).toMatchObject({
      id: 'resp_cw_x',
      created_at: 100,
      status: 'completed',
      usage: {
        input_tokens: 1094,
        input_tokens_details: { cached_tokens: 1024 },
        output_tokens: 30,
        output_tokens_details: { reasoning_tokens: 12 },
        total_tokens: 1124,
      },
      output: [
        { type: 'message', id: 'msg_cw_x_0', content: [{ type: 'output_text', text: 'Hello' }] },
        { type: 'function_call', id: 'fc_cw_x_1', call_id: 'toolu_1', name: 'w', arguments: '{"city":"Oslo"}' },
      ],
    });

    const back: StreamEvent[] = [];
    for await (const e of responsesEventsToCanonical(parseSse(once(sse)))) back.push(e);
    expect(back).toEqual([
      { type: 'start', id: 'resp_cw_x', model: 'claude-haiku-4-5', created: 100, usage: ZERO_USAGE },
      ...events.slice(4, 12).map((e) => ('index' in e ? { ...e, index: e.index - 1 } : e)),
      { type: 'finish', stopReason: 'tool_use', stopSequence: null, usage: { ...usage, inputTokens: 70 } },
    ]);
    // The non-streaming shape parses back to the same answer.
    const parsed = parseResponseObject(final);
    expect(parsed.content).toEqual([
      { type: 'text', text: 'Hello' },
      { type: 'tool_call', id: 'toolu_1', name: 'w', arguments: '{"city":"Oslo"}' },
    ]);
    expect(parsed.usage).toEqual(usage);
  });

  it('a max-tokens stop is an incomplete response, both ways', async () => {
    const writer = new ResponsesStreamWriter(meta());
    const sse =
      writer.write({ type: 'block_start', index: 0, block: { type: 'text' } }) +
      writer.write({ type: 'text_delta', index: 0, text: 'cut' }) +
      writer.write({ type: 'finish', stopReason: 'max_tokens', stopSequence: null, usage });
    expect(sse).toContain('event: response.incomplete');
    expect(writer.response()).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    const back: StreamEvent[] = [];
    for await (const e of responsesEventsToCanonical(parseSse(once(sse)))) back.push(e);
    expect(back.at(-1)).toMatchObject({ type: 'finish', stopReason: 'max_tokens' });
    const rendered = renderResponse(
      { id: 'x', model: 'm', content: [{ type: 'text', text: 'cut' }], stopReason: 'max_tokens', stopSequence: null, usage, created: 1 },
      meta(),
    );
    expect(parseResponseObject(rendered).stopReason).toBe('max_tokens');
  });

  it('an upstream error event is a GatewayError', async () => {
    const sse = 'event: error\ndata: {"type":"error","code":"rate_limit_exceeded","message":"slow down","param":null}\n\n';
    const read = async () => {
      const seen: StreamEvent[] = [];
      for await (const e of responsesEventsToCanonical(parseSse(once(sse)))) seen.push(e);
      return seen;
    };
    await expect(read()).rejects.toMatchObject({ status: 429, message: 'slow down' });
  });
});

describe('canonical → an upstream Responses body', () => {
  it('writes items in order, tool outputs before the rest of their turn, and warns for what it drops', () => {
    const { request } = call({
      instructions: 'Be brief.',
      input: [
        { role: 'user', content: 'Weather?' },
        { type: 'function_call', call_id: 'call_1', name: 'w', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_1', output: '4' },
      ],
      tools: [{ type: 'function', name: 'w', parameters: { type: 'object' } }],
    });
    request.stop = ['END'];
    request.messages[2]!.content.push({ type: 'text', text: 'And tomorrow?' });
    const warnings: string[] = [];
    const body = toResponsesRequestBody(request, 'gpt-4.1-mini', warnings, true);
    expect(body).toEqual({
      model: 'gpt-4.1-mini',
      input: [
        { type: 'message', role: 'system', content: [{ type: 'input_text', text: 'Be brief.' }] },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Weather?' }] },
        { type: 'function_call', call_id: 'call_1', name: 'w', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_1', output: '4' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'And tomorrow?' }] },
      ],
      store: false,
      tools: [{ type: 'function', name: 'w', parameters: { type: 'object' }, strict: false }],
      stream: true,
    });
    expect(warnings).toEqual(['"stop" is not supported by the OpenAI Responses API and was not sent']);
  });
});
