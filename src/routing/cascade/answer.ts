// Reading the cheap model's answer: its text, its JSON and the numbers it reports about itself.
import type { CanonicalResponse, ToolCallPart } from '../../core/canonical.js';

export function answerText(response: CanonicalResponse): string {
  let text = '';
  for (const part of response.content) if (part.type === 'text') text += part.text;
  return text;
}

export function toolCalls(response: CanonicalResponse): ToolCallPart[] {
  return response.content.filter((p): p is ToolCallPart => p.type === 'tool_call');
}

const WHOLE_FENCE = /^```(?:[\w+-]*[ \t]*\r?\n|[ \t]*)([\s\S]*?)\s*```$/;
const ANY_FENCE = /```[\w+-]*[ \t]*\r?\n([\s\S]*?)```/;

/** The answer without surrounding whitespace and, when the whole answer is one code fence, the fence. */
export function stripFences(text: string): string {
  const trimmed = text.trim();
  return WHOLE_FENCE.exec(trimmed)?.[1] ?? trimmed;
}

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

export function parseJson(text: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, error: err instanceof SyntaxError ? err.message : 'invalid JSON' };
  }
}

/** A number as the model wrote it: 0.72, 72% or 7/10. */
export interface Reading {
  value: number;
  percent: boolean;
  outOf?: number;
}

/** On a 0..1 scale: a percentage, a fraction, or a bare number above 1 read as a percentage. */
export function toUnit(r: Reading): number {
  if (r.percent) return r.value / 100;
  if (r.outOf !== undefined) return r.value / r.outOf;
  return r.value > 1 ? r.value / 100 : r.value;
}

const NUMBER = String.raw`(-?\d+(?:\.\d+)?|-?\.\d+)\s*(%|/\s*(\d+(?:\.\d+)?))?`;
const WHOLE_NUMBER = new RegExp(`^\\s*${NUMBER}\\s*$`);

function reading(m: RegExpExecArray | RegExpMatchArray): Reading | undefined {
  const value = Number(m[1]);
  if (!Number.isFinite(value)) return undefined;
  const outOf = m[3] === undefined ? undefined : Number(m[3]);
  return { value, percent: m[2] === '%', ...(outOf !== undefined && outOf > 0 ? { outOf } : {}) };
}

function fromJsonValue(v: unknown): Reading | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? { value: v, percent: false } : undefined;
  if (typeof v !== 'string') return undefined;
  const m = WHOLE_NUMBER.exec(v);
  return m ? reading(m) : undefined;
}

function lookup(value: unknown, field: string): unknown {
  if (!isRecord(value)) return undefined;
  if (Object.hasOwn(value, field)) return value[field];
  let at: unknown = value;
  for (const key of field.split('.')) {
    if (!isRecord(at) || !Object.hasOwn(at, key)) return undefined;
    at = at[key];
  }
  return at;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON objects the answer may carry: all of it, a fenced block inside prose, or the outermost braces. */
function jsonCandidates(text: string): unknown[] {
  const sources = [stripFences(text)];
  const fenced = ANY_FENCE.exec(text)?.[1];
  if (fenced !== undefined) sources.push(fenced);
  const open = text.indexOf('{');
  const close = text.lastIndexOf('}');
  if (open >= 0 && close > open) sources.push(text.slice(open, close + 1));
  const out: unknown[] = [];
  for (const s of new Set(sources)) {
    const parsed = parseJson(s);
    if (parsed.ok && isRecord(parsed.value)) out.push(parsed.value);
  }
  return out;
}

const linePatterns = new Map<string, RegExp>();

/** "Score: 7", "**Confidence:** 72%", "- score = 0.4"; bounded by the configured field names. */
function linePattern(field: string): RegExp {
  let re = linePatterns.get(field);
  if (re === undefined) {
    const name = field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    re = new RegExp(String.raw`^[ \t>*_#-]*["']?${name}["']?[ \t*_]*[:=][ \t*_]*${NUMBER}`, 'gim');
    linePatterns.set(field, re);
  }
  return re;
}

/**
 * The number the answer reports under `field`: a JSON field first, else the LAST "field: n" line
 * (models restate a provisional figure before the final one).
 */
export function readNumber(text: string, field: string): Reading | undefined {
  for (const candidate of jsonCandidates(text)) {
    const r = fromJsonValue(lookup(candidate, field));
    if (r !== undefined) return r;
  }
  let last: Reading | undefined;
  for (const m of text.matchAll(linePattern(field))) last = reading(m) ?? last;
  return last;
}
