// Anthropic Message Batches: `POST /v1/messages/batches`, `GET /v1/messages/batches`,
// `GET|DELETE /v1/messages/batches/{id}`, `POST …/{id}/cancel`, `GET …/{id}/results`
// (PROVIDER_PROTOCOLS.md §5).
import { badRequest, EmuError } from '../errors.js';
import type { Exchange } from '../exchange.js';
import * as v from '../parse-util.js';
import { createAnthropicBatch, renderAnthropicBatch, resultsJsonl, type AnthropicBatch, type AnthropicItem } from './anthropic-batch.js';
import { LIMITS } from './config.js';
import { expireAfterMs, itemDirectives } from './create-options.js';
import { origin, sendRaw } from './http.js';
import { paginate, parseLimit } from './pagination.js';
import { batchRegistry } from './registry.js';

const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;

function requests(body: unknown): AnthropicItem[] {
  const b = v.requireObj(body, 'body');
  if (b.requests === undefined) throw badRequest('requests: Field required', 'requests');
  const raw = v.requireArray(b.requests, 'requests');
  if (raw.length === 0) throw badRequest('requests: List should have at least 1 item after validation, not 0', 'requests');
  const max = LIMITS.anthropicItemsPerBatch;
  if (raw.length > max) throw badRequest(`requests: List should have at most ${max} items after validation, not ${raw.length}`, 'requests');
  const seen = new Set<string>();
  return raw.map((r, i) => {
    const param = `requests.${i}`;
    const o = v.requireObj(r, param);
    if (o.custom_id === undefined) throw badRequest(`${param}.custom_id: Field required`, `${param}.custom_id`);
    const customId = v.requireString(o.custom_id, `${param}.custom_id`);
    if (!CUSTOM_ID.test(customId)) throw badRequest(`${param}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`, `${param}.custom_id`);
    if (seen.has(customId))
      throw badRequest(`${param}.custom_id: Duplicate custom_id '${customId}'; each request in a batch needs a unique custom_id`, `${param}.custom_id`);
    seen.add(customId);
    if (o.params === undefined) throw badRequest(`${param}.params: Field required`, `${param}.params`);
    return { customId, params: v.requireObj(o.params, `${param}.params`) };
  });
}

export function handleMessageBatchCreate(ex: Exchange, body: unknown): void {
  const items = requests(body);
  const batch = createAnthropicBatch({ state: ex.state, items, directives: itemDirectives(ex), expireAfterMs: expireAfterMs(ex), origin: origin(ex) });
  const reg = batchRegistry(ex.state);
  reg.anthropic.add(batch);
  reg.runner.wake();
  ex.sendPlain(200, renderAnthropicBatch(batch));
}

async function find(ex: Exchange, id: string): Promise<AnthropicBatch> {
  const reg = batchRegistry(ex.state);
  await reg.runner.slice();
  const b = reg.anthropic.get(id);
  if (!b) throw new EmuError(404, `message_batch_id: no message batch with id '${id}'`);
  return b;
}

export async function handleMessageBatchRetrieve(ex: Exchange, id: string): Promise<void> {
  ex.sendPlain(200, renderAnthropicBatch(await find(ex, id)));
}

export async function handleMessageBatchCancel(ex: Exchange, id: string): Promise<void> {
  const b = await find(ex, id);
  if (!b.job.cancel(ex.state.now())) throw badRequest(`Message batch ${id} has already ended and cannot be canceled.`);
  ex.sendPlain(200, renderAnthropicBatch(b));
}

export async function handleMessageBatchDelete(ex: Exchange, id: string): Promise<void> {
  const b = await find(ex, id);
  if (b.job.active) throw badRequest(`Message batch ${id} is still processing: cancel it and wait until it has ended before deleting it.`);
  batchRegistry(ex.state).anthropic.delete(id);
  ex.sendPlain(200, { id, type: 'message_batch_deleted' });
}

export async function handleMessageBatchResults(ex: Exchange, id: string): Promise<void> {
  const b = await find(ex, id);
  if (b.job.active) throw badRequest(`Results for message batch ${id} are not available until processing has ended.`);
  sendRaw(ex, 'application/x-jsonl', resultsJsonl(b));
}

export async function handleMessageBatchList(ex: Exchange, query: string): Promise<void> {
  const reg = batchRegistry(ex.state);
  await reg.runner.slice();
  const q = new URLSearchParams(query);
  const page = paginate(reg.anthropic.newestFirst(), {
    after: q.get('after_id'),
    before: q.get('before_id'),
    limit: parseLimit(q.get('limit'), 20, 1000),
    afterParam: 'after_id',
    beforeParam: 'before_id',
  });
  ex.sendPlain(200, { data: page.data.map(renderAnthropicBatch), has_more: page.hasMore, first_id: page.firstId, last_id: page.lastId });
}
