// Anthropic Message Batches, as the official SDK calls them (PROVIDER_PROTOCOLS.md §5):
// POST|GET /v1/messages/batches, GET|DELETE /v1/messages/batches/{id}, POST …/{id}/cancel,
// GET …/{id}/results (absolute results_url pointing at costwise).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError, invalidRequest } from '../core/errors.js';
import { renderAnthropicBatch } from '../batch/render-anthropic.js';
import { ENDED_STATES, type BatchRecord } from '../batch/types.js';
import type { BatchService } from '../batch/service.js';
import type { AppDeps } from './deps.js';
import { parseJsonBody } from '../core/json-body.js';
import { readBody } from './body.js';
import { forwardHeadersFrom } from './caller.js';
import { sendJson } from './respond.js';
import { MAX_UPLOAD_BYTES, approvalRequired, callerOf, limitParam, originOf, sendRaw, service } from './batch-http.js';

async function batchFor(deps: AppDeps, req: IncomingMessage, id: string): Promise<BatchRecord> {
  const b = await service(deps).get(id);
  if (!b || b.format !== 'anthropic' || b.origin !== 'api' || b.keyId !== callerOf(req, deps).keyId) {
    throw new GatewayError({ kind: 'not_found', message: `message_batch_id: no message batch with id '${id}'` });
  }
  return b;
}

async function render(svc: BatchService, req: IncomingMessage, b: BatchRecord): Promise<Record<string, unknown>> {
  return renderAnthropicBatch(b, await svc.store.counts(b.id), originOf(req));
}

export async function createMessageBatch(req: IncomingMessage, res: ServerResponse, deps: AppDeps): Promise<void> {
  const svc = service(deps);
  const body = parseJsonBody(await readBody(req, Math.max(deps.config.server.maxBodyBytes, MAX_UPLOAD_BYTES)));
  const b = await svc.submitAnthropic({
    caller: callerOf(req, deps),
    forwardHeaders: forwardHeadersFrom(req.headers),
    requireApproval: approvalRequired(req),
    body,
  });
  sendJson(res, 200, await render(svc, req, b));
}

export async function getMessageBatch(req: IncomingMessage, res: ServerResponse, deps: AppDeps, id: string): Promise<void> {
  const svc = service(deps);
  sendJson(res, 200, await render(svc, req, await batchFor(deps, req, id)));
}

export async function cancelMessageBatch(req: IncomingMessage, res: ServerResponse, deps: AppDeps, id: string): Promise<void> {
  const svc = service(deps);
  await batchFor(deps, req, id);
  sendJson(res, 200, await render(svc, req, await svc.cancel(id)));
}

export async function deleteMessageBatch(req: IncomingMessage, res: ServerResponse, deps: AppDeps, id: string): Promise<void> {
  const svc = service(deps);
  await batchFor(deps, req, id);
  await svc.delete(id);
  sendJson(res, 200, { id, type: 'message_batch_deleted' });
}

export async function messageBatchResults(req: IncomingMessage, res: ServerResponse, deps: AppDeps, id: string): Promise<void> {
  const svc = service(deps);
  const b = await batchFor(deps, req, id);
  if (!ENDED_STATES.has(b.state)) throw invalidRequest(`Results for message batch ${id} are not available until processing has ended.`);
  sendRaw(res, 'application/x-jsonl', await svc.anthropicResults(b));
}

export async function listMessageBatches(req: IncomingMessage, res: ServerResponse, deps: AppDeps, url: URL): Promise<void> {
  const svc = service(deps);
  const page = await svc.store.listBatches({
    format: 'anthropic',
    keyId: callerOf(req, deps).keyId,
    after: url.searchParams.get('after_id'),
    before: url.searchParams.get('before_id'),
    limit: limitParam(url, 20, 1000),
  });
  sendJson(res, 200, {
    data: await Promise.all(page.data.map((b) => render(svc, req, b))),
    has_more: page.hasMore,
    first_id: page.data[0]?.id ?? null,
    last_id: page.data.at(-1)?.id ?? null,
  });
}
