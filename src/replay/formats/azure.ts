// Azure LLM inference traces (Azure/AzurePublicDataset, Splitwise): CSV with
// `TIMESTAMP, ContextTokens, GeneratedTokens`. The trace records sizes only, so every prompt is a
// distinct synthetic text of ContextTokens tokens: no two requests share a prefix, as nothing in
// the trace says they did.
import { synthText } from '../synth.js';
import type { SyntheticChat } from '../synthetic.js';
import type { Trace, TraceProblem, TraceRequest } from '../types.js';
import { numberedLines } from './lines.js';

const STAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?Z?$/;

/** `2023-11-16 18:17:03.9799600` (UTC) → epoch ms, or null. */
export function parseAzureTimestamp(s: string): number | null {
  const m = STAMP.exec(s);
  if (!m) return null;
  const [, y, mo, d, h, mi, sec, frac] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec), Number((frac ?? '').padEnd(3, '0').slice(0, 3)));
  const back = new Date(ms);
  // Date.UTC rolls 2023-02-30 over to March; refuse instead.
  if (back.getUTCMonth() !== Number(mo) - 1 || back.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) return null;
  return ms;
}

function count(s: string | undefined, name: string, min: number): number | string {
  const n = Number(s);
  if (s === undefined || s.trim() === '' || !Number.isInteger(n)) return `${name} is not an integer: "${s ?? ''}"`;
  if (n < min) return `${name} must be at least ${min}, got ${n}`;
  return n;
}

type Row = { ts: number; context: number; generated: number };

function parseRow(cells: string[], at: { ts: number; context: number; generated: number }): Row | string {
  const ts = parseAzureTimestamp(cells[at.ts]!.trim());
  if (ts === null) return `TIMESTAMP is not "YYYY-MM-DD HH:MM:SS[.fraction]": "${cells[at.ts]}"`;
  const context = count(cells[at.context], 'ContextTokens', 1);
  if (typeof context === 'string') return context;
  const generated = count(cells[at.generated], 'GeneratedTokens', 0);
  if (typeof generated === 'string') return generated;
  return { ts, context, generated };
}

export function readAzureTrace(text: string, chat: SyntheticChat): Trace {
  const lines = numberedLines(text);
  const broken: TraceProblem[] = [];
  const requests: TraceRequest[] = [];
  const header = lines.shift();
  const cols = header?.text.split(',').map((c) => c.trim().toLowerCase()) ?? [];
  const at = { ts: cols.indexOf('timestamp'), context: cols.indexOf('contexttokens'), generated: cols.indexOf('generatedtokens') };
  if (!header || at.ts < 0 || at.context < 0 || at.generated < 0) {
    broken.push({ line: header?.line ?? 1, reason: 'header must name TIMESTAMP, ContextTokens and GeneratedTokens' });
    return { format: 'azure', requests, broken, skipped: [] };
  }
  for (const { line, text: raw } of lines) {
    const cells = raw.split(',');
    const row = cells.length === cols.length ? parseRow(cells, at) : `expected ${cols.length} columns, got ${cells.length}`;
    if (typeof row === 'string') {
      broken.push({ line, reason: row });
      continue;
    }
    requests.push({
      line,
      ts: row.ts,
      build: () => chat.request({ parts: [synthText(`azure:${line}`, chat.textTokens(row.context))], outputTokens: row.generated }),
    });
  }
  return { format: 'azure', requests, broken, skipped: [] };
}
