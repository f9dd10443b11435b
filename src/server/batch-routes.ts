// The batch routes: one entry point for app.ts, matching the dynamic paths of both providers'
// batch APIs, costwise's admin batch API and deferred jobs. Errors come back in the format of
// the surface they were asked on.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../core/errors.js';
import type { AppDeps } from './deps.js';
import * as openai from './batch-openai.js';
import * as anthropic from './batch-anthropic.js';
import { handleBatchAdmin } from './batch-admin.js';
import { handleJob } from './batch-jobs.js';
import { sendError } from './batch-http.js';

const PREFIXES = ['/v1/files', '/v1/batches', '/v1/messages/batches', '/api/batches', '/v1/costwise/jobs'];
const SUBPATHS = PREFIXES.map((p) => `${p}/`);

export function isBatchPath(path: string): boolean {
  for (let i = 0; i < PREFIXES.length; i++) if (path === PREFIXES[i] || path.startsWith(SUBPATHS[i]!)) return true;
  return false;
}

type Route = (req: IncomingMessage, res: ServerResponse, deps: AppDeps, arg: string, url: URL) => Promise<void> | void;

// `{}` is one path segment.
const ROUTES: Array<[method: string, pattern: string, route: Route]> = [
  ['POST', '/v1/files', (req, res, deps) => openai.uploadFile(req, res, deps)],
  ['GET', '/v1/files/{}', openai.getFile],
  ['DELETE', '/v1/files/{}', openai.deleteFile],
  ['GET', '/v1/files/{}/content', openai.fileContent],
  ['POST', '/v1/batches', (req, res, deps) => openai.createBatch(req, res, deps)],
  ['GET', '/v1/batches', (req, res, deps, _a, url) => openai.listBatches(req, res, deps, url)],
  ['GET', '/v1/batches/{}', openai.getBatch],
  ['POST', '/v1/batches/{}/cancel', openai.cancelBatch],
  ['POST', '/v1/messages/batches', (req, res, deps) => anthropic.createMessageBatch(req, res, deps)],
  ['GET', '/v1/messages/batches', (req, res, deps, _a, url) => anthropic.listMessageBatches(req, res, deps, url)],
  ['GET', '/v1/messages/batches/{}', anthropic.getMessageBatch],
  ['DELETE', '/v1/messages/batches/{}', anthropic.deleteMessageBatch],
  ['POST', '/v1/messages/batches/{}/cancel', anthropic.cancelMessageBatch],
  ['GET', '/v1/messages/batches/{}/results', anthropic.messageBatchResults],
  ['GET', '/v1/costwise/jobs/{}', handleJob],
];

function match(pattern: string, path: string): string | null {
  const p = pattern.split('/');
  const a = path.split('/');
  if (p.length !== a.length) return null;
  let arg = '';
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '{}') arg = decodeURIComponent(a[i]!);
    else if (p[i] !== a[i]) return null;
  }
  return arg;
}

export async function handleBatchRoute(req: IncomingMessage, res: ServerResponse, deps: AppDeps, path: string): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  const format = path.startsWith('/v1/messages/') || req.headers['anthropic-version'] !== undefined ? 'anthropic' : 'openai';
  try {
    if (path.startsWith('/api/batches')) {
      await handleBatchAdmin(req, res, deps, url);
      return;
    }
    let known = false;
    for (const [method, pattern, route] of ROUTES) {
      const arg = match(pattern, path);
      if (arg === null) continue;
      known = true;
      if (method === req.method) {
        await route(req, res, deps, arg, url);
        return;
      }
    }
    req.resume();
    throw new GatewayError({
      kind: 'not_found',
      status: known ? 405 : 404,
      message: `${known ? 'Method not allowed:' : 'Unknown route'} ${req.method} ${path}`,
    });
  } catch (err) {
    sendError(res, format, err);
  }
}

/** The handler app.ts runs for this request when it is on a batch surface; undefined otherwise. */
export function batchHandlerFor(path: string): ((req: IncomingMessage, res: ServerResponse, deps: AppDeps) => Promise<void>) | undefined {
  return isBatchPath(path) ? (rq, rs, d) => handleBatchRoute(rq, rs, d, path) : undefined;
}
