// The stored-response routes of the Responses API, each scoped to the caller (tenant and key):
//   GET    /v1/responses/{id}              the Response object
//   DELETE /v1/responses/{id}              {id, object: "response", deleted: true}
//   GET    /v1/responses/{id}/input_items  a list of the input items (`order`, `limit`, `after`)
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError, invalidRequest } from '../core/errors.js';
import type { AppDeps } from './deps.js';
import { callerOf, sendError } from './batch-http.js';
import { sendJson } from './respond.js';

const PREFIX = '/v1/responses/';

/** The handler for a path under /v1/responses/, or undefined when it is not one of these routes. */
export function storedResponseRoute(method: string, path: string): ((req: IncomingMessage, res: ServerResponse, deps: AppDeps) => Promise<void>) | undefined {
  if (!path.startsWith(PREFIX)) return undefined;
  const rest = path.slice(PREFIX.length);
  const slash = rest.indexOf('/');
  const id = decode(slash < 0 ? rest : rest.slice(0, slash));
  const sub = slash < 0 ? '' : rest.slice(slash + 1);
  if (id === '' || (sub !== '' && sub !== 'input_items')) return undefined;
  if (sub === 'input_items' && method === 'GET') return (req, res, deps) => run(req, res, () => inputItems(req, deps, id));
  if (sub === '' && method === 'GET') return (req, res, deps) => run(req, res, () => getResponse(req, deps, id));
  if (sub === '' && method === 'DELETE') return (req, res, deps) => run(req, res, () => deleteResponse(req, deps, id));
  return undefined;
}

async function run(req: IncomingMessage, res: ServerResponse, answer: () => Promise<unknown>): Promise<void> {
  req.resume();
  try {
    sendJson(res, 200, await answer());
  } catch (err) {
    sendError(res, 'openai', err);
  }
}

function notFound(id: string): GatewayError {
  return new GatewayError({ kind: 'not_found', message: `Response with id '${id}' not found.`, param: 'response_id' });
}

async function getResponse(req: IncomingMessage, deps: AppDeps, id: string): Promise<unknown> {
  const stored = await deps.responses.get(id, callerOf(req, deps));
  if (!stored) throw notFound(id);
  return stored.response;
}

async function deleteResponse(req: IncomingMessage, deps: AppDeps, id: string): Promise<unknown> {
  if (!(await deps.responses.delete(id, callerOf(req, deps)))) throw notFound(id);
  return { id, object: 'response', deleted: true };
}

async function inputItems(req: IncomingMessage, deps: AppDeps, id: string): Promise<unknown> {
  const query = new URL(req.url ?? '/', 'http://x').searchParams;
  const order = query.get('order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw invalidRequest(`Invalid value for 'order': expected one of 'asc', 'desc', got '${order}'.`, 'order');
  const limitText = query.get('limit') ?? '20';
  const limit = Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    throw invalidRequest(`Invalid value for 'limit': expected an integer from 1 to 100, got '${limitText}'.`, 'limit');
  const stored = await deps.responses.get(id, callerOf(req, deps));
  if (!stored) throw notFound(id);
  const items = (order === 'asc' ? stored.input : [...stored.input].reverse()) as Array<{ id?: string }>;
  const after = query.get('after');
  const start = after === null ? 0 : items.findIndex((it) => it.id === after) + 1;
  if (after !== null && start === 0) throw invalidRequest(`Invalid value for 'after': no input item '${after}' in response '${id}'.`, 'after');
  const page = items.slice(start, start + limit);
  return { object: 'list', data: page, first_id: page[0]?.id ?? null, last_id: page[page.length - 1]?.id ?? null, has_more: start + limit < items.length };
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return '';
  }
}
