// The check that a lossless rewrite kept the content: both requests reduced to their meaning —
// text without whitespace, JSON text as its parsed value, empty text parts and empty descriptions
// gone, tools as a set — must be deeply equal. It shares no code with the rewrite it checks.
import { isDeepStrictEqual } from 'node:util';
import type { CanonicalRequest } from '../../core/canonical.js';

export function losslessEquivalent(before: CanonicalRequest, after: CanonicalRequest): boolean {
  return isDeepStrictEqual(meaning(before), meaning(after));
}

function meaning(req: CanonicalRequest): unknown {
  const tools = new Map<string, unknown>();
  for (const t of req.tools ?? []) {
    const m = reduce(t);
    tools.set(JSON.stringify(m), m);
  }
  return {
    rest: reduce({ ...req, system: undefined, messages: undefined, tools: undefined }),
    tools: [...tools.keys()].sort(),
    system: reduce(req.system),
    messages: reduce(req.messages),
  };
}

function reduce(node: unknown): unknown {
  if (typeof node === 'string') return reduceText(node);
  if (Array.isArray(node)) return node.filter((v) => !isEmptyTextPart(v)).map(reduce);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (v === undefined || (k === 'description' && v === '')) continue;
    out[k] = reduce(v);
  }
  return out;
}

function isEmptyTextPart(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  const p = v as { type?: unknown; text?: unknown; cacheControl?: unknown };
  return p.type === 'text' && p.text === '' && p.cacheControl === undefined;
}

function reduceText(s: string): unknown {
  const t = s.trim();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      return { json: JSON.parse(t) as unknown };
    } catch {
      // not JSON: compared as text
    }
  }
  return s.replace(/\s+/g, '');
}
