// Reads a request body within the configured size limit (parse it with core/json-body.ts).
import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../core/errors.js';

export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    throw tooLarge(maxBytes);
  }
  // Plain events rather than `for await`: no async-iterator machinery per request.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        req.resume();
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new GatewayError({ kind: 'invalid_request', message: `could not read the request body: ${err.message}` }));
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

function tooLarge(maxBytes: number): GatewayError {
  return new GatewayError({
    kind: 'request_too_large',
    message: `Request body is larger than the limit of ${maxBytes} bytes (server.maxBodyBytes).`,
    code: 'request_too_large',
  });
}
