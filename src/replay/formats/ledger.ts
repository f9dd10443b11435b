// A costwise ledger export: the JSON of `GET /api/requests` (`{data: [rows]}`), a JSON array of
// rows, or JSONL with one row per line. Each row is replayed as a request of its recorded model,
// tenant, tags and token sizes. The ledger keeps no prompt text, so the prompt is synthetic: its
// cached part (cache reads + writes) is the start of one text shared by the row's tenant and
// model, and the rest is the row's own, so prefix reuse on a route is roughly what was observed.
// Rows of batch items are sent with `x-costwise-defer: 24h`, so they run in a batch again. Rows
// that are not requests of their own (sub-calls, storage charges), response-cache hits (the
// ledger keeps no size for them), failures and embeddings are skipped, each with its reason.
import { z } from 'zod';
import { BlockTexts, synthText } from '../synth.js';
import { SyntheticChat } from '../synthetic.js';
import type { Trace, TraceProblem, TraceRequest } from '../types.js';
import { isRecord, numberedLines, parseJsonLine } from './lines.js';

const count = z.number().int().nonnegative();
const rowSchema = z.object({
  requestId: z.string().optional(),
  ts: z.number().nonnegative(),
  tenant: z.string().default('default'),
  tags: z.array(z.string()).default([]),
  endpoint: z.string().default('/v1/chat/completions'),
  requestedModel: z.string().min(1),
  inputTokens: count,
  cacheReadTokens: count.default(0),
  cacheWrite5mTokens: count.default(0),
  cacheWrite1hTokens: count.default(0),
  outputTokens: count,
  status: z.number().int().default(200),
  parentId: z.string().nullable().default(null),
  cache: z.string().nullable().default(null),
});

type Row = z.infer<typeof rowSchema>;

const CHAT_ENDPOINTS = new Set(['/v1/chat/completions', '/v1/messages']);
/** Rows of batch items: replayed as deferred requests, so they run in batches again. */
const BATCH_ENDPOINTS = new Set(['/v1/batches', '/v1/messages/batches']);

function skipReason(row: Row): string | null {
  if (row.parentId !== null) return `billed on behalf of ${row.parentId} (replaying that request re-creates it)`;
  if (row.cache?.startsWith('hit')) return `response-cache ${row.cache}: the ledger keeps no prompt size for it`;
  if (row.status !== 200) return `failed request (status ${row.status})`;
  if (!CHAT_ENDPOINTS.has(row.endpoint) && !BATCH_ENDPOINTS.has(row.endpoint)) return `not a chat request (${row.endpoint})`;
  return null;
}

/** Entries of the file with their line (JSONL) or 1-based position in the array (JSON). */
function entries(text: string): Array<{ line: number; value: unknown } | { line: number; error: string }> {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[') || (trimmed.startsWith('{') && /^\{\s*"(data|limit|offset|has_more)"/.test(trimmed))) {
    const doc = parseJsonLine(text);
    if ('error' in doc) return [{ line: 1, error: doc.error }];
    const list: unknown[] | null = Array.isArray(doc.value) ? doc.value : isRecord(doc.value) && Array.isArray(doc.value['data']) ? doc.value['data'] : null;
    if (!list) return [{ line: 1, error: 'expected {"data": [ledger rows]} or an array of rows' }];
    return list.map((value, i) => ({ line: i + 1, value }));
  }
  return numberedLines(text).map(({ line, text: raw }) => {
    const parsed = parseJsonLine(raw);
    return 'error' in parsed ? { line, error: parsed.error } : { line, value: parsed.value };
  });
}

export function readLedgerExport(text: string): Trace {
  const prefixes = new BlockTexts();
  const chats = new Map<string, SyntheticChat>();
  const chatFor = (model: string) => chats.get(model) ?? chats.set(model, new SyntheticChat(model)).get(model)!;
  const broken: TraceProblem[] = [];
  const skipped: TraceProblem[] = [];
  const requests: TraceRequest[] = [];
  for (const entry of entries(text)) {
    if ('error' in entry) {
      broken.push({ line: entry.line, reason: entry.error });
      continue;
    }
    const parsed = rowSchema.safeParse(entry.value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      broken.push({ line: entry.line, reason: `${issue?.path.join('.') || 'row'}: ${issue?.message ?? 'invalid'}` });
      continue;
    }
    const row = parsed.data;
    const skip = skipReason(row);
    if (skip) {
      skipped.push({ line: entry.line, reason: skip });
      continue;
    }
    const line = entry.line;
    requests.push({
      line,
      ts: row.ts,
      build: () => {
        const chat = chatFor(row.requestedModel);
        const cached = row.cacheReadTokens + row.cacheWrite5mTokens + row.cacheWrite1hTokens;
        const text = chat.textTokens(cached + row.inputTokens);
        // At least one token of the row's own text, so no two rows' prompts are identical.
        const shared = Math.min(cached, text - 1);
        const parts = shared > 0 ? [prefixes.get(`ledger:${row.tenant}:${row.requestedModel}`, shared, shared)] : [];
        parts.push(synthText(`ledger-row:${row.requestId ?? line}`, text - shared));
        const wire = chat.request({ parts, outputTokens: row.outputTokens, tenant: row.tenant, tags: row.tags });
        if (BATCH_ENDPOINTS.has(row.endpoint)) wire.headers['x-costwise-defer'] = '24h';
        return wire;
      },
    });
  }
  return { format: 'ledger', requests, broken, skipped };
}
