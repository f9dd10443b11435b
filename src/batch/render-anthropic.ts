// A batch in Anthropic's shapes: the MessageBatch object and its results JSONL.
import { renderMessage } from '../wire/anthropic/response.js';
import { renderAnthropicError } from '../wire/anthropic/errors.js';
import { gatewayError } from './errors.js';
import { itemRequestId } from './plan.js';
import { costwiseView } from './render-openai.js';
import type { StateCounts } from './store.js';
import { ENDED_STATES, type BatchRecord, type ItemRecord } from './types.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function renderAnthropicBatch(b: BatchRecord, c: StateCounts, origin: string): Record<string, unknown> {
  const ended = ENDED_STATES.has(b.state);
  return {
    id: b.id,
    type: 'message_batch',
    processing_status: ended ? 'ended' : b.state === 'cancelling' ? 'canceling' : 'in_progress',
    request_counts: { processing: c.pending + c.submitted + c.running, succeeded: c.succeeded, errored: c.errored, canceled: c.canceled, expired: c.expired },
    ended_at: iso(b.endedAt),
    created_at: iso(b.createdAt),
    expires_at: iso(b.expiresAt),
    archived_at: null,
    cancel_initiated_at: iso(b.cancelRequestedAt),
    results_url: ended ? `${origin}/v1/messages/batches/${b.id}/results` : null,
    costwise: costwiseView(b, c),
  };
}

export function anthropicResultLine(b: BatchRecord, item: ItemRecord): Record<string, unknown> | null {
  const r = item.result;
  if (!r) return null;
  const requestId = itemRequestId(b.id, item.customId);
  switch (r.type) {
    case 'succeeded':
      return { custom_id: item.customId, result: { type: 'succeeded', message: renderMessage(r.response, r.model, requestId) } };
    case 'errored':
      return { custom_id: item.customId, result: { type: 'errored', error: renderAnthropicError(gatewayError(r.error), requestId).body } };
    case 'canceled':
    case 'expired':
      return { custom_id: item.customId, result: { type: r.type } };
  }
}
