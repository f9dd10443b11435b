// The OpenAI Files and Batch endpoints, as the official SDK calls them (PROVIDER_PROTOCOLS.md §3):
// POST /v1/files (multipart, purpose=batch), GET /v1/files/{id}, GET /v1/files/{id}/content,
// DELETE /v1/files/{id}, POST /v1/batches, GET /v1/batches, GET /v1/batches/{id},
// POST /v1/batches/{id}/cancel. A caller sees only the files and batches made with its own key.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError, invalidRequest } from '../core/errors.js';
import { renderFile, renderOpenAIBatch } from '../batch/render-openai.js';
import type { BatchRecord, FileRecord } from '../batch/types.js';
import type { AppDeps } from './deps.js';
import { parseJsonBody } from '../core/json-body.js';
import { readBody } from './body.js';
import { forwardHeadersFrom } from './caller.js';
import { sendJson } from './respond.js';
import { MAX_UPLOAD_BYTES, approvalRequired, callerOf, limitParam, sendRaw, service } from './batch-http.js';

const ENDPOINTS = ['/v1/chat/completions'];

async function batchFor(deps: AppDeps, req: IncomingMessage, id: string): Promise<BatchRecord> {
  const b = await service(deps).get(id);
  if (!b || b.format !== 'openai' || b.origin !== 'api' || b.keyId !== callerOf(req, deps).keyId) {
    throw new GatewayError({ kind: 'not_found', message: `No such Batch object: ${id}`, param: 'batch_id' });
  }
  return b;
}

async function fileFor(deps: AppDeps, req: IncomingMessage, id: string): Promise<FileRecord> {
  const f = await service(deps).store.file(id);
  if (!f || f.keyId !== callerOf(req, deps).keyId) throw new GatewayError({ kind: 'not_found', message: `No such File object: ${id}`, param: 'id' });
  return f;
}

export async function uploadFile(req: IncomingMessage, res: ServerResponse, deps: AppDeps): Promise<void> {
  const svc = service(deps);
  const type = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data\s*;/i.test(type)) throw invalidRequest(`Invalid Content-Type header (${type || 'none'}), expected multipart/form-data.`);
  const raw = await readBody(req, MAX_UPLOAD_BYTES);
  let form: FormData;
  try {
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- the deprecation is about unbounded server bodies; this one was read whole under MAX_UPLOAD_BYTES
    form = await new Response(raw, { headers: { 'content-type': type } }).formData();
  } catch {
    throw invalidRequest('Could not parse the multipart form body.');
  }
  const purpose = form.get('purpose');
  if (purpose !== 'batch') throw invalidRequest(`Invalid value for 'purpose': costwise accepts 'batch' files only, got ${JSON.stringify(purpose)}.`, 'purpose');
  const file = form.get('file');
  if (file === null || typeof file === 'string') throw invalidRequest("Missing required parameter: 'file'.", 'file');
  if (!file.name.endsWith('.jsonl')) throw invalidRequest('Invalid file format for Batch API. Must be .jsonl', 'file', 'invalid_file_format');
  const record = await svc.uploadFile({ keyId: callerOf(req, deps).keyId, filename: file.name, purpose, content: Buffer.from(await file.arrayBuffer()) });
  sendJson(res, 200, renderFile(record));
}

export async function getFile(req: IncomingMessage, res: ServerResponse, deps: AppDeps, id: string): Promise<void> {
  sendJson(res, 200, renderFile(await fileFor(deps, req, id)));
}

export async function fileContent(req: IncomingMessage, res: ServerResponse, deps: AppDeps, id: string): Promise<void> {
  const svc = service(deps);
  await fileFor(deps, req, id);
  const content = await svc.store.fileContent(id);
  if (!content) throw new GatewayError({ kind: 'not_found', message: `No such File object: ${id}`, param: 'id' });
  sendRaw(res, 'application/octet-stream', content);
}

export async function deleteFile(req: IncomingMessage, res: ServerResponse, deps: AppDeps, id: string): Promise<void> {
  const svc = service(deps);
  await fileFor(deps, req, id);
  await svc.store.deleteFile(id);
  sendJson(res, 200, { id, object: 'file', deleted: true });
}

function metadataOf(raw: unknown): Record<string, string> | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalidRequest("Invalid 'metadata': expected an object.", 'metadata');
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length > 16) throw invalidRequest("Invalid 'metadata': at most 16 key-value pairs.", 'metadata');
  for (const [k, v] of entries)
    if (typeof v !== 'string' || v.length > 512 || k.length > 64)
      throw invalidRequest(`Invalid 'metadata.${k}': expected a string of at most 512 characters.`, `metadata.${k}`);
  return raw as Record<string, string>;
}

export async function createBatch(req: IncomingMessage, res: ServerResponse, deps: AppDeps): Promise<void> {
  const svc = service(deps);
  const parsed = parseJsonBody(await readBody(req, deps.config.server.maxBodyBytes));
  if (typeof parsed !== 'object' || parsed === null) throw invalidRequest('body: expected an object');
  const body = parsed as Record<string, unknown>;
  if (typeof body.input_file_id !== 'string') throw invalidRequest("Missing required parameter: 'input_file_id'.", 'input_file_id');
  if (typeof body.endpoint !== 'string') throw invalidRequest("Missing required parameter: 'endpoint'.", 'endpoint');
  if (!ENDPOINTS.includes(body.endpoint)) throw invalidRequest(`Invalid value for 'endpoint': costwise batches ${ENDPOINTS.join(', ')}.`, 'endpoint');
  if (body.completion_window !== '24h') throw invalidRequest(`Invalid value for 'completion_window': supported values are '24h'.`, 'completion_window');
  const caller = callerOf(req, deps);
  const batch = await svc.submitOpenAI({
    caller,
    forwardHeaders: forwardHeadersFrom(req.headers),
    requireApproval: approvalRequired(req),
    inputFileId: body.input_file_id,
    endpoint: body.endpoint,
    metadata: metadataOf(body.metadata),
  });
  sendJson(res, 200, renderOpenAIBatch(batch, await svc.store.counts(batch.id)));
}

export async function getBatch(req: IncomingMessage, res: ServerResponse, deps: AppDeps, id: string): Promise<void> {
  const svc = service(deps);
  const b = await batchFor(deps, req, id);
  sendJson(res, 200, renderOpenAIBatch(b, await svc.store.counts(b.id)));
}

export async function cancelBatch(req: IncomingMessage, res: ServerResponse, deps: AppDeps, id: string): Promise<void> {
  const svc = service(deps);
  await batchFor(deps, req, id);
  const b = await svc.cancel(id);
  sendJson(res, 200, renderOpenAIBatch(b, await svc.store.counts(b.id)));
}

export async function listBatches(req: IncomingMessage, res: ServerResponse, deps: AppDeps, url: URL): Promise<void> {
  const svc = service(deps);
  const page = await svc.store.listBatches({
    format: 'openai',
    keyId: callerOf(req, deps).keyId,
    after: url.searchParams.get('after'),
    limit: limitParam(url, 20, 100),
  });
  const data = await Promise.all(page.data.map(async (b) => renderOpenAIBatch(b, await svc.store.counts(b.id))));
  sendJson(res, 200, { object: 'list', data, first_id: page.data[0]?.id ?? null, last_id: page.data.at(-1)?.id ?? null, has_more: page.hasMore });
}
