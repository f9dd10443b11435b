import fc from 'fast-check';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/core/errors.js';
import {
  decodeFloat32,
  encodeFloat32,
  parseEmbeddingsRequest,
  parseEmbeddingsResponse,
  renderEmbeddings,
  toEmbeddingsBody,
} from '../../src/wire/openai/embeddings.js';

function errorOf(body: unknown): GatewayError {
  try {
    parseEmbeddingsRequest(body);
  } catch (e) {
    return e as GatewayError;
  }
  throw new Error('expected a throw');
}

describe('parseEmbeddingsRequest', () => {
  it('reads string and array inputs', () => {
    expect(parseEmbeddingsRequest({ model: 'e', input: 'hi' })).toEqual({ model: 'e', input: ['hi'], inputWasString: true, encodingFormat: 'float' });
    expect(parseEmbeddingsRequest({ model: 'e', input: ['a', 'b'], encoding_format: 'base64', dimensions: 256, user: 'u' })).toEqual({
      model: 'e',
      input: ['a', 'b'],
      inputWasString: false,
      encodingFormat: 'base64',
      dimensions: 256,
      user: 'u',
    });
  });

  it.each([
    ['missing model', { input: 'x' }, 'model', /Missing required parameter: 'model'/],
    ['missing input', { model: 'e' }, 'input', /Missing required parameter: 'input'/],
    ['token array', { model: 'e', input: [1, 2, 3] }, 'input', /Token-array inputs are not supported/],
    ['token arrays', { model: 'e', input: [[1, 2]] }, 'input', /Token-array/],
    ['empty string', { model: 'e', input: ['a', ''] }, 'input[1]', /non-empty/],
    ['empty array', { model: 'e', input: [] }, 'input', /at least 1 item/],
    ['object item', { model: 'e', input: [{}] }, 'input[0]', /got object/],
    ['format', { model: 'e', input: 'x', encoding_format: 'int8' }, 'encoding_format', /got 'int8'/],
    ['dimensions', { model: 'e', input: 'x', dimensions: 0 }, 'dimensions', />= 1/],
    ['dimensions type', { model: 'e', input: 'x', dimensions: 1.5 }, 'dimensions', /expected an integer/],
    ['unknown field', { model: 'e', input: 'x', foo: 1 }, 'foo', /Unrecognized request argument supplied: foo/],
  ])('%s → 400 naming %s', (_n, body, param, message) => {
    const err = errorOf(body);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.status).toBe(400);
    expect(err.param).toBe(param);
    expect(err.message).toMatch(message);
  });
});

describe('render / egress', () => {
  const resp = {
    model: 'text-embedding-3-small',
    embeddings: [
      [0.5, -1.25],
      [3, 0],
    ],
    usage: { inputTokens: 7 },
  };

  it('renders floats', () => {
    const req = parseEmbeddingsRequest({ model: 'e', input: ['a', 'b'] });
    expect(renderEmbeddings(resp, req, 'e')).toEqual({
      object: 'list',
      data: [
        { object: 'embedding', index: 0, embedding: [0.5, -1.25] },
        { object: 'embedding', index: 1, embedding: [3, 0] },
      ],
      model: 'e',
      usage: { prompt_tokens: 7, total_tokens: 7 },
    });
  });

  it('renders base64 little-endian float32 that the SDK decodes (its default format)', async () => {
    const rendered = renderEmbeddings(resp, parseEmbeddingsRequest({ model: 'e', input: ['a', 'b'], encoding_format: 'base64' }), 'e');
    let sent: unknown;
    const client = new OpenAI({
      apiKey: 'k',
      baseURL: 'http://gateway.invalid/v1',
      fetch: (_url, init) => {
        sent = typeof init?.body === 'string' ? JSON.parse(init.body) : init?.body; // a JSON body is sent as a string
        return Promise.resolve(new Response(JSON.stringify(rendered), { headers: { 'content-type': 'application/json' } }));
      },
    });
    const got = await client.embeddings.create({ model: 'e', input: ['a', 'b'] });
    expect(sent).toMatchObject({ encoding_format: 'base64' });
    expect(got.data.map((d) => d.embedding)).toEqual([
      [0.5, -1.25],
      [3, 0],
    ]);
    expect(encodeFloat32([1])).toBe(Buffer.from([0, 0, 0x80, 0x3f]).toString('base64'));
  });

  it('asks the upstream for base64 and decodes base64 or floats exactly', () => {
    const req = parseEmbeddingsRequest({ model: 'e', input: 'x', dimensions: 2, user: 'u' });
    expect(toEmbeddingsBody(req, 'up')).toEqual({ model: 'up', input: ['x'], encoding_format: 'base64', dimensions: 2, user: 'u' });
    const parsed = parseEmbeddingsResponse({
      object: 'list',
      model: 'up-1',
      data: [
        { index: 1, embedding: [0.1, 0.2] },
        { index: 0, embedding: encodeFloat32([0.1, 0.2]) },
      ],
      usage: { prompt_tokens: 4, total_tokens: 4 },
    });
    expect(parsed.model).toBe('up-1');
    expect(parsed.usage.inputTokens).toBe(4);
    expect(parsed.embeddings[0]).toEqual([Math.fround(0.1), Math.fround(0.2)]);
    expect(parsed.embeddings[1]).toEqual([0.1, 0.2]);
  });

  it.each([
    ['no data', {}],
    ['bad vector', { data: [{ index: 0, embedding: 'abc' }] }],
    [
      'duplicate index',
      {
        data: [
          { index: 0, embedding: [1] },
          { index: 0, embedding: [1] },
        ],
      },
    ],
    ['index out of range', { data: [{ index: 3, embedding: [1] }] }],
  ])('a malformed upstream body (%s) is an upstream_error', (_n, body) => {
    expect(() => parseEmbeddingsResponse(body, 'p')).toThrow(expect.objectContaining({ kind: 'upstream_error', provider: 'p' }));
  });

  it('base64 float32 round trip is exact for float32 values', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ noNaN: true }), { maxLength: 64 }), (v) => {
        expect(decodeFloat32(encodeFloat32(v))).toEqual(v);
      }),
    );
  });
});
