import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/core/errors.js';
import { parseBatchEmbedResponse, toBatchEmbedBody } from '../../src/wire/gemini/embeddings.js';
import { parseGeminiError } from '../../src/wire/gemini/errors.js';

describe('parseGeminiError', () => {
  it('maps a 429 with the Google error body, retry delay and rate-limit headers', () => {
    const body = {
      error: {
        code: 429,
        message: 'Resource has been exhausted (e.g. check quota).',
        status: 'RESOURCE_EXHAUSTED',
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '31s' }],
      },
    };
    const err = parseGeminiError(429, body, { 'x-ratelimit-remaining': '0', server: 'ESF' }, 'gemini-main');
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({
      kind: 'rate_limit',
      status: 429,
      message: 'Resource has been exhausted (e.g. check quota).',
      code: 'RESOURCE_EXHAUSTED',
      provider: 'gemini-main',
      retryable: true,
      retryAfterSeconds: 31,
      headers: { 'x-ratelimit-remaining': '0' },
    });
  });

  it('prefers the retry-after header', () => {
    expect(parseGeminiError(429, { error: { message: 'slow down' } }, { 'retry-after': '7' }, 'g').retryAfterSeconds).toBe(7);
  });

  it('reports an invalid API key (a Gemini 400) as authentication', () => {
    const body = {
      error: {
        code: 400,
        message: 'API key not valid. Please pass a valid API key.',
        status: 'INVALID_ARGUMENT',
        details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' }],
      },
    };
    const err = parseGeminiError(400, body, {}, 'g');
    expect(err.kind).toBe('authentication');
    expect(err.retryable).toBe(false);
  });

  it.each([
    [400, 'invalid_request', 400],
    [403, 'permission', 403],
    [404, 'not_found', 404],
    [500, 'upstream_error', 500],
    [503, 'overloaded', 503],
    [504, 'timeout', 504],
  ])('maps HTTP %i to %s', (status, kind, outStatus) => {
    const err = parseGeminiError(status, { error: { code: status, message: 'm', status: 'X' } }, {}, 'g');
    expect(err.kind).toBe(kind);
    expect(err.status).toBe(outStatus);
  });

  it('reads the array-wrapped form and survives non-JSON bodies', () => {
    expect(parseGeminiError(400, [{ error: { message: 'bad field' } }], {}, 'g').message).toBe('bad field');
    expect(parseGeminiError(502, '<html>Bad Gateway</html>', {}, 'g').message).toBe('<html>Bad Gateway</html>');
    expect(parseGeminiError(500, '', {}, 'g').message).toBe('upstream g returned HTTP 500');
  });
});

describe('gemini embeddings', () => {
  it('builds a batchEmbedContents body', () => {
    const body = toBatchEmbedBody(
      { model: 'embed', input: ['a', 'b'], inputWasString: false, encodingFormat: 'float', dimensions: 256 },
      'gemini-embedding-001',
    );
    expect(body).toEqual({
      requests: [
        { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'a' }] }, outputDimensionality: 256 },
        { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'b' }] }, outputDimensionality: 256 },
      ],
    });
  });

  it('parses the response with the caller-supplied token count', () => {
    const out = parseBatchEmbedResponse({ embeddings: [{ values: [0.1, 0.2] }, { values: [0.3, 0.4] }] }, 9, 'gemini-embedding-001');
    expect(out).toEqual({
      model: 'gemini-embedding-001',
      embeddings: [
        [0.1, 0.2],
        [0.3, 0.4],
      ],
      usage: { inputTokens: 9 },
    });
    expect(() => parseBatchEmbedResponse({ embeddings: [{ values: ['x'] }] }, 1, 'm')).toThrow(GatewayError);
    expect(() => parseBatchEmbedResponse({}, 1, 'm')).toThrow(GatewayError);
  });
});
