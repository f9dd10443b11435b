// Reads a trace file of any supported format into one Trace, requests in arrival order.
import { readFileSync } from 'node:fs';
import { readAzureTrace } from './formats/azure.js';
import { readLedgerExport } from './formats/ledger.js';
import { isRecord, numberedLines } from './formats/lines.js';
import { readMooncakeTrace } from './formats/mooncake.js';
import { readOpenAILog } from './formats/openai-log.js';
import { isOutcomeHeader, readOutcomeTrace } from './formats/outcomes.js';
import { SyntheticChat } from './synthetic.js';
import type { SynthOptions, Trace, TraceFormat } from './types.js';

export const TRACE_FORMATS: readonly TraceFormat[] = ['ledger', 'openai-log', 'azure', 'mooncake', 'outcomes'];

export class TraceError extends Error {}

/** The format, from the extension (`.csv`) or the first line that parses as JSON. */
export function detectFormat(file: string, text: string): TraceFormat {
  const firstLine = text.slice(0, 65536).split(/\r?\n/, 1)[0] ?? '';
  if (isOutcomeHeader(firstLine.replace(/^\uFEFF/, ''))) return 'outcomes';
  if (/\.csv$/i.test(file) || /^\s*timestamp\s*,/i.test(text)) return 'azure';
  const head = text.trimStart();
  if (head.startsWith('[') || /^\{\s*"(data|limit|offset|has_more)"/.test(head)) return 'ledger';
  for (const { text: line } of numberedLines(text).slice(0, 20)) {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      continue;
    }
    if (!isRecord(v)) continue;
    if ('hash_ids' in v) return 'mooncake';
    if ('body' in v) return 'openai-log';
    if ('requestedModel' in v) return 'ledger';
  }
  throw new TraceError(
    `${file}: cannot tell the trace format (expected an Azure CSV, an outcome CSV, Mooncake JSONL, OpenAI request log JSONL or a costwise ledger export)`,
  );
}

export function parseTrace(format: TraceFormat, text: string, opts: SynthOptions, file = ''): Trace {
  switch (format) {
    case 'outcomes':
      return readOutcomeTrace(text, file, opts.model);
    case 'azure':
      return readAzureTrace(text, new SyntheticChat(opts.model));
    case 'mooncake':
      return readMooncakeTrace(text, new SyntheticChat(opts.model));
    case 'openai-log':
      return readOpenAILog(text);
    case 'ledger':
      return readLedgerExport(text);
  }
}

export interface ReadTraceOptions extends SynthOptions {
  /** Replay only the first N requests (in time order). */
  limit?: number;
}

export function readTrace(file: string, opts: ReadTraceOptions): Trace {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new TraceError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const trace = parseTrace(detectFormat(file, text), text, opts, file);
  // Stable: requests at the same instant keep their file order.
  trace.requests.sort((a, b) => a.ts - b.ts);
  if (opts.limit !== undefined) trace.requests = trace.requests.slice(0, opts.limit);
  return trace;
}
