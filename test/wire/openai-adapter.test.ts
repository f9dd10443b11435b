// The OpenAI adapter against a loopback stub upstream (node:http on 127.0.0.1, no real keys).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalRequest, StreamEvent } from '../../src/core/canonical.js';
import { GatewayError } from '../../src/core/errors.js';
import { closeAllPools } from '../../src/providers/http.js';
import { createOpenAIAdapter, endpointPath } from '../../src/providers/openai.js';
import type { ProviderConfig, ProviderKind, UpstreamTarget } from '../../src/providers/types.js';
import { encodeFloat32 } from '../../src/wire/openai/embeddings.js';
import { parseChatRequest } from '../../src/wire/openai/request.js';

interface Seen {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

let server: Server;
let origin = '';
const seen: Seen[] = [];

const completion = {
  id: 'chatcmpl-up',
  object: 'chat.completion',
  created: 9,
  model: 'gpt-4o-2024',
  choices: [{ index: 0, message: { role: 'assistant', content: 'pong', refusal: null }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
};

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw) as Record<string, unknown>;
      seen.push({ path: req.url ?? '', headers: req.headers, body });
      const headers = { 'x-request-id': 'req_up', 'x-ratelimit-remaining-requests': '99', 'openai-processing-ms': '3' };
      if (body.model === 'limited') {
        res.writeHead(429, { ...headers, 'content-type': 'application/json', 'retry-after': '2' });
        res.end(JSON.stringify({ error: { message: 'slow down', type: 'requests', param: null, code: 'rate_limit_exceeded' } }));
      } else if (req.url?.endsWith('/embeddings')) {
        res.writeHead(200, { ...headers, 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            object: 'list',
            model: 'emb',
            data: [{ object: 'embedding', index: 0, embedding: encodeFloat32([0.5]) }],
            usage: { prompt_tokens: 2, total_tokens: 2 },
          }),
        );
      } else if (body.stream === true) {
        res.writeHead(200, { ...headers, 'content-type': 'text/event-stream' });
        const chunk = (o: object) =>
          `data: ${JSON.stringify({ id: 'chatcmpl-up', object: 'chat.completion.chunk', created: 9, model: 'gpt-4o-2024', ...o })}\n\n`;
        res.write(chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }], usage: null }));
        res.write(chunk({ choices: [{ index: 0, delta: { content: 'po' }, finish_reason: null }], usage: null }));
        res.write(chunk({ choices: [{ index: 0, delta: { content: 'ng' }, finish_reason: null }], usage: null }));
        res.write(chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: null }));
        res.write(chunk({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } }));
        res.end('data: [DONE]\n\n');
      } else {
        res.writeHead(200, { ...headers, 'content-type': 'application/json' });
        res.end(JSON.stringify(completion));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await closeAllPools();
  await new Promise((resolve) => server.close(resolve));
});

function target(kind: ProviderKind, basePath = '', upstreamModel = 'gpt-4o'): UpstreamTarget {
  const provider: ProviderConfig = {
    name: 'stub',
    kind,
    baseUrl: origin + basePath,
    apiKey: 'sk-test',
    headers: { 'x-extra': 'cfg' },
    timeoutMs: 5000,
    connections: 2,
  };
  return { provider, upstreamModel };
}

const request = (): CanonicalRequest => parseChatRequest({ model: 'public', messages: [{ role: 'user', content: 'ping' }], max_tokens: 10 });

describe('createOpenAIAdapter', () => {
  const adapter = createOpenAIAdapter();

  it('builds paths from the base URL', () => {
    expect(endpointPath('https://api.openai.com', 'chat/completions')).toBe('/v1/chat/completions');
    expect(endpointPath('http://localhost:8000/v1', 'chat/completions')).toBe('/chat/completions');
    expect(endpointPath('http://localhost:8000/v1/', 'embeddings')).toBe('/embeddings');
    expect(endpointPath('https://gw.example/openai', 'embeddings')).toBe('/v1/embeddings');
  });

  it('completes: path, headers, body and ids', async () => {
    seen.length = 0;
    const result = await adapter.complete(target('openai'), request(), [], { forwardHeaders: { 'x-fault': 'none', authorization: 'Bearer client' } });
    expect(result.response).toMatchObject({
      id: 'chatcmpl-up',
      content: [{ type: 'text', text: 'pong' }],
      stopReason: 'end_turn',
      usage: { inputTokens: 5, outputTokens: 1 },
    });
    expect(result.upstreamRequestId).toBe('req_up');
    expect(result.upstreamHeaders).toEqual({ 'x-ratelimit-remaining-requests': '99' });
    const s = seen[0];
    expect(s?.path).toBe('/v1/chat/completions');
    expect(s?.headers).toMatchObject({ authorization: 'Bearer sk-test', 'content-type': 'application/json', 'x-fault': 'none', 'x-extra': 'cfg' });
    expect(s?.body).toEqual({ model: 'gpt-4o', messages: [{ role: 'user', content: 'ping' }], max_completion_tokens: 10 });
  });

  it('speaks to an OpenAI-compatible base URL ending in /v1 with max_tokens', async () => {
    seen.length = 0;
    await adapter.complete(target('openai-compatible', '/v1', 'llama'), request(), [], {});
    expect(seen[0]?.path).toBe('/v1/chat/completions');
    expect(seen[0]?.body).toMatchObject({ model: 'llama', max_tokens: 10 });
  });

  it('streams, always asking for usage', async () => {
    seen.length = 0;
    const result = await adapter.stream(target('openai'), { ...request(), stream: true }, [], {});
    const events: StreamEvent[] = [];
    for await (const e of result.events) events.push(e);
    expect(seen[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(result.upstreamRequestId).toBe('req_up');
    expect(events.map((e) => e.type)).toEqual(['start', 'block_start', 'text_delta', 'text_delta', 'block_stop', 'finish']);
    expect(events.at(-1)).toMatchObject({ stopReason: 'end_turn', usage: { inputTokens: 5, outputTokens: 2 } });
  });

  it('throws the upstream error as a GatewayError', async () => {
    const err = await adapter.complete(target('openai', '', 'limited'), request(), [], {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ kind: 'rate_limit', status: 429, message: 'slow down', provider: 'stub', retryAfterSeconds: 2, upstreamRequestId: 'req_up' });
    const streamErr = await adapter.stream(target('openai', '', 'limited'), request(), [], {}).catch((e: unknown) => e);
    expect(streamErr).toMatchObject({ kind: 'rate_limit', status: 429 });
  });

  it('embeds through /v1/embeddings, asking for base64', async () => {
    seen.length = 0;
    const out = await adapter.embed!(
      target('openai', '', 'text-embedding-3-small'),
      { model: 'e', input: ['a'], inputWasString: true, encodingFormat: 'float' },
      {},
    );
    expect(seen[0]).toMatchObject({ path: '/v1/embeddings', body: { model: 'text-embedding-3-small', input: ['a'], encoding_format: 'base64' } });
    expect(out).toEqual({ model: 'emb', embeddings: [[0.5]], usage: { inputTokens: 2 } });
  });
});
