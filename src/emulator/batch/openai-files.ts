// OpenAI Files, as much as the Batch API needs: `POST /v1/files` (multipart, as the SDK uploads),
// `GET /v1/files`, `GET /v1/files/{id}`, `GET /v1/files/{id}/content`, `DELETE /v1/files/{id}`.
import { badRequest, EmuError } from '../errors.js';
import type { Exchange } from '../exchange.js';
import { LIMITS } from './config.js';
import type { StoredFile } from './file-store.js';
import { readMultipart, sendRaw, unixSeconds } from './http.js';
import { paginate, parseLimit } from './pagination.js';
import { batchRegistry } from './registry.js';

const UPLOAD_PURPOSES = ['assistants', 'batch', 'fine-tune', 'vision', 'user_data', 'evals'];
const DAY_S = 86_400;
/** Batch input files expire after 30 days unless `expires_after` says otherwise. */
const BATCH_FILE_TTL_S = 30 * DAY_S;

export function renderFile(f: StoredFile): Record<string, unknown> {
  return {
    id: f.id,
    object: 'file',
    bytes: f.content.length,
    created_at: unixSeconds(f.createdAt),
    expires_at: unixSeconds(f.expiresAt),
    filename: f.filename,
    purpose: f.purpose,
    status: 'processed',
    status_details: null,
  };
}

export function fileNotFound(id: string, param = 'id'): EmuError {
  return new EmuError(404, `No such File object: ${id}`, { param });
}

export function getFile(ex: Exchange, id: string, param?: string): StoredFile {
  const f = batchRegistry(ex.state).files.get(id);
  if (!f) throw fileNotFound(id, param);
  return f;
}

export async function handleFileUpload(ex: Exchange): Promise<void> {
  const form = await readMultipart(ex.req, LIMITS.maxUploadBytes);
  const purpose = form.get('purpose');
  if (purpose === null) throw badRequest("Missing required parameter: 'purpose'.", 'purpose', 'missing_required_parameter');
  if (typeof purpose !== 'string' || !UPLOAD_PURPOSES.includes(purpose)) {
    throw badRequest(`Invalid value for 'purpose': expected one of ${UPLOAD_PURPOSES.map((p) => `'${p}'`).join(', ')}.`, 'purpose', 'invalid_value');
  }
  const file = form.get('file');
  if (file === null || typeof file === 'string') throw badRequest("Missing required parameter: 'file'.", 'file', 'missing_required_parameter');
  if (purpose === 'batch' && !file.name.endsWith('.jsonl'))
    throw badRequest('Invalid file format for Batch API. Must be .jsonl', 'file', 'invalid_file_format');
  const now = ex.state.now();
  const ttl = expiresAfterSeconds(form) ?? (purpose === 'batch' ? BATCH_FILE_TTL_S : null);
  const stored = batchRegistry(ex.state).files.add({
    filename: file.name,
    purpose,
    content: Buffer.from(await file.arrayBuffer()),
    createdAt: now,
    expiresAt: ttl === null ? null : now + ttl * 1000,
  });
  ex.sendPlain(200, renderFile(stored));
}

/** `expires_after[anchor]=created_at` + `expires_after[seconds]=N` (1 hour to 30 days). */
function expiresAfterSeconds(form: FormData): number | null {
  const anchor = form.get('expires_after[anchor]');
  const seconds = form.get('expires_after[seconds]');
  if (anchor === null && seconds === null) return null;
  if (anchor !== 'created_at') throw badRequest("Invalid value for 'expires_after.anchor': expected 'created_at'.", 'expires_after.anchor', 'invalid_value');
  const n = typeof seconds === 'string' && /^\d+$/.test(seconds) ? Number(seconds) : NaN;
  if (!(n >= 3600 && n <= 30 * DAY_S))
    throw badRequest(`Invalid 'expires_after.seconds': expected an integer from 3600 to ${30 * DAY_S}.`, 'expires_after.seconds', 'invalid_value');
  return n;
}

export function handleFileList(ex: Exchange, query: string): void {
  const q = new URLSearchParams(query);
  const order = q.get('order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw badRequest(`Invalid value for 'order': expected 'asc' or 'desc'.`, 'order', 'invalid_value');
  const purpose = q.get('purpose');
  let files = batchRegistry(ex.state).files.newestFirst();
  if (purpose !== null) files = files.filter((f) => f.purpose === purpose);
  if (order === 'asc') files.reverse();
  const page = paginate(files, {
    after: q.get('after'),
    before: null,
    limit: parseLimit(q.get('limit'), 10_000, 10_000),
    afterParam: 'after',
    beforeParam: 'before',
  });
  ex.sendPlain(200, { object: 'list', data: page.data.map(renderFile), first_id: page.firstId, last_id: page.lastId, has_more: page.hasMore });
}

export function handleFileRetrieve(ex: Exchange, id: string): void {
  ex.sendPlain(200, renderFile(getFile(ex, id)));
}

export function handleFileContent(ex: Exchange, id: string): void {
  sendRaw(ex, 'application/octet-stream', getFile(ex, id).content);
}

export function handleFileDelete(ex: Exchange, id: string): void {
  getFile(ex, id);
  batchRegistry(ex.state).files.delete(id);
  ex.sendPlain(200, { id, object: 'file', deleted: true });
}
