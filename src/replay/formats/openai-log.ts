// OpenAI-format request logs: JSONL of `{timestamp, body, output_tokens?, tenant?, tags?}` where
// `body` is a Chat Completions request body, sent as recorded. `output_tokens` (the recorded
// completion length) is asked of the emulator; without it the emulator's seeded length is used.
// Only the envelope is checked here: a body the API would refuse is sent anyway and reported with
// the gateway's own error.
import type { Trace, TraceProblem, TraceRequest, WireRequest } from '../types.js';
import { isRecord, numberedLines, parseJsonLine } from './lines.js';
import { parseTimestamp } from './timestamps.js';

type Entry = { ts: number; request: WireRequest };

export function parseLogEntry(value: unknown): Entry | string {
  if (!isRecord(value)) return 'expected an object {timestamp, body}';
  const ts = parseTimestamp(value['timestamp']);
  if (typeof ts === 'string') return ts;
  const body = value['body'];
  if (!isRecord(body)) return 'body must be a Chat Completions request object';
  if (typeof body['model'] !== 'string' || body['model'] === '') return 'body.model must be a non-empty string';
  if (!Array.isArray(body['messages'])) return 'body.messages must be an array';
  const headers: Record<string, string> = {};
  const out = value['output_tokens'];
  if (out !== undefined) {
    if (typeof out !== 'number' || !Number.isInteger(out) || out < 0) return 'output_tokens must be a non-negative integer';
    headers['x-emulator-output-tokens'] = String(out);
  }
  if (value['tenant'] !== undefined) {
    if (typeof value['tenant'] !== 'string') return 'tenant must be a string';
    headers['x-costwise-tenant'] = value['tenant'];
  }
  if (value['tags'] !== undefined) {
    const tags = value['tags'];
    if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) return 'tags must be an array of strings';
    headers['x-costwise-tags'] = tags.join(',');
  }
  return { ts, request: { path: '/v1/chat/completions', body: JSON.stringify(body), headers } };
}

export function readOpenAILog(text: string): Trace {
  const broken: TraceProblem[] = [];
  const requests: TraceRequest[] = [];
  for (const { line, text: raw } of numberedLines(text)) {
    const parsed = parseJsonLine(raw);
    const entry = 'error' in parsed ? parsed.error : parseLogEntry(parsed.value);
    if (typeof entry === 'string') {
      broken.push({ line, reason: entry });
      continue;
    }
    requests.push({ line, ts: entry.ts, build: () => entry.request });
  }
  return { format: 'openai-log', requests, broken, skipped: [] };
}
