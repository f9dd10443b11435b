// One OpenAI batch: its job, its rendering as a Batch object, and its output and error files,
// written to the file store when the batch ends. Output lines are the items that answered 200;
// the error file holds the items that answered an error status and the expired ones (`error.code:
// "batch_expired"`). Items a cancel stopped are in neither file (partial output).
import { handleOpenAIEmbeddings } from '../embeddings.js';
import { hashString } from '../../core/running-hash.js';
import { handleOpenAIChat } from '../openai.js';
import { isObj } from '../parse-util.js';
import type { EmulatorState } from '../state.js';
import type { StoredBatch } from './batch-store.js';
import { runItem, type Directives, type Handler } from './execute.js';
import { unixSeconds } from './http.js';
import { BatchJob, jobTiming, type JobResult } from './job.js';
import type { LineError, OpenAIItem, ParsedInput } from './openai-input.js';
import { batchRegistry } from './registry.js';

/** Endpoints the emulator can batch (the real API also takes /v1/responses, /v1/completions, …). */
export const BATCH_HANDLERS: Readonly<Record<string, Handler>> = {
  '/v1/chat/completions': handleOpenAIChat,
  '/v1/embeddings': handleOpenAIEmbeddings,
};

const OUTPUT_TTL_MS = 30 * 86_400_000;

interface UsageTotals {
  input: number;
  cached: number;
  output: number;
  reasoning: number;
}

export interface OpenAIBatch extends StoredBatch {
  readonly job: BatchJob<OpenAIItem>;
  readonly endpoint: string;
  readonly inputFileId: string;
  readonly metadata: Record<string, string> | null;
  readonly model: string | null;
  readonly errors: readonly LineError[];
  readonly usage: UsageTotals;
  /** JSONL lines of the output and error files, serialised as results arrive. */
  readonly outputLines: string[];
  readonly errorLines: string[];
  outputFileId: string | null;
  errorFileId: string | null;
}

export interface NewOpenAIBatch {
  state: EmulatorState;
  endpoint: string;
  inputFileId: string;
  metadata: Record<string, string> | null;
  input: ParsedInput;
  directives: Directives;
  expireAfterMs: number;
  /** `output_expires_after.seconds`, else 30 days. */
  outputTtlMs: number | null;
}

export function createOpenAIBatch(n: NewOpenAIBatch): OpenAIBatch {
  const { state } = n;
  const createdAt = state.now();
  const id = `batch_${state.nextId()}`;
  const handler = BATCH_HANDLERS[n.endpoint]!;
  const usage: UsageTotals = { input: 0, cached: 0, output: 0, reasoning: 0 };
  const job: BatchJob<OpenAIItem> = new BatchJob<OpenAIItem>({
    items: n.input.items,
    timing: jobTiming(state.batch, createdAt, n.expireAfterMs),
    orderSeed: hashString(id, state.seed),
    failValidation: n.input.errors.length > 0,
    execute: (item) => runItem({ state, provider: 'openai', handler, body: item.body, directives: n.directives, customId: item.customId }),
    onResult: (r) => {
      addUsage(usage, r);
      addLine(state, batch, r);
    },
    onEnd: () => writeFiles(state, batch, n.outputTtlMs ?? OUTPUT_TTL_MS),
  });
  const batch: OpenAIBatch = {
    id,
    job,
    endpoint: n.endpoint,
    inputFileId: n.inputFileId,
    metadata: n.metadata,
    model: n.input.model,
    errors: n.input.errors,
    usage,
    outputLines: [],
    errorLines: [],
    outputFileId: null,
    errorFileId: null,
  };
  return batch;
}

function num(o: unknown, key: string): number {
  const v = isObj(o) ? o[key] : undefined;
  return typeof v === 'number' ? v : 0;
}

function addUsage(u: UsageTotals, r: JobResult): void {
  if (r.outcome.type !== 'succeeded' || !isObj(r.outcome.body)) return;
  const usage = r.outcome.body.usage;
  if (!isObj(usage)) return;
  u.input += num(usage, 'prompt_tokens');
  u.output += num(usage, 'completion_tokens');
  u.cached += num(usage.prompt_tokens_details, 'cached_tokens');
  u.reasoning += num(usage.completion_tokens_details, 'reasoning_tokens');
}

function addLine(state: EmulatorState, batch: OpenAIBatch, { customId, outcome }: JobResult): void {
  const id = `batch_req_${state.nextId()}`;
  switch (outcome.type) {
    case 'succeeded':
      batch.outputLines.push(
        JSON.stringify({ id, custom_id: customId, response: { status_code: 200, request_id: outcome.requestId, body: outcome.body }, error: null }),
      );
      break;
    case 'errored':
      batch.errorLines.push(
        JSON.stringify({ id, custom_id: customId, response: { status_code: outcome.status, request_id: outcome.requestId, body: outcome.body }, error: null }),
      );
      break;
    case 'expired':
      batch.errorLines.push(
        JSON.stringify({
          id,
          custom_id: customId,
          response: null,
          error: { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' },
        }),
      );
      break;
    case 'canceled':
      break;
  }
}

function writeFiles(state: EmulatorState, batch: OpenAIBatch, ttlMs: number): void {
  const files = batchRegistry(state).files;
  const now = batch.job.endedAt ?? state.now();
  const save = (kind: string, lines: string[]): string | null => {
    if (lines.length === 0) return null;
    const content = Buffer.from(`${lines.join('\n')}\n`);
    lines.length = 0; // the file holds them now
    return files.add({ filename: `${batch.id}_${kind}.jsonl`, purpose: 'batch_output', content, createdAt: now, expiresAt: now + ttlMs }).id;
  };
  batch.outputFileId = save('output', batch.outputLines);
  batch.errorFileId = save('error', batch.errorLines);
}

function status(b: OpenAIBatch): string {
  const { phase, end } = b.job;
  return phase === 'ended' ? end! : phase;
}

export function renderOpenAIBatch(b: OpenAIBatch): Record<string, unknown> {
  const j = b.job;
  const t = j.timing;
  // Requests are counted once the input has validated.
  const counted = j.phase !== 'validating' && j.end !== 'failed';
  const at = (end: string): number | null => (j.end === end ? unixSeconds(j.endedAt) : null);
  return {
    id: b.id,
    object: 'batch',
    endpoint: b.endpoint,
    model: b.model,
    errors: b.errors.length > 0 ? { object: 'list', data: b.errors } : null,
    input_file_id: b.inputFileId,
    completion_window: '24h',
    status: status(b),
    output_file_id: b.outputFileId,
    error_file_id: b.errorFileId,
    created_at: unixSeconds(t.createdAt),
    in_progress_at: unixSeconds(j.inProgressAt),
    expires_at: unixSeconds(t.expiresAt),
    finalizing_at: unixSeconds(j.finalizingAt),
    completed_at: at('completed'),
    failed_at: at('failed'),
    expired_at: at('expired'),
    cancelling_at: unixSeconds(j.cancelAt),
    cancelled_at: at('cancelled'),
    request_counts: counted
      ? { total: j.total, completed: j.counts.succeeded, failed: j.counts.errored + j.counts.expired }
      : { total: 0, completed: 0, failed: 0 },
    usage: {
      input_tokens: b.usage.input,
      input_tokens_details: { cached_tokens: b.usage.cached },
      output_tokens: b.usage.output,
      output_tokens_details: { reasoning_tokens: b.usage.reasoning },
      total_tokens: b.usage.input + b.usage.output,
    },
    metadata: b.metadata,
  };
}
