// Ledger rows as CSV (RFC 4180: a header row; a field with a comma, quote or line break quoted,
// quotes doubled) or JSON Lines, written as they are read: lines are gathered into chunks of about
// 64 KiB and the next row is read only once the output has taken the last chunk (backpressure), so
// memory stays flat whatever the export's size. Money: exact decimal USD from integer pico-dollars.
import type { Writable } from 'node:stream';
import { formatUsd } from '../cost/money.js';
import type { LedgerAttempt, LedgerRow } from '../storage/index.js';

export type ExportFormat = 'csv' | 'jsonl';

type Cell = string | number | boolean | null | readonly string[] | readonly LedgerAttempt[];

/** The exported columns, in order: money as decimal strings, tags and attempts kept whole. */
const COLUMNS: ReadonlyArray<readonly [string, (r: LedgerRow) => Cell]> = [
  ['time', (r) => new Date(r.ts).toISOString()],
  ['request_id', (r) => r.requestId],
  ['parent_id', (r) => r.parentId],
  ['tenant', (r) => r.tenant],
  ['key_id', (r) => r.keyId],
  ['tags', (r) => r.tags],
  ['ingress', (r) => r.ingress],
  ['endpoint', (r) => r.endpoint],
  ['requested_model', (r) => r.requestedModel],
  ['served_model', (r) => r.servedModel],
  ['provider', (r) => r.provider],
  ['input_tokens', (r) => r.inputTokens],
  ['cache_read_tokens', (r) => r.cacheReadTokens],
  ['cache_write_5m_tokens', (r) => r.cacheWrite5mTokens],
  ['cache_write_1h_tokens', (r) => r.cacheWrite1hTokens],
  ['output_tokens', (r) => r.outputTokens],
  ['reasoning_tokens', (r) => r.reasoningTokens],
  ['cost_usd', (r) => formatUsd(r.costPico)],
  ['baseline_usd', (r) => formatUsd(r.baselinePico)],
  ['prompt_cache_saving_usd', (r) => formatUsd(r.promptCachePico)],
  ['prompt_tokens_removed', (r) => r.promptTokensRemoved],
  ['prompt_hash', (r) => r.promptHash],
  ['max_tokens', (r) => r.maxTokens],
  ['stop_reason', (r) => r.stopReason],
  ['latency_ms', (r) => r.latencyMs],
  ['status', (r) => r.status],
  ['stream', (r) => r.stream],
  ['error_kind', (r) => r.errorKind],
  ['route', (r) => r.route],
  ['technique', (r) => r.technique],
  ['cache', (r) => r.cache],
  ['attempts', (r) => r.attempts],
];

export const CSV_HEADER = COLUMNS.map(([name]) => name).join(',') + '\r\n';

export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** A cell's text: null empty, tags joined with "," (as the x-costwise-tags header takes them), attempts as JSON. */
function cellText(value: Cell): string {
  if (value === null) return '';
  if (typeof value === 'object') return isStrings(value) ? value.join(',') : JSON.stringify(value);
  return String(value);
}

function isStrings(list: readonly unknown[]): list is readonly string[] {
  return list.every((item) => typeof item === 'string');
}

export function csvLine(row: LedgerRow): string {
  return COLUMNS.map(([, get]) => csvField(cellText(get(row)))).join(',') + '\r\n';
}

export function jsonLine(row: LedgerRow): string {
  return JSON.stringify(Object.fromEntries(COLUMNS.map(([name, get]) => [name, get(row)]))) + '\n';
}

export interface ExportSummary {
  rows: number;
  /** The sum of the cost column, exactly. */
  costPico: bigint;
}

const CHUNK_CHARS = 64 * 1024;

/** Writes `rows` to `out` in `format`; resolves once the last chunk is handed over (not closed). */
export async function writeExport(
  rows: AsyncIterable<LedgerRow>,
  out: Writable,
  opts: { format: ExportFormat; onRow?: (n: number) => void },
): Promise<ExportSummary> {
  const line = opts.format === 'csv' ? csvLine : jsonLine;
  let chunk = opts.format === 'csv' ? CSV_HEADER : '';
  let count = 0;
  let cost = 0n;
  let failed: Error | null = null;
  const onError = (err: Error) => (failed ??= err);
  out.on('error', onError);
  try {
    for await (const row of rows) {
      chunk += line(row);
      count += 1;
      cost += BigInt(row.costPico);
      opts.onRow?.(count);
      if (chunk.length >= CHUNK_CHARS) {
        await put(out, chunk, () => failed);
        chunk = '';
      }
    }
    if (chunk !== '') await put(out, chunk, () => failed);
  } finally {
    out.off('error', onError);
  }
  return { rows: count, costPico: cost };
}

/** Writes one chunk, waiting for 'drain' when the stream's buffer is full. */
async function put(out: Writable, chunk: string, failed: () => Error | null): Promise<void> {
  const early = failed();
  if (early !== null) throw early;
  if (out.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error) => {
      out.off('drain', done);
      out.off('error', done);
      out.off('close', closed);
      if (err) reject(err);
      else resolve();
    };
    const closed = () => done(failed() ?? new Error('costwise: the output closed before the export finished'));
    out.on('drain', done);
    out.on('error', done);
    out.on('close', closed);
  });
}
