// OpenAI Batch API: `POST /v1/batches`, `GET /v1/batches`, `GET /v1/batches/{id}`,
// `POST /v1/batches/{id}/cancel` (PROVIDER_PROTOCOLS.md §3).
import { badRequest, EmuError } from '../errors.js';
import type { Exchange } from '../exchange.js';
import * as v from '../parse-util.js';
import { expireAfterMs, itemDirectives } from './create-options.js';
import { parseBatchInput } from './openai-input.js';
import { BATCH_HANDLERS, createOpenAIBatch, renderOpenAIBatch, type OpenAIBatch } from './openai-batch.js';
import { getFile } from './openai-files.js';
import { paginate, parseLimit } from './pagination.js';
import { batchRegistry } from './registry.js';

function missing(param: string): never {
  throw badRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
}

function metadata(raw: unknown): Record<string, string> | null {
  if (raw === undefined || raw === null) return null;
  const o = v.requireObj(raw, 'metadata');
  const entries = Object.entries(o);
  if (entries.length > 16) throw badRequest("Invalid 'metadata': at most 16 key-value pairs.", 'metadata', 'invalid_value');
  for (const [k, val] of entries) {
    if (k.length > 64) throw badRequest(`Invalid 'metadata': keys are at most 64 characters ('${k.slice(0, 16)}…').`, 'metadata', 'invalid_value');
    if (typeof val !== 'string' || val.length > 512)
      throw badRequest(`Invalid 'metadata.${k}': expected a string of at most 512 characters.`, `metadata.${k}`, 'invalid_value');
  }
  return o as Record<string, string>;
}

/** `output_expires_after: {anchor: "created_at", seconds}` → ms, or null. */
function outputTtlMs(raw: unknown): number | null {
  if (raw === undefined || raw === null) return null;
  const o = v.requireObj(raw, 'output_expires_after');
  if (o.anchor !== 'created_at')
    throw badRequest("Invalid value for 'output_expires_after.anchor': expected 'created_at'.", 'output_expires_after.anchor', 'invalid_value');
  const s = o.seconds;
  if (typeof s !== 'number' || !Number.isInteger(s) || s < 3600 || s > 2_592_000) {
    throw badRequest("Invalid 'output_expires_after.seconds': expected an integer from 3600 to 2592000.", 'output_expires_after.seconds', 'invalid_value');
  }
  return s * 1000;
}

export function handleBatchCreate(ex: Exchange, body: unknown): void {
  const b = v.requireObj(body, 'body');
  if (b.input_file_id === undefined || b.input_file_id === null) missing('input_file_id');
  const inputFileId = v.requireString(b.input_file_id, 'input_file_id');
  if (b.endpoint === undefined || b.endpoint === null) missing('endpoint');
  const endpoint = v.requireString(b.endpoint, 'endpoint');
  if (!BATCH_HANDLERS[endpoint]) {
    const supported = Object.keys(BATCH_HANDLERS)
      .map((e) => `'${e}'`)
      .join(' and ');
    throw badRequest(`Invalid value for 'endpoint': '${endpoint}'. The emulator batches ${supported}.`, 'endpoint', 'invalid_value');
  }
  if (b.completion_window === undefined || b.completion_window === null) missing('completion_window');
  if (b.completion_window !== '24h')
    throw badRequest(`Invalid value: '${v.loose(b.completion_window)}'. Supported values are: '24h'.`, 'completion_window', 'invalid_value');
  const meta = metadata(b.metadata);
  const ttl = outputTtlMs(b.output_expires_after);
  const directives = itemDirectives(ex);
  const expire = expireAfterMs(ex);
  const file = getFile(ex, inputFileId, 'input_file_id');
  if (file.purpose !== 'batch')
    throw badRequest(`The input file ${inputFileId} must be uploaded with purpose 'batch' (it has '${file.purpose}').`, 'input_file_id', 'invalid_value');
  const batch = createOpenAIBatch({
    state: ex.state,
    endpoint,
    inputFileId,
    metadata: meta,
    input: parseBatchInput(file.content, endpoint),
    directives,
    expireAfterMs: expire,
    outputTtlMs: ttl,
  });
  const reg = batchRegistry(ex.state);
  reg.openai.add(batch);
  reg.runner.wake();
  ex.sendPlain(200, renderOpenAIBatch(batch));
}

async function find(ex: Exchange, id: string): Promise<OpenAIBatch> {
  const reg = batchRegistry(ex.state);
  await reg.runner.slice();
  const b = reg.openai.get(id);
  if (!b) throw new EmuError(404, `No such Batch object: ${id}`, { param: 'batch_id' });
  return b;
}

export async function handleBatchRetrieve(ex: Exchange, id: string): Promise<void> {
  ex.sendPlain(200, renderOpenAIBatch(await find(ex, id)));
}

export async function handleBatchCancel(ex: Exchange, id: string): Promise<void> {
  const b = await find(ex, id);
  if (!b.job.cancel(ex.state.now())) throw badRequest(`Cannot cancel a batch with status '${String(renderOpenAIBatch(b).status)}'.`, null, 'invalid_state');
  ex.sendPlain(200, renderOpenAIBatch(b));
}

export async function handleBatchList(ex: Exchange, query: string): Promise<void> {
  const reg = batchRegistry(ex.state);
  await reg.runner.slice();
  const q = new URLSearchParams(query);
  const page = paginate(reg.openai.newestFirst(), {
    after: q.get('after'),
    before: null,
    limit: parseLimit(q.get('limit'), 20, 100),
    afterParam: 'after',
    beforeParam: 'before',
  });
  ex.sendPlain(200, { object: 'list', data: page.data.map(renderOpenAIBatch), first_id: page.firstId, last_id: page.lastId, has_more: page.hasMore });
}
