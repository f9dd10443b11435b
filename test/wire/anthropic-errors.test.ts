// Anthropic error bodies: rendering GatewayErrors for callers and parsing upstream errors.
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { GatewayError, invalidRequest, type ErrorKind } from '../../src/core/errors.js';
import { parseAnthropicError, renderAnthropicError } from '../../src/wire/anthropic/errors.js';
import { parseMessagesRequest } from '../../src/wire/anthropic/request.js';

describe('renderAnthropicError', () => {
  it.each<[ErrorKind, number, string]>([
    ['invalid_request', 400, 'invalid_request_error'],
    ['authentication', 401, 'authentication_error'],
    ['permission', 403, 'permission_error'],
    ['not_found', 404, 'not_found_error'],
    ['request_too_large', 413, 'request_too_large'],
    ['rate_limit', 429, 'rate_limit_error'],
    ['upstream_error', 502, 'api_error'],
    ['internal', 500, 'api_error'],
    ['overloaded', 529, 'overloaded_error'],
    ['timeout', 504, 'timeout_error'],
  ])('%s → %i %s', (kind, status, type) => {
    const { status: s, body } = renderAnthropicError(new GatewayError({ kind, message: 'boom' }), 'req_1');
    expect(s).toBe(status);
    expect(body).toEqual({ type: 'error', error: { type, message: 'boom' }, request_id: 'req_1' });
  });

  it('puts the param path in front of the message, once', () => {
    const err = new GatewayError({ kind: 'invalid_request', message: 'text content blocks must be non-empty', param: 'messages[1].content' });
    expect(renderAnthropicError(err, 'r').body.error).toEqual({
      type: 'invalid_request_error',
      message: 'messages[1].content: text content blocks must be non-empty',
    });
    const own = invalidRequest('max_tokens: Field required', 'max_tokens');
    expect((renderAnthropicError(own, 'r').body.error as { message: string }).message).toBe('max_tokens: Field required');
  });

  it('renders an ingress validation error as Anthropic would', () => {
    let err: GatewayError | undefined;
    try {
      parseMessagesRequest({ model: 'm', max_tokens: 1, messages: [{ role: 'bot', content: 'x' }] });
    } catch (e) {
      err = e as GatewayError;
    }
    expect(renderAnthropicError(err!, 'req_7')).toEqual({
      status: 400,
      body: {
        type: 'error',
        error: { type: 'invalid_request_error', message: "messages[0].role: Input should be 'user' or 'assistant'" },
        request_id: 'req_7',
      },
    });
  });

  it('keeps an upstream status that is not the kind default (503 overloaded, 402 billing)', () => {
    expect(renderAnthropicError(new GatewayError({ kind: 'overloaded', status: 503, message: 'x' }), 'r').status).toBe(503);
    const billing = renderAnthropicError(new GatewayError({ kind: 'permission', status: 402, message: 'no credit' }), 'r');
    expect(billing.status).toBe(402);
    expect((billing.body.error as { type: string }).type).toBe('billing_error');
  });

  it('the official SDK raises the matching error class', async () => {
    const { status, body } = renderAnthropicError(new GatewayError({ kind: 'rate_limit', message: 'slow down' }), 'req_2');
    const client = new Anthropic({
      apiKey: 'test',
      maxRetries: 0,
      fetch: () => Promise.resolve(new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', 'request-id': 'req_2' } })),
    });
    const call = client.messages.create({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] });
    await expect(call).rejects.toBeInstanceOf(Anthropic.RateLimitError);
    await expect(call).rejects.toMatchObject({ status: 429, requestID: 'req_2', error: { error: { type: 'rate_limit_error', message: 'slow down' } } });
  });
});

describe('parseAnthropicError', () => {
  it('keeps status, retry-after, request-id and rate-limit headers', () => {
    const err = parseAnthropicError(
      429,
      '{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"},"request_id":"req_body"}',
      {
        'request-id': 'req_hdr',
        'retry-after': '17',
        'anthropic-ratelimit-tokens-remaining': '0',
        'content-type': 'application/json',
      },
      'anthropic-main',
    );
    expect(err).toMatchObject({
      kind: 'rate_limit',
      status: 429,
      retryable: true,
      provider: 'anthropic-main',
      upstreamRequestId: 'req_hdr',
      retryAfterSeconds: 17,
      code: 'rate_limit_error',
      headers: { 'retry-after': '17', 'anthropic-ratelimit-tokens-remaining': '0' },
    });
    expect(err.message).toBe('Number of request tokens has exceeded your per-minute rate limit');
  });

  it('reads an overloaded 529 and an HTTP-date retry-after', () => {
    const when = new Date(Date.now() + 30_000).toUTCString();
    const err = parseAnthropicError(529, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, { 'retry-after': when }, 'a');
    expect(err).toMatchObject({ kind: 'overloaded', status: 529, retryable: true });
    expect(err.retryAfterSeconds).toBeGreaterThan(25);
    expect(err.retryAfterSeconds).toBeLessThanOrEqual(30);
  });

  it('turns an Anthropic path into a costwise param', () => {
    const err = parseAnthropicError(
      400,
      { type: 'error', error: { type: 'invalid_request_error', message: 'messages.1.content.0.type: Field required' }, request_id: 'req_b' },
      {},
      'a',
    );
    expect(err).toMatchObject({ kind: 'invalid_request', status: 400, param: 'messages[1].content[0].type', upstreamRequestId: 'req_b', retryable: false });
    expect((renderAnthropicError(err, 'r').body.error as { message: string }).message).toBe('messages[1].content[0].type: Field required');
  });

  it('falls back on the status when the body is not an Anthropic error', () => {
    const err = parseAnthropicError(503, '<html>Service Unavailable</html>', {}, 'edge');
    expect(err).toMatchObject({ kind: 'overloaded', status: 503, provider: 'edge', message: 'upstream edge returned status 503' });
    const apiError = parseAnthropicError(503, { type: 'error', error: { type: 'api_error', message: 'x' } }, {}, 'edge');
    expect(apiError.kind).toBe('overloaded');
    expect(parseAnthropicError(500, { type: 'error', error: { type: 'api_error', message: 'x' } }, {}, 'e').kind).toBe('upstream_error');
    expect(parseAnthropicError(401, { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } }, {}, 'e')).toMatchObject({
      kind: 'authentication',
      status: 401,
      retryable: false,
    });
  });
});
