// HTTP pieces the batch endpoints need beyond Exchange's JSON replies: raw downloads (JSONL files
// and results), raw upload bodies (multipart), and the emulator's own origin for absolute URLs.
import type { IncomingMessage } from 'node:http';
import { badRequest, EmuError } from '../errors.js';
import type { Exchange } from '../exchange.js';

/** A non-JSON 200 body, with the provider's request-id header like every other reply. */
export function sendRaw(ex: Exchange, contentType: string, body: string | Buffer): void {
  if (ex.res.writableEnded || ex.res.destroyed) return;
  const headers: Record<string, string> = { 'content-type': contentType };
  if (ex.provider === 'openai') headers['x-request-id'] = ex.requestId;
  if (ex.provider === 'anthropic') headers['request-id'] = ex.requestId;
  ex.res.writeHead(200, headers);
  ex.res.end(body);
}

export function readRaw(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new EmuError(413, `Request body too large: the emulator accepts uploads of at most ${limit} bytes.`));
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A multipart/form-data body, parsed by the platform's own (undici) parser. */
export async function readMultipart(req: IncomingMessage, limit: number): Promise<FormData> {
  const type = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data\s*;/i.test(type)) throw badRequest(`Invalid Content-Type header (${type || 'none'}), expected multipart/form-data.`);
  const raw = await readRaw(req, limit);
  try {
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- the deprecation is about unbounded server bodies; this one was read whole under `limit`
    return await new Response(raw, { headers: { 'content-type': type } }).formData();
  } catch {
    throw badRequest('Could not parse the multipart form body.');
  }
}

/** http://host:port the client used to reach the emulator (for Anthropic's absolute results_url). */
export function origin(ex: Exchange): string {
  const host = ex.req.headers.host;
  if (host) return `http://${host}`;
  const addr = ex.req.socket.localAddress ?? '127.0.0.1';
  return `http://${addr.includes(':') ? `[${addr}]` : addr}:${ex.req.socket.localPort ?? 80}`;
}

/** Unix seconds, as OpenAI reports times. */
export function unixSeconds(ms: number | null): number | null {
  return ms === null ? null : Math.floor(ms / 1000);
}

/** RFC 3339, as Anthropic reports times. */
export function rfc3339(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
