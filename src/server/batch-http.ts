// What the batch route handlers share: who is calling, errors in the caller's wire format, raw
// bodies and downloads.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError, invalidRequest, toGatewayError } from '../core/errors.js';
import { renderOpenAIError } from '../wire/openai/errors.js';
import { renderAnthropicError } from '../wire/anthropic/errors.js';
import type { BatchService } from '../batch/service.js';
import type { AppDeps } from './deps.js';
import { logInternal } from '../pipeline/respond.js';
import { authenticateCaller } from '../pipeline/authenticate.js';
import type { Caller } from '../pipeline/context.js';
import { newRequestId } from './ids.js';
import { sendJson } from './respond.js';

/** Largest batch input upload (OpenAI allows 200 MB; costwise keeps files in its SQLite database). */
export const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;

export function service(deps: AppDeps): BatchService {
  return deps.batches;
}

/** Who is calling a batch, file or job route: the same authentication as the pipeline's (401/403 when refused). */
export function callerOf(req: IncomingMessage, deps: AppDeps): Caller {
  return authenticateCaller(req.headers, deps.governance);
}

export function sendError(res: ServerResponse, format: 'openai' | 'anthropic', err: unknown): void {
  const requestId = newRequestId();
  if (!(err instanceof GatewayError)) logInternal(requestId, err);
  const e = toGatewayError(err);
  const { status, body } = format === 'openai' ? renderOpenAIError(e) : renderAnthropicError(e, requestId);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, body, format === 'openai' ? { 'x-request-id': requestId } : { 'request-id': requestId });
}

export function sendRaw(res: ServerResponse, contentType: string, body: string | Buffer): void {
  res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** `x-costwise-approval: required` makes a batch wait for approval whatever its cost (the CLI sends it). */
export function approvalRequired(req: IncomingMessage): boolean {
  return req.headers['x-costwise-approval'] === 'required';
}

/** http(s)://host the caller used, for absolute URLs that must point back at costwise. */
export function originOf(req: IncomingMessage): string {
  const proto = req.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http';
  const host = req.headers.host ?? `127.0.0.1:${req.socket.localPort ?? 80}`;
  return `${proto}://${host}`;
}

export function limitParam(url: URL, fallback: number, max: number): number {
  const raw = url.searchParams.get('limit');
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw invalidRequest(`limit: expected an integer from 1 to ${max}, got "${raw}"`, 'limit');
  return n;
}
