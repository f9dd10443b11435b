// The HTTP server: routes requests to handlers; never lets a handler's failure crash the process.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AppDeps } from './deps.js';
import { handleChat } from './chat.js';
import { handleResponsesCreate } from './responses.js';
import { storedResponseRoute } from './responses-stored.js';
import { anthropicIngress, openAIIngress } from '../wire/ingress.js';
import { handleEmbeddings } from './embeddings.js';
import { handleCountTokens } from './count-tokens.js';
import { handleModel, handleModels } from './models.js';
import { handleAdmin, isAdmin } from './admin.js';
import { createUiHandler } from './ui.js';
import { sendJson } from './respond.js';
import { batchHandlerFor } from './batch-routes.js';
import { sendError } from './batch-http.js';
import { authenticateCaller } from '../pipeline/authenticate.js';
import { handleMetrics } from './metrics.js';

type Handler = (req: IncomingMessage, res: ServerResponse, deps: AppDeps) => Promise<void> | void;

/** Routes outside the pipeline need the same credential as those inside it. */
function keyed(handler: Handler): Handler {
  return (req, res, deps) => {
    try {
      authenticateCaller(req.headers, deps.governance);
    } catch (err) {
      sendError(res, req.headers['anthropic-version'] !== undefined ? 'anthropic' : 'openai', err);
      req.resume();
      return;
    }
    return handler(req, res, deps);
  };
}

const ROUTES: Record<string, Handler> = {
  'POST /v1/chat/completions': (req, res, deps) => handleChat(openAIIngress, req, res, deps),
  'POST /v1/messages': (req, res, deps) => handleChat(anthropicIngress, req, res, deps),
  'POST /v1/responses': handleResponsesCreate,
  'POST /v1/messages/count_tokens': keyed(handleCountTokens),
  'POST /v1/embeddings': handleEmbeddings,
  'GET /v1/models': keyed(handleModels),
  'GET /health': (_req, res) => sendJson(res, 200, { status: 'ok' }),
  'GET /metrics': handleMetrics,
};

function pathOf(rawUrl: string): string {
  const q = rawUrl.indexOf('?');
  const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

export function createApp(deps: AppDeps): Server {
  const serveUi = createUiHandler({ authorized: (req) => isAdmin(req, deps.config.server.adminKey) });
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const path = pathOf(req.url ?? '/');
    const handler = ROUTES[`${req.method} ${path}`];
    const failed = (err: unknown): void => {
      process.stderr.write(`costwise: unhandled error on ${req.method} ${path}: ${(err as Error | null | undefined)?.stack ?? String(err)}\n`);
      if (!res.headersSent) sendJson(res, 500, { error: { message: 'internal gateway error', type: 'server_error', param: null, code: null } });
      else res.destroy();
    };
    let done: Promise<void> | void = undefined;
    try {
      const batch = batchHandlerFor(path);
      const stored = handler ? undefined : storedResponseRoute(req.method ?? 'GET', path);
      if (batch) done = batch(req, res, deps);
      else if (stored) done = stored(req, res, deps);
      else if (handler) done = handler(req, res, deps);
      else if (req.method === 'GET' && path.startsWith('/v1/models/')) {
        const id = decodeURIComponent(path.slice('/v1/models/'.length));
        done = keyed((rq, rs, d) => handleModel(rq, rs, d, id))(req, res, deps);
      } else if (path === '/api' || path.startsWith('/api/')) done = handleAdmin(req, res, deps, new URL(req.url ?? '/', 'http://x'));
      else if (path === '/ui' || path.startsWith('/ui/')) done = serveUi(req, res);
      else notFound(req, res, path);
    } catch (err) {
      failed(err);
    }
    if (done) done.catch(failed);
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  return server;
}

function notFound(req: IncomingMessage, res: ServerResponse, path: string): void {
  const known = Object.keys(ROUTES).some((r) => r.endsWith(` ${path}`));
  const status = known ? 405 : 404;
  const message = known ? `Method ${req.method} not allowed on ${path}` : `Unknown route ${req.method} ${path}`;
  if (req.headers['anthropic-version']) {
    sendJson(res, status, { type: 'error', error: { type: 'not_found_error', message } });
  } else {
    sendJson(res, status, { error: { message, type: 'invalid_request_error', param: null, code: 'unknown_url' } });
  }
  req.resume();
}
