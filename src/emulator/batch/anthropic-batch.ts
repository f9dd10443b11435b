// One Anthropic Message Batch: its job, its rendering as a MessageBatch object and its results
// JSONL. Each item's `params` is validated only when the item runs, as the real API does: a bad
// item ends `errored`, the others are unaffected.
import { handleAnthropicMessages } from '../anthropic.js';
import { hashString } from '../../core/running-hash.js';
import { isObj } from '../parse-util.js';
import type { EmulatorState } from '../state.js';
import type { StoredBatch } from './batch-store.js';
import { runItem, type Directives } from './execute.js';
import { rfc3339 } from './http.js';
import { BatchJob, jobTiming, type Outcome } from './job.js';

export interface AnthropicItem {
  customId: string;
  params: unknown;
}

export interface AnthropicBatch extends StoredBatch {
  readonly job: BatchJob<AnthropicItem>;
  /** The emulator origin the batch was created through; results_url points back at it. */
  readonly origin: string;
  /** The results JSONL, one newline-terminated line per finished request, in completion order. */
  readonly resultLines: string[];
}

export interface NewAnthropicBatch {
  state: EmulatorState;
  items: AnthropicItem[];
  directives: Directives;
  expireAfterMs: number;
  origin: string;
}

export function createAnthropicBatch(n: NewAnthropicBatch): AnthropicBatch {
  const { state } = n;
  const createdAt = state.now();
  const id = `msgbatch_${state.nextId()}`;
  const resultLines: string[] = [];
  const job = new BatchJob<AnthropicItem>({
    items: n.items,
    timing: jobTiming(state.batch, createdAt, n.expireAfterMs),
    orderSeed: hashString(id, state.seed),
    failValidation: false,
    execute: async (item) =>
      batchTier(
        await runItem({ state, provider: 'anthropic', handler: handleAnthropicMessages, body: item.params, directives: n.directives, customId: item.customId }),
      ),
    onResult: (r) => resultLines.push(`${JSON.stringify({ custom_id: r.customId, result: result(r.outcome) })}\n`),
  });
  return { id, job, origin: n.origin, resultLines };
}

/** Messages answered inside a batch report `usage.service_tier: "batch"` (what they are billed at). */
function batchTier(o: Outcome): Outcome {
  if (o.type === 'succeeded' && isObj(o.body) && isObj(o.body.usage)) o.body.usage.service_tier = 'batch';
  return o;
}

function processingStatus(b: AnthropicBatch): 'in_progress' | 'canceling' | 'ended' {
  const phase = b.job.phase;
  return phase === 'ended' ? 'ended' : phase === 'cancelling' ? 'canceling' : 'in_progress';
}

export function renderAnthropicBatch(b: AnthropicBatch): Record<string, unknown> {
  const j = b.job;
  const c = j.counts;
  const ended = j.phase === 'ended';
  return {
    id: b.id,
    type: 'message_batch',
    processing_status: processingStatus(b),
    request_counts: {
      processing: j.total - c.succeeded - c.errored - c.canceled - c.expired,
      succeeded: c.succeeded,
      errored: c.errored,
      canceled: c.canceled,
      expired: c.expired,
    },
    ended_at: rfc3339(j.endedAt),
    created_at: rfc3339(j.timing.createdAt),
    expires_at: rfc3339(j.timing.expiresAt),
    archived_at: null,
    cancel_initiated_at: rfc3339(j.cancelAt),
    results_url: ended ? `${b.origin}/v1/messages/batches/${b.id}/results` : null,
  };
}

function result(o: Outcome): Record<string, unknown> {
  switch (o.type) {
    case 'succeeded':
      return { type: 'succeeded', message: o.body };
    case 'errored':
      return { type: 'errored', error: o.body };
    case 'canceled':
    case 'expired':
      return { type: o.type };
  }
}

/** No blank lines: they break the SDK's JSONL parser (a trailing newline is fine). */
export function resultsJsonl(b: AnthropicBatch): string {
  return b.resultLines.join('');
}
