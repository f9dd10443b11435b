// A batch in OpenAI's shapes: the Batch object, the File object, and the output / error file lines.
import { createHash } from 'node:crypto';
import { renderChatCompletion } from '../wire/openai/response.js';
import { renderOpenAIError } from '../wire/openai/errors.js';
import { gatewayError } from './errors.js';
import { itemRequestId } from './plan.js';
import type { StateCounts } from './store.js';
import type { BatchRecord, BatchState, FileRecord, ItemRecord, LineError } from './types.js';

const seconds = (ms: number | null): number | null => (ms === null ? null : Math.floor(ms / 1000));

const STATUS: Record<BatchState, string> = {
  collecting: 'validating',
  awaiting_approval: 'validating',
  in_progress: 'in_progress',
  cancelling: 'cancelling',
  completed: 'completed',
  cancelled: 'cancelled',
  expired: 'expired',
  failed: 'failed',
};

export function openAIStatus(state: BatchState): string {
  return STATUS[state];
}

/** costwise's own view, added to both providers' batch objects. */
export function costwiseView(b: BatchRecord, c: StateCounts): Record<string, unknown> {
  return { state: b.state, estimate: b.estimate, approved_at: seconds(b.approvedAt), counts: c, models: b.models };
}

export function renderOpenAIBatch(b: BatchRecord, c: StateCounts): Record<string, unknown> {
  const endedAs = (s: BatchState) => (b.state === s ? seconds(b.endedAt) : null);
  return {
    id: b.id,
    object: 'batch',
    endpoint: b.endpoint,
    model: b.models[0] ?? null,
    errors:
      b.lineErrors.length > 0 ? { object: 'list', data: b.lineErrors.map((e) => ({ code: e.code, message: e.message, param: e.param, line: e.line })) } : null,
    input_file_id: b.inputFileId,
    completion_window: '24h',
    status: STATUS[b.state],
    output_file_id: b.outputFileId,
    error_file_id: b.errorFileId,
    created_at: seconds(b.createdAt),
    in_progress_at: seconds(b.inProgressAt),
    expires_at: seconds(b.expiresAt),
    finalizing_at: null,
    completed_at: endedAs('completed'),
    failed_at: endedAs('failed'),
    expired_at: endedAs('expired'),
    cancelling_at: seconds(b.cancelRequestedAt),
    cancelled_at: endedAs('cancelled'),
    request_counts: { total: b.total, completed: c.succeeded, failed: c.errored + c.expired + c.canceled + b.lineErrors.length },
    metadata: b.metadata,
    costwise: costwiseView(b, c),
  };
}

export function renderFile(f: FileRecord): Record<string, unknown> {
  return {
    id: f.id,
    object: 'file',
    bytes: f.bytes,
    created_at: seconds(f.createdAt),
    expires_at: null,
    filename: f.filename,
    purpose: f.purpose,
    status: 'processed',
    status_details: null,
  };
}

function lineId(batchId: string, customId: string): string {
  return `batch_req_${createHash('sha256').update(`${batchId}\u0000${customId}`).digest('hex').slice(0, 24)}`;
}

/** The output line of a succeeded item, or the error line of any other ended item. */
export function openAILine(b: BatchRecord, item: ItemRecord): { kind: 'output' | 'error'; line: Record<string, unknown> } | null {
  const r = item.result;
  if (!r) return null;
  const id = lineId(b.id, item.customId);
  const requestId = itemRequestId(b.id, item.customId);
  switch (r.type) {
    case 'succeeded': {
      const body = renderChatCompletion(r.response, r.model, requestId);
      const line: Record<string, unknown> = { id, custom_id: item.customId, response: { status_code: 200, request_id: requestId, body }, error: null };
      if (r.warnings.length > 0) line.costwise_warnings = r.warnings;
      return { kind: 'output', line };
    }
    case 'errored': {
      const rendered = renderOpenAIError(gatewayError(r.error));
      return {
        kind: 'error',
        line: { id, custom_id: item.customId, response: { status_code: rendered.status, request_id: requestId, body: rendered.body }, error: null },
      };
    }
    case 'expired':
      return {
        kind: 'error',
        line: {
          id,
          custom_id: item.customId,
          response: null,
          error: { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' },
        },
      };
    case 'canceled':
      return {
        kind: 'error',
        line: { id, custom_id: item.customId, response: null, error: { code: 'batch_cancelled', message: 'This request was cancelled before it ran.' } },
      };
  }
}

export function lineErrorLine(b: BatchRecord, e: LineError): Record<string, unknown> {
  return {
    id: lineId(b.id, `line:${e.line}`),
    custom_id: e.customId,
    response: null,
    error: { code: e.code, message: e.message, param: e.param, line: e.line },
  };
}
