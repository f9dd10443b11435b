// Where a Gemini generateContent body splits into a cacheable prefix and a per-request tail.
//
// The prefix is everything a CachedContent can hold: systemInstruction, tools, toolConfig and the
// leading contents. Two candidates are offered, longest first:
//   full: the head plus every content before the LAST user turn (a replayed history, few-shot
//         examples, a document sent as an earlier turn); the tail is that last user turn onwards;
//   head: systemInstruction + tools + toolConfig only (a long system prompt in a conversation that
//         grows each turn); the tail is all contents.
// Work is done on the wire body the adapter already built, so the split can never disagree with
// what is sent. Keys hash the exact JSON of the prefix, scoped by provider and model.
import { createHash } from 'node:crypto';
import { countTextTokens } from '../../tokens/count.js';

export type GeminiBody = Record<string, unknown>;

/** What a CachedContent is created with (besides model and ttl). */
export interface CachedParts {
  systemInstruction?: unknown;
  tools?: unknown;
  toolConfig?: unknown;
  contents: unknown[];
}

export interface PrefixCandidate {
  kind: 'full' | 'head';
  key: string;
  parts: CachedParts;
  /** The contents still sent with the request when the cache is used (never empty). */
  tail: unknown[];
  /** Local estimate; the provider's count comes back when the cache is created. */
  estimatedTokens: number;
}

const CACHE_OWNED = ['systemInstruction', 'tools', 'toolConfig'] as const;
const OWNED: ReadonlySet<string> = new Set(CACHE_OWNED);
/** Per-turn framing tokens in the estimate (role and separators). */
const TURN_OVERHEAD_TOKENS = 4;

/** Candidates, longest first; none when the caller already names its own cachedContent. */
export function prefixCandidates(body: GeminiBody, scope: string, model: string): PrefixCandidate[] {
  if (body.cachedContent !== undefined || body.cached_content !== undefined) return [];
  const contents = Array.isArray(body.contents) ? body.contents : [];
  if (contents.length === 0) return [];
  const head: CachedParts = { contents: [] };
  for (const field of CACHE_OWNED) if (body[field] !== undefined) head[field] = body[field];
  const headKey = sha256(JSON.stringify([scope, model, head.systemInstruction ?? null, head.tools ?? null, head.toolConfig ?? null]));
  const headTokens = estimateTokens(head, model);

  const out: PrefixCandidate[] = [];
  const split = lastUserTurn(contents);
  if (split > 0) {
    const leading = contents.slice(0, split);
    out.push({
      kind: 'full',
      key: sha256(`${headKey}|${JSON.stringify(leading)}`),
      parts: { ...head, contents: leading },
      tail: contents.slice(split),
      estimatedTokens: headTokens + estimateTokens({ contents: leading }, model),
    });
  }
  if (head.systemInstruction !== undefined || head.tools !== undefined) {
    out.push({ kind: 'head', key: headKey, parts: head, tail: contents, estimatedTokens: headTokens });
  }
  return out;
}

/** The body sent with a cache: the cache-owned fields removed, only the tail's contents. */
export function bodyUsingCache(body: GeminiBody, cacheName: string, tail: unknown[]): GeminiBody {
  return Object.fromEntries(Object.entries({ ...body, contents: tail, cachedContent: cacheName }).filter(([field]) => !OWNED.has(field)));
}

function lastUserTurn(contents: unknown[]): number {
  for (let i = contents.length - 1; i >= 0; i--) {
    const c = contents[i];
    if (typeof c === 'object' && c !== null && (c as { role?: unknown }).role === 'user') return i;
  }
  return -1;
}

function estimateTokens(parts: CachedParts, model: string): number {
  let n = 0;
  const text = (s: string): void => {
    n += countTextTokens(s, model);
  };
  const partsOf = (c: unknown): unknown[] => {
    const p = typeof c === 'object' && c !== null ? (c as { parts?: unknown }).parts : undefined;
    return Array.isArray(p) ? p : [];
  };
  const part = (p: unknown): void => {
    const t = typeof p === 'object' && p !== null ? (p as { text?: unknown }).text : undefined;
    text(typeof t === 'string' ? t : JSON.stringify(p));
  };
  if (parts.systemInstruction !== undefined) {
    n += TURN_OVERHEAD_TOKENS;
    partsOf(parts.systemInstruction).forEach(part);
  }
  if (parts.tools !== undefined) text(JSON.stringify(parts.tools));
  if (parts.toolConfig !== undefined) text(JSON.stringify(parts.toolConfig));
  for (const c of parts.contents) {
    n += TURN_OVERHEAD_TOKENS;
    partsOf(c).forEach(part);
  }
  return n;
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
