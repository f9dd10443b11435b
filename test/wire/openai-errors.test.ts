import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { GatewayError, invalidRequest, type ErrorKind } from '../../src/core/errors.js';
import { parseOpenAIError, renderOpenAIError } from '../../src/wire/openai/errors.js';

describe('renderOpenAIError', () => {
  it.each<[ErrorKind, number, string, string | null]>([
    ['invalid_request', 400, 'invalid_request_error', null],
    ['authentication', 401, 'authentication_error', null],
    ['permission', 403, 'permission_error', null],
    ['not_found', 404, 'invalid_request_error', null],
    ['request_too_large', 413, 'invalid_request_error', 'request_too_large'],
    ['rate_limit', 429, 'rate_limit_error', 'rate_limit_exceeded'],
    ['upstream_error', 502, 'server_error', null],
    ['overloaded', 503, 'server_error', null],
    ['timeout', 504, 'timeout', null],
    ['internal', 500, 'server_error', null],
  ])('%s → %i %s', (kind, status, type, code) => {
    expect(renderOpenAIError(new GatewayError({ kind, message: 'm' }))).toEqual({ status, body: { error: { message: 'm', type, param: null, code } } });
  });

  it('keeps param and code, and names model_not_found', () => {
    expect(renderOpenAIError(invalidRequest("Invalid value for 'n'", 'n', 'unsupported_value')).body).toEqual({
      error: { message: "Invalid value for 'n'", type: 'invalid_request_error', param: 'n', code: 'unsupported_value' },
    });
    expect(renderOpenAIError(new GatewayError({ kind: 'not_found', message: 'no such model', param: 'model' })).body).toMatchObject({
      error: { code: 'model_not_found' },
    });
    expect(renderOpenAIError(new GatewayError({ kind: 'rate_limit', message: 'q', code: 'insufficient_quota' })).body).toMatchObject({
      error: { code: 'insufficient_quota' },
    });
  });

  it('keeps an explicit upstream status (e.g. 503 passed back as 503)', () => {
    expect(renderOpenAIError(new GatewayError({ kind: 'overloaded', message: 'busy', status: 529 })).status).toBe(503);
    expect(renderOpenAIError(new GatewayError({ kind: 'upstream_error', message: 'x', status: 500 })).status).toBe(500);
  });

  it('gives the openai SDK an error it understands', async () => {
    const { status, body } = renderOpenAIError(invalidRequest("Invalid type for 'temperature': expected a number, got string.", 'temperature'));
    const client = new OpenAI({
      apiKey: 'k',
      baseURL: 'http://gateway.invalid/v1',
      maxRetries: 0,
      fetch: () => Promise.resolve(new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })),
    });
    const err = await client.chat.completions.create({ model: 'm', messages: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, param: 'temperature', type: 'invalid_request_error', code: null });
  });
});

describe('parseOpenAIError', () => {
  it('reads an OpenAI error with its headers', () => {
    const err = parseOpenAIError(
      429,
      { error: { message: 'Rate limit reached for gpt-4o', type: 'tokens', param: null, code: 'rate_limit_exceeded' } },
      { 'x-request-id': 'req_1', 'retry-after-ms': '1500', 'retry-after': '2', 'x-ratelimit-remaining-tokens': '0', 'content-type': 'application/json' },
      'openai',
    );
    expect(err).toMatchObject({
      kind: 'rate_limit',
      status: 429,
      message: 'Rate limit reached for gpt-4o',
      code: 'rate_limit_exceeded',
      param: null,
      retryable: true,
      provider: 'openai',
      upstreamRequestId: 'req_1',
      retryAfterSeconds: 1.5,
      headers: { 'retry-after-ms': '1500', 'retry-after': '2', 'x-ratelimit-remaining-tokens': '0' },
    });
  });

  it.each<[number, string]>([
    [400, 'invalid_request'],
    [401, 'authentication'],
    [403, 'permission'],
    [404, 'not_found'],
    [413, 'request_too_large'],
    [429, 'rate_limit'],
    [500, 'upstream_error'],
    [503, 'overloaded'],
    [504, 'timeout'],
  ])('status %i → %s, status preserved', (status, kind) => {
    const err = parseOpenAIError(status, { error: { message: 'x', type: 't', param: 'messages[0]', code: null } }, {}, 'p');
    expect(err).toMatchObject({ kind, status, param: 'messages[0]' });
  });

  it('quota exhaustion and x-should-retry: false are not retryable; 409 is', () => {
    expect(parseOpenAIError(429, { error: { message: 'q', type: 'insufficient_quota', code: 'insufficient_quota' } }, {}, 'p').retryable).toBe(false);
    expect(parseOpenAIError(500, { error: { message: 'x' } }, { 'x-should-retry': 'false' }, 'p').retryable).toBe(false);
    expect(parseOpenAIError(409, { error: { message: 'x' } }, {}, 'p').retryable).toBe(true);
    expect(parseOpenAIError(400, { error: { message: 'x' } }, {}, 'p').retryable).toBe(false);
  });

  it('reads retry-after in seconds or as an HTTP date', () => {
    expect(parseOpenAIError(429, {}, { 'retry-after': '3' }, 'p').retryAfterSeconds).toBe(3);
    const date = new Date(Date.now() + 10_000).toUTCString();
    const s = parseOpenAIError(429, {}, { 'retry-after': date }, 'p').retryAfterSeconds ?? -1;
    expect(s).toBeGreaterThan(7);
    expect(s).toBeLessThanOrEqual(10);
  });

  it('accepts the looser bodies of compatible servers', () => {
    expect(parseOpenAIError(400, { error: 'bad model' }, {}, 'p').message).toBe('bad model');
    expect(parseOpenAIError(422, { detail: 'field required' }, {}, 'p')).toMatchObject({ kind: 'invalid_request', status: 422, message: 'field required' });
    expect(parseOpenAIError(502, '<html>Bad Gateway</html>', {}, 'p').message).toBe('<html>Bad Gateway</html>');
    expect(parseOpenAIError(500, undefined, {}, 'vllm').message).toBe('upstream vllm returned HTTP 500');
    expect(parseOpenAIError(400, { error: { message: 'x', code: 123 } }, {}, 'p').code).toBe('123');
  });
});
