// The load of the replica scenario: the official OpenAI and Anthropic SDKs over real HTTP, each
// request's outcome with the cost the gateway told the client. A JSON answer carries its cost in
// the `x-costwise-cost-usd` header; a stream can only know it at its end, so it follows as an HTTP
// trailer of that name. fetch() has no trailers, so the SDKs are given a fetch built on undici's
// request(), which reads them (the SDKs' `fetch` option: everything else is the SDKs' own).
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { Agent, request } from 'undici';
import { usdToPico } from '../src/governance/pico.js';

export type Kind = 'openai' | 'openai-stream' | 'anthropic' | 'anthropic-stream';
export const KINDS: readonly Kind[] = ['openai', 'openai-stream', 'anthropic', 'anthropic-stream'];

/** A complete answer (a 200 with its whole body, a stream up to its cost trailer), or why not. */
export type Sent = { ok: true; requestId: string; costPico: bigint; ms: number } | { ok: false; why: string };

type Trailers = Record<string, string | string[] | undefined>;

/** One replica as the SDKs see it. */
export class ReplicaClient {
  private readonly agent = new Agent({ connections: 64, keepAliveTimeout: 10_000 });
  /** A response's trailers by request id, once its body has ended (null when it was cut). */
  private readonly trailers = new Map<string, Promise<Trailers | null>>();
  private readonly openai: OpenAI;
  private readonly anthropic: Anthropic;

  constructor(url: string, apiKey: string) {
    const recording: typeof fetch = (input, init) => this.fetch(input, init);
    this.openai = new OpenAI({ apiKey, baseURL: `${url}/v1`, maxRetries: 0, fetch: recording });
    this.anthropic = new Anthropic({ apiKey, baseURL: url, maxRetries: 0, fetch: recording });
  }

  async send(kind: Kind, i: number): Promise<Sent> {
    const t0 = performance.now();
    const content = `Write a short note about request number ${i} for the audit log.`;
    try {
      let response: Response;
      switch (kind) {
        case 'openai':
          ({ response } = await this.openai.chat.completions
            .create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content }], max_completion_tokens: 16 })
            .withResponse());
          break;
        case 'openai-stream': {
          const r = await this.openai.chat.completions
            .create({
              model: 'gpt-4.1-mini',
              messages: [{ role: 'user', content }],
              max_completion_tokens: 16,
              stream: true,
              stream_options: { include_usage: true },
            })
            .withResponse();
          for await (const _ of r.data);
          response = r.response;
          break;
        }
        case 'anthropic':
          ({ response } = await this.anthropic.messages
            .create({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content }], max_tokens: 16 })
            .withResponse());
          break;
        case 'anthropic-stream': {
          const r = await this.anthropic.messages
            .create({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content }], max_tokens: 16, stream: true })
            .withResponse();
          for await (const _ of r.data);
          response = r.response;
          break;
        }
      }
      const requestId = response.headers.get('x-costwise-request-id');
      if (requestId === null) return { ok: false, why: 'no request id' };
      const ended = await this.trailers.get(requestId);
      this.trailers.delete(requestId);
      const cost = kind.endsWith('-stream') ? ended?.['x-costwise-cost-usd'] : response.headers.get('x-costwise-cost-usd');
      if (typeof cost !== 'string') return { ok: false, why: ended === null ? 'cut' : 'no cost' };
      return { ok: true, requestId, costPico: usdToPico(cost), ms: performance.now() - t0 };
    } catch (err) {
      return { ok: false, why: failure(err) };
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private async fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const res = await request(url, {
      method: (init?.method ?? 'GET') as 'GET',
      headers: Object.fromEntries(new Headers(init?.headers)),
      body: init?.body as string | undefined,
      signal: init?.signal ?? undefined,
      dispatcher: this.agent,
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(res.headers)) {
      for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, v);
    }
    const id = headers.get('x-costwise-request-id');
    const ended = finished(res.body).then(
      () => res.trailers,
      () => null,
    );
    if (id !== null) this.trailers.set(id, ended);
    return new Response(readToTheEnd(res.body), { status: res.statusCode, headers });
  }
}

/**
 * The body for the SDK. The OpenAI SDK stops reading a stream at `data: [DONE]` and cancels the
 * body, but the cost trailer comes after that line: a cancel here reads on to the end instead.
 */
function readToTheEnd(body: Readable): ReadableStream<Uint8Array> {
  const reader = (Readable.toWeb(body) as ReadableStream<Uint8Array>).getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      async cancel() {
        try {
          while (!(await reader.read()).done);
        } catch {
          // cut: the trailers promise says so
        }
      },
    },
    { highWaterMark: 0 },
  );
}

const CUT = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

/** `status 503`, `refused` (nothing listening), `cut` (the connection broke mid-answer), or the error. */
function failure(err: unknown): string {
  if (err instanceof OpenAI.APIError && err.status !== undefined) return `status ${err.status}`;
  if (err instanceof Anthropic.APIError && err.status !== undefined) return `status ${err.status}`;
  const chain: Error[] = [];
  for (let e: unknown = err; e instanceof Error; e = e.cause) chain.push(e);
  const codes = chain.map((e) => (e as NodeJS.ErrnoException).code);
  if (codes.includes('ECONNREFUSED')) return 'refused';
  if (codes.some((c) => c !== undefined && CUT.has(c)) || chain.some((e) => e.message === 'terminated')) return 'cut';
  return `${chain.at(-1)?.name ?? 'error'}: ${chain.at(-1)?.message ?? String(err)}`;
}
