// Non-streaming upstream answers are read whole by an undici dispatch handler (src/providers/buffered.ts),
// not through a Readable stream. Against a loopback upstream that sends its answers in pieces, stalls
// or never finishes: the body arrives intact, and aborts and timeouts end the call as before.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cancellation } from '../../src/core/cancel.js';
import { GatewayError } from '../../src/core/errors.js';
import { closeAllPools } from '../../src/providers/http.js';
import { createAnthropicAdapter } from '../../src/providers/anthropic.js';
import { createOpenAIAdapter } from '../../src/providers/openai.js';
import type { ProviderConfig, UpstreamTarget } from '../../src/providers/types.js';
import { parseChatRequest } from '../../src/wire/openai/request.js';

let server: Server;
let origin = '';
/** Requests the upstream has seen, and the ones whose connection closed before their answer ended. */
const arrived: string[] = [];
const cutOff: string[] = [];

// Multi-byte characters, so a chunk boundary can fall inside one.
const TEXT = 'Grüße aus Köln — 東京 🚲 '.repeat(40);
const completion = JSON.stringify({
  id: 'chatcmpl-pieces',
  object: 'chat.completion',
  created: 9,
  model: 'gpt-4o',
  choices: [{ index: 0, message: { role: 'assistant', content: TEXT, refusal: null }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 5, completion_tokens: 400, total_tokens: 405 },
});
const message = JSON.stringify({
  id: 'msg_pieces',
  type: 'message',
  role: 'assistant',
  model: 'claude',
  content: [{ type: 'text', text: TEXT }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 5, output_tokens: 400 },
});

/** Writes `body` in `pieces` parts, 5 ms apart, splitting inside multi-byte characters. */
function inPieces(res: ServerResponse, body: string, pieces: number): void {
  const bytes = Buffer.from(body);
  const step = Math.ceil(bytes.length / pieces);
  let at = 0;
  const next = () => {
    res.write(bytes.subarray(at, at + step));
    at += step;
    if (at < bytes.length) setTimeout(next, 5);
    else res.end();
  };
  next();
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const model = (req.headers['x-case'] as string | undefined) ?? '';
    arrived.push(model);
    res.on('close', () => {
      if (!res.writableFinished) cutOff.push(model);
    });
    req.resume();
    req.on('end', () => {
      const headers = { 'content-type': 'application/json', 'x-request-id': 'req_up', 'request-id': 'req_up', 'x-ratelimit-remaining-requests': '7' };
      if (model === 'pieces') {
        res.writeHead(200, { ...headers, 'content-length': String(Buffer.byteLength(completion)) });
        inPieces(res, completion, 7);
      } else if (model === 'pieces-anthropic') {
        res.writeHead(200, headers); // chunked
        inPieces(res, message, 5);
      } else if (model === 'not-json') {
        res.writeHead(200, headers);
        res.end('<html>bad gateway</html>');
      } else if (model === 'error-in-pieces') {
        res.writeHead(429, { ...headers, 'retry-after': '3' });
        inPieces(res, JSON.stringify({ error: { message: 'slow down', type: 'requests', param: null, code: 'rate_limit_exceeded' } }), 3);
      } else if (model === 'stall') {
        // Half the body, then nothing: the caller aborts, or the body timeout fires.
        res.writeHead(200, { ...headers, 'content-length': String(Buffer.byteLength(completion)) });
        res.write(completion.slice(0, 100));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await closeAllPools();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** `connections` also picks the pool (pools are shared per origin and connection count). */
function target(timeoutMs = 5000, connections = 2): UpstreamTarget {
  const provider: ProviderConfig = { name: 'stub', kind: 'openai', baseUrl: origin, apiKey: 'sk-test', headers: {}, timeoutMs, connections };
  return { provider, upstreamModel: 'gpt-4o' };
}

const request = () => parseChatRequest({ model: 'public', messages: [{ role: 'user', content: 'ping' }], max_tokens: 10 });
const asCase = (name: string) => ({ forwardHeaders: { 'x-case': name } });

describe('a non-streaming upstream answer read whole', () => {
  const openai = createOpenAIAdapter();
  const anthropic = createAnthropicAdapter();

  it('puts an answer that arrives in pieces back together, characters split across pieces included', async () => {
    const result = await openai.complete(target(), request(), [], asCase('pieces'));
    expect(result.response.content).toEqual([{ type: 'text', text: TEXT }]);
    expect(result.response.usage.outputTokens).toBe(400);
    expect(result.upstreamRequestId).toBe('req_up');
    expect(result.upstreamHeaders).toEqual({ 'x-ratelimit-remaining-requests': '7' });

    const msg = await anthropic.complete({ ...target(), provider: { ...target().provider, kind: 'anthropic' } }, request(), [], asCase('pieces-anthropic'));
    expect(msg.response.content).toEqual([{ type: 'text', text: TEXT }]);
    expect(msg.upstreamRequestId).toBe('req_up');
  });

  it('a 200 that is not JSON is a 502 naming the provider', async () => {
    const err = await openai.complete(target(), request(), [], asCase('not-json')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ kind: 'upstream_error', status: 502, provider: 'stub', message: 'upstream stub returned a non-JSON body (status 200)' });
  });

  it('an error answer in pieces is read whole and parsed (status, message, retry-after)', async () => {
    const err = await openai.complete(target(), request(), [], asCase('error-in-pieces')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ kind: 'rate_limit', status: 429, message: 'slow down', retryAfterSeconds: 3, provider: 'stub' });
  });

  it('an abort while the body is arriving ends the call and closes the upstream connection', async () => {
    const cancel = new Cancellation();
    const call = openai.complete(target(), request(), [], { ...asCase('stall'), signal: cancel.signal }).catch((e: unknown) => e);
    await until(() => arrived.includes('stall'));
    await new Promise((resolve) => setTimeout(resolve, 20)); // the first half of the body is in
    cancel.abort();
    const err = await call;
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ kind: 'upstream_error', provider: 'stub', message: 'upstream stub unreachable (the caller closed the connection)' });
    await until(() => cutOff.includes('stall'));
  });

  it('an abort before the call sends nothing upstream', async () => {
    const cancel = new Cancellation();
    cancel.abort();
    const before = arrived.length;
    const err = await openai.complete(target(), request(), [], { ...asCase('pieces'), signal: cancel.signal }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'upstream_error', message: 'upstream stub unreachable (the caller closed the connection)' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(arrived.length).toBe(before);
  });

  it('a body that stops arriving times out as a 504', async () => {
    const t0 = Date.now();
    const err = await openai.complete(target(300, 3), request(), [], asCase('stall')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ kind: 'timeout', status: 504, provider: 'stub', message: 'upstream stub timed out', retryable: true });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  });
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(check()).toBe(true);
}
