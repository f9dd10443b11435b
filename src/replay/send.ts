// Sends one trace request to the gateway over loopback HTTP, as a client would, and keeps what the
// report needs from the answer: the ledger id it was given, or the error it got.
import { Client } from 'undici';
import type { WireRequest } from './types.js';

export interface SendResult {
  status: number;
  /** `x-costwise-request-id`: the ledger row of this request. */
  requestId: string | null;
  /** The error message of a failed request. */
  error: string | null;
}

export interface Sender {
  send(req: WireRequest): Promise<SendResult>;
  close(): Promise<void>;
}

const ERROR_CHARS = 300;

function errorMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } };
    if (typeof body.error?.message === 'string') return body.error.message.slice(0, ERROR_CHARS);
  } catch {
    // not JSON: the raw text below
  }
  return text.slice(0, ERROR_CHARS);
}

export function httpSender(gatewayUrl: string): Sender {
  // One connection: requests go one at a time, in trace order (see run.ts).
  const client = new Client(gatewayUrl, { keepAliveTimeout: 60_000 });
  return {
    async send(req) {
      try {
        const res = await client.request({
          method: 'POST',
          path: req.path,
          headers: { 'content-type': 'application/json', authorization: 'Bearer costwise-replay', ...req.headers },
          body: req.body,
        });
        const text = await res.body.text();
        const id = res.headers['x-costwise-request-id'];
        return {
          status: res.statusCode,
          requestId: typeof id === 'string' ? id : null,
          error: res.statusCode === 200 || res.statusCode === 202 ? null : errorMessage(text),
        };
      } catch (err) {
        return { status: 0, requestId: null, error: `no answer: ${(err as Error).message}`.slice(0, ERROR_CHARS) };
      }
    },
    close: () => client.close(),
  };
}
