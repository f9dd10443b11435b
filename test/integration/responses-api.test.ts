// The OpenAI Responses API: the official openai client → costwise → (HTTP) → emulator, with exact
// costs from the list prices, stored responses and their scoping, and bad input.
import OpenAI from 'openai';
import { zodTextFormat } from 'openai/helpers/zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { expectedPico, ledger, usdToPico, type PricedModel, type TestEnv } from '../helpers/env.js';
import { BACKENDS, startEnvOn } from '../helpers/backend-env.js';

let env: TestEnv;

const tools = [
  {
    type: 'function' as const,
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
    strict: true,
  },
];

interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
}

/** The hand-computed price of a Responses usage block (input_tokens includes the cached ones). */
function priceOf(model: PricedModel, u: ResponsesUsage): bigint {
  const cached = u.input_tokens_details.cached_tokens;
  return expectedPico(model, { input: u.input_tokens - cached, cacheRead: cached, output: u.output_tokens });
}

async function rowOf(requestId: string) {
  const row = (await ledger(env)).find((r) => r['requestId'] === requestId);
  expect(row).toBeDefined();
  return row!;
}

describe.each(BACKENDS)('POST /v1/responses with the official openai SDK (%s ledger)', (backend) => {
  beforeAll(async () => {
    env = await startEnvOn(backend);
  });
  afterAll(() => env.close());

  it('non-streaming: a Response object, exact cost headers and ledger row', async () => {
    const { data, response } = await env.openai.responses
      .create(
        { model: 'gpt-4.1-mini', instructions: 'Be brief.', input: 'What is prompt caching?', metadata: { app: 'docs' } },
        { headers: { 'x-emulator-output-tokens': '37' } },
      )
      .withResponse();
    expect(data.object).toBe('response');
    expect(data.id).toMatch(/^resp_/);
    expect(data.status).toBe('completed');
    expect(data.model).toBe('gpt-4.1-mini');
    expect(data.instructions).toBe('Be brief.');
    expect(data.metadata).toEqual({ app: 'docs' });
    expect((data as unknown as { store: boolean }).store).toBe(true);
    expect(data.output).toHaveLength(1);
    expect(data.output[0]!.type).toBe('message');
    expect(data.output_text.length).toBeGreaterThan(0);
    const usage = data.usage!;
    expect(usage.output_tokens).toBe(37);
    expect(usage.total_tokens).toBe(usage.input_tokens + 37);
    expect(usage.output_tokens_details.reasoning_tokens).toBe(0);
    const expected = priceOf('gpt-4.1-mini', usage);
    expect(usdToPico(response.headers.get('x-costwise-cost-usd')!)).toBe(expected);
    expect(usdToPico(response.headers.get('x-costwise-baseline-usd')!)).toBe(expected);
    const row = await rowOf(response.headers.get('x-costwise-request-id')!);
    expect(row['endpoint']).toBe('/v1/responses');
    expect(BigInt(row['costPico'])).toBe(expected);
    expect(row['inputTokens']).toBe(usage.input_tokens);
    expect(row['outputTokens']).toBe(37);
  });

  it('reports the emulated prompt cache as input_tokens_details.cached_tokens and prices it as cache reads', async () => {
    const long = `You are a support agent for costwise. ${'Answer questions about the gateway carefully and with sources. '.repeat(150)}`;
    const ask = () =>
      env.openai.responses
        .create({ model: 'gpt-4.1-mini', instructions: long, input: 'How do I read the ledger?' }, { headers: { 'x-emulator-output-tokens': '9' } })
        .withResponse();
    await ask();
    const { data, response } = await ask();
    const usage = data.usage!;
    expect(usage.input_tokens).toBeGreaterThan(1024);
    expect(usage.input_tokens_details.cached_tokens).toBeGreaterThan(1000);
    expect(usage.input_tokens_details.cached_tokens % 128).toBe(0);
    expect(usdToPico(response.headers.get('x-costwise-cost-usd')!)).toBe(priceOf('gpt-4.1-mini', usage));
    const row = await rowOf(response.headers.get('x-costwise-request-id')!);
    expect(row['cacheReadTokens']).toBe(usage.input_tokens_details.cached_tokens);
    expect(row['inputTokens']).toBe(usage.input_tokens - usage.input_tokens_details.cached_tokens);
  });

  it('streams the Responses event types with sequence numbers; the ledger row has the exact cost', async () => {
    const stream = await env.openai.responses.create(
      { model: 'gpt-4.1-nano', input: [{ role: 'user', content: [{ type: 'input_text', text: 'Count to five.' }] }], stream: true },
      { headers: { 'x-emulator-output-tokens': '12' } },
    );
    const types: string[] = [];
    const sequence: number[] = [];
    let text = '';
    let done = '';
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      types.push(event.type);
      sequence.push(event.sequence_number);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.output_text.done') done = event.text;
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(sequence).toEqual(sequence.map((_, i) => i));
    expect(types.slice(0, 4)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
    expect(types.slice(-4)).toEqual(['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
    expect(types.filter((t) => t === 'response.output_text.delta').length).toBeGreaterThan(1);
    expect(text.length).toBeGreaterThan(0);
    expect(done).toBe(text);
    expect(completed!.status).toBe('completed');
    const item = completed!.output[0]!;
    expect(item.type === 'message' && item.content[0]!.type === 'output_text' ? item.content[0]!.text : undefined).toBe(text);
    const usage = completed!.usage!;
    expect(usage.output_tokens).toBe(12);
    expect(usage.input_tokens_details.cached_tokens).toBe(0);
    const row = (await ledger(env)).find((r) => r['endpoint'] === '/v1/responses' && r['stream'] && r['servedModel'] === 'gpt-4.1-nano')!;
    expect(BigInt(row['costPico'])).toBe(priceOf('gpt-4.1-nano', usage));
    // The streamed response was stored too.
    const stored = await env.openai.responses.retrieve(completed!.id);
    expect(stored.output_text).toBe(text);
  });

  it('function tools round trip with previous_response_id, streamed function-call events, and with the full input', async () => {
    const first = await env.openai.responses.create({ model: 'gpt-4.1', input: 'Weather in Oslo?', tools, tool_choice: 'auto' });
    expect(first.output).toHaveLength(1);
    const call = first.output[0]!;
    if (call.type !== 'function_call') throw new Error(`expected a function call, got ${call.type}`);
    expect(call.name).toBe('get_weather');
    expect(call.call_id).toMatch(/^call_/);
    expect(JSON.parse(call.arguments)).toHaveProperty('city');

    const chained = await env.openai.responses.create({
      model: 'gpt-4.1',
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"temp_c": 4}' }],
      tools,
    });
    expect(chained.previous_response_id).toBe(first.id);
    expect(chained.output[0]!.type).toBe('message');
    expect(chained.output_text.length).toBeGreaterThan(0);
    // The chained request carried the whole conversation: more input tokens than the first.
    expect(chained.usage!.input_tokens).toBeGreaterThan(first.usage!.input_tokens);
    const items = await env.openai.responses.inputItems.list(chained.id, { order: 'asc' });
    expect(items.data.map((i) => i.type)).toEqual(['message', 'function_call', 'function_call_output']);

    const full = await env.openai.responses.create({
      model: 'gpt-4.1',
      store: false,
      input: [
        { role: 'user', content: 'Weather in Oslo?' },
        { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
        { type: 'function_call_output', call_id: call.call_id, output: '{"temp_c": 4}' },
      ],
      tools,
    });
    expect(full.output_text.length).toBeGreaterThan(0);
    expect(full.usage!.input_tokens).toBe(chained.usage!.input_tokens);
    await expect(env.openai.responses.retrieve(full.id)).rejects.toMatchObject({ status: 404 });

    const stream = await env.openai.responses.create({ model: 'gpt-4.1', input: 'Weather in Bergen?', tools, stream: true });
    let args = '';
    let argsDone = '';
    const types: string[] = [];
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.function_call_arguments.delta') args += event.delta;
      if (event.type === 'response.function_call_arguments.done') argsDone = event.arguments;
    }
    expect(types).toContain('response.output_item.added');
    expect(args.length).toBeGreaterThan(0);
    expect(argsDone).toBe(args);
    expect(JSON.parse(args)).toHaveProperty('city');
  });

  it('text.format json_schema reaches the model and the SDK parses the answer', async () => {
    const City = z.object({ city: z.string(), population: z.number() });
    const parsed = await env.openai.responses.parse(
      { model: 'gpt-4.1-mini', input: '{"city":"Oslo","population":709000}', text: { format: zodTextFormat(City, 'city') } },
      { headers: { 'x-emulator-echo': '1' } },
    );
    expect(parsed.output_parsed).toEqual({ city: 'Oslo', population: 709000 });
    expect(parsed.text?.format).toMatchObject({ type: 'json_schema', name: 'city', strict: true });
  });

  it('a Claude model serves /v1/responses, priced at its own list price', async () => {
    const { data, response } = await env.openai.responses
      .create(
        { model: 'claude-haiku-4-5', instructions: 'Be brief.', input: 'Hello there', max_output_tokens: 200 },
        { headers: { 'x-emulator-output-tokens': '21' } },
      )
      .withResponse();
    expect(data.model).toBe('claude-haiku-4-5');
    expect(data.status).toBe('completed');
    expect(data.output_text.length).toBeGreaterThan(0);
    expect(data.usage!.output_tokens).toBe(21);
    const expected = priceOf('claude-haiku-4-5', data.usage!);
    expect(usdToPico(response.headers.get('x-costwise-cost-usd')!)).toBe(expected);
    const row = await rowOf(response.headers.get('x-costwise-request-id')!);
    expect(row['provider']).toBe('anthropic');
    expect(BigInt(row['costPico'])).toBe(expected);
  });

  it('a Gemini model streams through /v1/responses; a Claude model notes the reasoning effort it cannot take', async () => {
    const stream = await env.openai.responses.create(
      { model: 'gemini-2.5-flash', input: 'Say something.', stream: true },
      { headers: { 'x-emulator-output-tokens': '14' } },
    );
    let completed: OpenAI.Responses.Response | undefined;
    let text = '';
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(completed!.model).toBe('gemini-2.5-flash');
    expect(completed!.usage!.output_tokens).toBe(14);
    const row = (await ledger(env)).find((r) => r['endpoint'] === '/v1/responses' && r['servedModel'] === 'gemini-2.5-flash')!;
    expect(row['provider']).toBe('gemini');
    expect(BigInt(row['costPico'])).toBe(priceOf('gemini-2.5-flash', completed!.usage!));

    const { response } = await env.openai.responses.create({ model: 'claude-haiku-4-5', input: 'Think hard.', reasoning: { effort: 'high' } }).withResponse();
    expect(response.headers.get('x-costwise-warnings')).toMatch(/reasoning_effort/);
  });

  it('the exact response cache serves a repeated request, rendered as a Response, at zero cost', async () => {
    const ask = () =>
      env.openai.responses.create({ model: 'gpt-4.1-mini', input: 'What is the capital of Norway?', temperature: 0, store: false }).withResponse();
    const first = await ask();
    const second = await ask();
    expect(second.response.headers.get('x-costwise-cache')).toBe('hit-exact');
    expect(second.data.output_text).toBe(first.data.output_text);
    expect(second.data.id).not.toBe(first.data.id);
    expect(usdToPico(second.response.headers.get('x-costwise-cost-usd')!)).toBe(0n);
    expect(usdToPico(second.response.headers.get('x-costwise-baseline-usd')!)).toBe(priceOf('gpt-4.1-mini', first.data.usage!));
  });

  it('stored responses: GET, input_items, DELETE', async () => {
    const created = await env.openai.responses.create({ model: 'gpt-4.1-nano', input: [{ role: 'user', content: 'Remember me.' }] });
    const got = await env.openai.responses.retrieve(created.id);
    expect(got).toEqual(created);
    const items = await env.openai.responses.inputItems.list(created.id);
    expect(items.data).toHaveLength(1);
    const item = items.data[0]!;
    if (item.type !== 'message') throw new Error('expected a message item');
    expect(item.role).toBe('user');
    expect(item.content).toEqual([{ type: 'input_text', text: 'Remember me.' }]);
    expect(item.id).toMatch(/^in_/);
    const deleted = await env.openai.responses.delete(created.id).asResponse();
    expect(await deleted.json()).toEqual({ id: created.id, object: 'response', deleted: true });
    await expect(env.openai.responses.retrieve(created.id)).rejects.toMatchObject({ status: 404 });
    await expect(env.openai.responses.delete(created.id)).rejects.toMatchObject({ status: 404 });
  });

  it('one caller cannot read, chain from or delete another caller’s stored response', async () => {
    const mine = await env.openai.responses.create({ model: 'gpt-4.1-nano', input: 'secret plans' });
    const other = new OpenAI({ apiKey: 'sk-someone-else', baseURL: `${env.gateway.url}/v1`, maxRetries: 0 });
    const otherTenant = new OpenAI({ apiKey: 'sk-test-key', baseURL: `${env.gateway.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-costwise-tenant': 'acme' } });
    for (const client of [other, otherTenant]) {
      await expect(client.responses.retrieve(mine.id)).rejects.toMatchObject({ status: 404 });
      await expect(client.responses.inputItems.list(mine.id)).rejects.toMatchObject({ status: 404 });
      await expect(client.responses.delete(mine.id)).rejects.toMatchObject({ status: 404 });
      await expect(client.responses.create({ model: 'gpt-4.1-nano', previous_response_id: mine.id, input: 'and?' })).rejects.toMatchObject({
        status: 400,
        param: 'previous_response_id',
      });
      const ref = mine.output[0]!.id!;
      await expect(client.responses.create({ model: 'gpt-4.1-nano', input: [{ type: 'item_reference', id: ref }] })).rejects.toMatchObject({
        status: 400,
        param: 'input[0].id',
      });
    }
    // The owner still can, item references included.
    expect((await env.openai.responses.retrieve(mine.id)).id).toBe(mine.id);
    const ref = await env.openai.responses.create({
      model: 'gpt-4.1-nano',
      input: [
        { role: 'user', content: 'secret plans' },
        { type: 'item_reference', id: mine.output[0]!.id! },
        { role: 'user', content: 'more' },
      ],
    });
    expect(ref.status).toBe('completed');
  });

  it('bad input is a 400 naming the field', async () => {
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [
        { model: 'gpt-4.1-mini', input: 'hi', tools: [{ type: 'web_search' }] },
        'tools[0].type',
        /tools\[0\]\.type: "web_search" is a hosted tool that costwise cannot run for model gpt-4\.1-mini/,
      ],
      [{ model: 'gpt-4.1-mini', input: 'hi', tools: [{ type: 'file_search', vector_store_ids: ['vs_1'] }] }, 'tools[0].type', /"file_search" is a hosted tool/],
      [{ model: 'gpt-4.1-mini' }, 'input', /Missing required parameter: 'input'/],
      [{ model: 'gpt-4.1-mini', input: [{ role: 'user', content: [{ type: 'input_txt', text: 'x' }] }] }, 'input[0].content[0].type', /input_txt/],
      [{ model: 'gpt-4.1-mini', input: [{ type: 'function_call_output', output: 'x' }] }, 'input[0].call_id', /call_id/],
      [{ model: 'gpt-4.1-mini', input: 'hi', text: { format: { type: 'json_schema', schema: {} } } }, 'text.format.name', /text\.format\.name/],
      [{ model: 'gpt-4.1-mini', input: 'hi', temperature: 3 }, 'temperature', /between 0 and 2/],
      [{ model: 'gpt-4.1-mini', input: 'hi', metadata: { a: 1 } }, 'metadata.a', /metadata\.a/],
      [{ model: 'gpt-4.1-mini', input: 'hi', background: true }, 'background', /background/],
      [{ model: 'gpt-4.1-mini', input: 'hi', bogus: 1 }, 'bogus', /Unrecognized request argument supplied: 'bogus'/],
      [{ model: 'gpt-4.1-mini', input: 'hi', previous_response_id: 'resp_nope' }, 'previous_response_id', /resp_nope/],
    ];
    for (const [body, param, message] of cases) {
      const res = await fetch(`${env.gateway.url}/v1/responses`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test-key' },
        body: JSON.stringify(body),
      });
      const json = (await res.json()) as { error: { message: string; type: string; param: string } };
      expect({ status: res.status, param: json.error.param }).toEqual({ status: 400, param });
      expect(json.error.type).toBe('invalid_request_error');
      expect(json.error.message).toMatch(message);
    }
    const deferred = await fetch(`${env.gateway.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test-key', 'x-costwise-defer': '1h' },
      body: JSON.stringify({ model: 'gpt-4.1-mini', input: 'later' }),
    });
    expect(deferred.status).toBe(400);
    expect(((await deferred.json()) as { error: { param: string } }).error.param).toBe('x-costwise-defer');
    // The gateway is still serving.
    expect((await env.openai.responses.create({ model: 'gpt-4.1-nano', input: 'still there?' })).status).toBe('completed');
  });
});

describe.each(BACKENDS)('a failure mid-stream (%s ledger)', (backend) => {
  beforeAll(async () => {
    env = await startEnvOn(backend);
  });
  afterAll(() => env.close());

  it('is an error event the SDK throws on; the ledger row records the failure', async () => {
    const stream = await env.openai.responses.create(
      { model: 'gpt-4.1-nano', input: 'Tell me a long story.', stream: true },
      { headers: { 'x-emulator-fault': 'cut', 'x-emulator-output-tokens': '200' } },
    );
    const types: string[] = [];
    const read = async () => {
      for await (const event of stream) types.push(event.type);
    };
    const err = await read().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(types[0]).toBe('response.created');
    expect(types).not.toContain('response.completed');
    const row = (await ledger(env)).find((r) => r['endpoint'] === '/v1/responses' && r['status'] >= 500)!;
    expect(row).toBeDefined();
  });
});

describe('the emulator speaks the Responses API', () => {
  beforeAll(async () => {
    env = await startEnvOn('sqlite'); // the emulator alone: no storage involved
  });
  afterAll(() => env.close());

  it('answers openai.responses.create directly, streaming included', async () => {
    const direct = new OpenAI({ apiKey: 'sk-emulator', baseURL: `${env.emulator.url}/v1`, maxRetries: 0 });
    const r = await direct.responses.create({ model: 'gpt-4.1-mini', input: 'hi', store: false }, { headers: { 'x-emulator-output-tokens': '5' } });
    expect(r.usage!.output_tokens).toBe(5);
    expect(r.output_text.length).toBeGreaterThan(0);
    const stream = await direct.responses.create({ model: 'gpt-4.1-mini', input: 'hi', stream: true, store: false });
    let last = '';
    for await (const event of stream) last = event.type;
    expect(last).toBe('response.completed');
  });
});
