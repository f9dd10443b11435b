// The dashboard's static files at /ui (built by `npm run build:ui` into dist/ui). The files hold no
// data; every figure comes from /api, which asks for the admin key. A page (index.html) requested
// without the key is still sent, so the browser can show the app's login form, but with status
// 401, as the rest of the admin surface answers. Hashed assets are cached for good, index.html
// never, and any other path without a file extension is a page of the single-page app.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // uPlot positions its parts with inline style attributes; nothing else is inline.
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
};

/**
 * Where the built dashboard is: dist/ui beside dist/src. From the TypeScript sources (vitest) it
 * is the same dist/ui, which `npm run build` writes.
 */
export function uiRoot(moduleUrl: string = import.meta.url): string {
  const fromDist = new URL('../../ui/', moduleUrl);
  const dir = moduleUrl.endsWith('.ts') ? new URL('../../dist/ui/', moduleUrl) : fromDist;
  return fileURLToPath(dir);
}

export interface UiOptions {
  /** Folder holding index.html and assets/ (default: uiRoot()). */
  root?: string;
  /** Whether the request carries the admin credential (or none is needed). */
  authorized: (req: IncomingMessage) => boolean;
}

export function createUiHandler(opts: UiOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const root = normalize(opts.root ?? uiRoot()).replace(/[\\/]+$/, '');
  const files = new Map<string, Buffer>(); // the build never changes while the server runs

  async function load(path: string): Promise<Buffer | null> {
    const cached = files.get(path);
    if (cached !== undefined) return cached;
    try {
      const body = await readFile(path);
      files.set(path, body);
      return body;
    } catch {
      return null;
    }
  }

  return async (req, res) => {
    req.resume();
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('method not allowed');
      return;
    }
    if (!existsSync(`${root}${sep}index.html`)) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('the dashboard is not built: run `npm run build` (or `npm ci`, which builds it)');
      return;
    }
    const rawPath = (req.url ?? '/ui').split('?')[0] ?? '/ui';
    let rel: string;
    try {
      rel = decodeURIComponent(rawPath.slice('/ui'.length)).replace(/^\/+/, '');
    } catch {
      rel = '';
    }
    const target = normalize(`${root}${sep}${rel}`);
    const inside = rel === '' || (target.startsWith(`${root}${sep}`) && !rel.includes('\0'));
    const isAsset = rel.startsWith('assets/');
    let path = rel === '' ? `${root}${sep}index.html` : target;
    let body = inside ? await load(path) : null;
    if (body === null && inside && extname(rel) === '') {
      path = `${root}${sep}index.html`; // a client-side route
      body = await load(path);
    }
    if (body === null) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
      res.end('not found');
      return;
    }
    const isPage = path === `${root}${sep}index.html`;
    const locked = isPage && !opts.authorized(req);
    res.writeHead(locked ? 401 : 200, {
      'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
      'content-length': body.length,
      // Vite names every asset by its content hash; index.html names the current ones.
      'cache-control': isAsset ? 'public, max-age=31536000, immutable' : 'no-cache',
      ...(locked ? { 'www-authenticate': 'Bearer realm="costwise admin"' } : {}),
      ...SECURITY_HEADERS,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
