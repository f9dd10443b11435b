import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { countTextTokens } from '../../src/tokens/count.js';
import { parseSse } from '../../src/wire/sse.js';
import { postJson } from './helpers.js';
import { present } from '../helpers/assert.js';
import { parseJson, shaped } from '../helpers/json.js';
import { GeminiChunk, GeminiErrorBody, GeminiReply } from '../helpers/wire-json.js';

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.close());

const KEY = { 'x-goog-api-key': 'k' };
const url = (model: string, method: string, query = '') => `${emu.url}/v1beta/models/${model}:${method}${query}`;
const TokenCount = z.object({ totalTokens: z.number() });
const Embedding = z.object({ values: z.array(z.number()) });
const body = { systemInstruction: { parts: [{ text: 'Be brief.' }] }, contents: [{ role: 'user', parts: [{ text: 'Hello Gemini' }] }] };

describe('Gemini generateContent', () => {
  it('answers with candidates and usageMetadata; countTokens agrees', async () => {
    const r = await postJson(url('gemini-2.5-flash', 'generateContent'), body, KEY);
    expect(r.status).toBe(200);
    const reply = shaped(r.json, GeminiReply);
    const text = present(reply.candidates[0].content.parts[0].text, 'the answer text');
    expect(reply.candidates[0].content.role).toBe('model');
    expect(reply.candidates[0].finishReason).toBe('STOP');
    const u = reply.usageMetadata;
    expect(u.candidatesTokenCount).toBe(countTextTokens(text, 'gemini-2.5-flash'));
    expect(u.totalTokenCount).toBe(u.promptTokenCount + u.candidatesTokenCount);
    const count = await postJson(url('gemini-2.5-flash', 'countTokens'), body, KEY);
    expect(shaped(count.json, TokenCount).totalTokens).toBe(u.promptTokenCount);
    const wrapped = await postJson(url('gemini-2.5-flash', 'countTokens'), { generateContentRequest: { model: 'models/gemini-2.5-flash', ...body } }, KEY);
    expect(shaped(wrapped.json, TokenCount).totalTokens).toBe(u.promptTokenCount);
  });

  it('accepts ?key= and maxOutputTokens gives MAX_TOKENS', async () => {
    const r = await postJson(
      url('gemini-2.5-pro', 'generateContent', '?key=abc'),
      { ...body, generationConfig: { maxOutputTokens: 5 } },
      { 'x-emulator-output-tokens': '40' },
    );
    expect(r.status).toBe(200);
    const reply = shaped(r.json, GeminiReply);
    expect(reply.candidates[0].finishReason).toBe('MAX_TOKENS');
    expect(reply.usageMetadata.candidatesTokenCount).toBe(5);
  });

  it('streams data-only SSE with usage in the last chunk and no [DONE]', async () => {
    const res = await fetch(url('gemini-2.5-flash', 'streamGenerateContent', '?alt=sse'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...KEY },
      body: JSON.stringify(body),
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = [];
    for await (const e of parseSse(res.body!)) events.push(e);
    expect(events.length).toBeGreaterThan(1);
    expect(events.every((e) => e.event === null && e.data !== '[DONE]')).toBe(true);
    const chunks = events.map((e) => parseJson(e.data, GeminiChunk));
    expect(chunks.slice(0, -1).every((c) => c.usageMetadata === undefined && c.candidates[0].finishReason === undefined)).toBe(true);
    const last = present(chunks.at(-1), 'a last chunk');
    expect(last.candidates[0].finishReason).toBe('STOP');
    const text = chunks.map((c) => c.candidates[0].content.parts[0].text).join('');
    expect(last.usageMetadata?.candidatesTokenCount).toBe(countTextTokens(text, 'gemini-2.5-flash'));
    const plain = await postJson(url('gemini-2.5-flash', 'generateContent'), body, KEY);
    expect(shaped(plain.json, GeminiReply).candidates[0].content.parts[0].text).toBe(text);
  });

  it('calls a function, then answers text after a functionResponse', async () => {
    const tools = [
      {
        functionDeclarations: [
          { name: 'find', parameters: { type: 'OBJECT', properties: { q: { type: 'STRING' }, n: { type: 'INTEGER' } }, required: ['q', 'n'] } },
        ],
      },
    ];
    const call = await postJson(url('gemini-2.5-flash', 'generateContent'), { contents: body.contents, tools }, KEY);
    expect(shaped(call.json, GeminiReply).candidates[0].content.parts[0].functionCall).toEqual({ name: 'find', args: { q: 'example', n: 1 } });
    const after = await postJson(
      url('gemini-2.5-flash', 'generateContent'),
      {
        tools,
        contents: [
          ...body.contents,
          { role: 'model', parts: [{ functionCall: { name: 'find', args: { q: 'x', n: 1 } } }] },
          { role: 'user', parts: [{ functionResponse: { name: 'find', response: { result: 'ok' } } }] },
        ],
      },
      KEY,
    );
    expect(typeof shaped(after.json, GeminiReply).candidates[0].content.parts[0].text).toBe('string');
    const none = await postJson(
      url('gemini-2.5-flash', 'generateContent'),
      { contents: body.contents, tools, toolConfig: { functionCallingConfig: { mode: 'NONE' } } },
      KEY,
    );
    expect(typeof shaped(none.json, GeminiReply).candidates[0].content.parts[0].text).toBe('string');
  });
});

describe('Gemini embeddings', () => {
  it('embedContent and batchEmbedContents agree', async () => {
    const one = await postJson(url('gemini-embedding-001', 'embedContent'), { content: { parts: [{ text: 'hello' }] }, outputDimensionality: 768 }, KEY);
    const oneValues = shaped(one.json, z.object({ embedding: Embedding })).embedding.values;
    expect(oneValues).toHaveLength(768);
    const batch = await postJson(
      url('gemini-embedding-001', 'batchEmbedContents'),
      {
        requests: [
          { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'hello' }] }, outputDimensionality: 768 },
          { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'world' }] } },
        ],
      },
      KEY,
    );
    const { embeddings } = shaped(batch.json, z.object({ embeddings: z.array(Embedding) }));
    expect(embeddings[0]?.values).toEqual(oneValues);
    expect(embeddings[1]?.values).toHaveLength(3072);
  });
});

describe('Gemini errors', () => {
  it('uses the {error:{code,message,status}} shape', async () => {
    const noKey = await postJson(url('gemini-2.5-flash', 'generateContent'), body);
    expect(noKey.status).toBe(401);
    expect(shaped(noKey.json, GeminiErrorBody).error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED' });
    const bad = await postJson(url('gemini-2.5-flash', 'generateContent'), '{nope', KEY);
    expect(shaped(bad.json, GeminiErrorBody).error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    const empty = await postJson(url('gemini-2.5-flash', 'generateContent'), { contents: [] }, KEY);
    expect(empty.status).toBe(400);
    const unknown = await postJson(url('llama-3', 'generateContent'), body, KEY);
    expect(shaped(unknown.json, GeminiErrorBody).error).toMatchObject({ code: 404, status: 'NOT_FOUND' });
    const overloaded = await postJson(url('gemini-2.5-flash', 'generateContent'), body, { ...KEY, 'x-emulator-fault': '529' });
    expect(shaped(overloaded.json, GeminiErrorBody).error).toMatchObject({ code: 503, status: 'UNAVAILABLE' });
  });
});

describe('Gemini structured outputs', () => {
  it('responseMimeType application/json with responseJsonSchema gets JSON satisfying the schema', async () => {
    const schema = { type: 'object', properties: { title: { type: 'string' }, pages: { type: 'integer' } }, required: ['title', 'pages'] };
    const r = await postJson(
      url('gemini-2.5-flash', 'generateContent'),
      { ...body, generationConfig: { responseMimeType: 'application/json', responseJsonSchema: schema } },
      KEY,
    );
    const text = present(shaped(r.json, GeminiReply).candidates[0].content.parts[0].text, 'the answer text');
    expect(z.object({ title: z.string(), pages: z.number().int() }).safeParse(JSON.parse(text)).success).toBe(true);
  });
});
