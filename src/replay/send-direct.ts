// The in-process transport: the gateway's own request listener (createApp, the same routes, the
// same handleChat and pipeline, the same HTTP calls to the emulator) fed a request object instead
// of a socket. What it skips is only the client→gateway hop: undici on the client side, node's
// HTTP parser and the loopback socket on the gateway side. Kept to measure what that hop costs
// (see the README's "Trace replay"); `--transport http` is the default.
import { IncomingMessage, ServerResponse, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { createApp } from '../server/app.js';
import type { AppDeps } from '../server/deps.js';
import type { Sender, SendResult } from './send.js';
import type { WireRequest } from './types.js';

/** A socket stand-in that keeps what the response writes. */
class CaptureSocket extends Duplex {
  readonly chunks: Buffer[] = [];
  remoteAddress = '127.0.0.1';
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.chunks.push(chunk);
    done();
  }
  setNoDelay(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
}

const ID_HEADER = /\r\nx-costwise-request-id: ([^\r\n]*)/i;

function send(server: Server, req: WireRequest): Promise<SendResult> {
  const socket = new CaptureSocket();
  const incoming = new IncomingMessage(socket as unknown as Socket);
  incoming.method = 'POST';
  incoming.url = req.path;
  const body = typeof req.body === 'string' ? Buffer.from(req.body) : req.body;
  incoming.headers = {
    'content-type': 'application/json',
    'content-length': String(body.length),
    authorization: 'Bearer costwise-replay',
    ...lower(req.headers),
  };
  // Set by node's HTTP parser on a real socket; without it, the ended request counts as aborted
  // and the response closes before it is written.
  incoming.complete = true;
  incoming.push(body);
  incoming.push(null);
  const res = new ServerResponse(incoming);
  res.assignSocket(socket as unknown as Socket);
  return new Promise((resolve) => {
    res.on('finish', () => {
      const raw = Buffer.concat(socket.chunks).toString('utf8');
      const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
      const status = res.statusCode;
      const error = status === 200 || status === 202 ? null : errorText(raw.slice(head.length + 4));
      resolve({ status, requestId: ID_HEADER.exec(head)?.[1] ?? null, error });
      res.detachSocket(socket as unknown as Socket);
    });
    server.emit('request', incoming, res);
  });
}

function lower(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}

function errorText(body: string): string {
  try {
    const m = (JSON.parse(body) as { error?: { message?: unknown } }).error?.message;
    if (typeof m === 'string') return m.slice(0, 300);
  } catch {
    // not JSON
  }
  return body.slice(0, 300);
}

export function directSender(deps: AppDeps): Sender {
  const server = createApp(deps);
  return {
    send: (req) => send(server, req),
    close: async () => {},
  };
}
