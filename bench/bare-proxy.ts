// The reference point for `npm run bench`: a bare undici Pool pass-through proxy, no parsing,
// no accounting. Whatever costwise adds on top is measured against this.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Pool } from 'undici';
import { serveProxy } from './proxy-server.js';

const upstream = process.argv[2];
const port = Number(process.argv[3] ?? 0);
if (!upstream) throw new Error('usage: bare-proxy <upstream-url> [port]');
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authenticate', 'proxy-authorization', 'date']);
const pool = new Pool(upstream, { connections: 128, pipelining: 1 });

async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const up = await pool.request({
      path: req.url ?? '/',
      method: req.method ?? 'GET',
      headers: { 'content-type': 'application/json', authorization: req.headers['authorization'] ?? '' },
      body: Buffer.concat(chunks),
    });
    const body = Buffer.from(await up.body.arrayBuffer());
    // A pass-through proxy forwards the upstream's response headers (all but hop-by-hop ones).
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(up.headers)) {
      if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    }
    headers['content-length'] = String(body.length);
    res.writeHead(up.statusCode, headers);
    res.end(body);
  } catch {
    res.writeHead(502).end();
  }
}

serveProxy('bare proxy', port, forward);
