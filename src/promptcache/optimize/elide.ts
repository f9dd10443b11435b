// Opt-in elision of old tool results: each tool result but those of the last `keepSteps`
// tool-result turns is replaced by a short stub saying what was removed. Lossy, so only on request
// (`promptOptimization: {elideToolResults: {olderThanSteps}}`), and only when the elision gate
// (elision-gate.ts) says the tokens removed outweigh the cache reads the edit forfeits.
import type { CanonicalMessage, CanonicalRequest, ContentPart, ToolResultPart } from '../../core/canonical.js';

export interface Elision {
  request: CanonicalRequest;
  /** Tokens removed (elided text minus stubs). */
  removedTokens: number;
  /** Tokens before the first elided result (system, tools and messages before it). */
  firstEditAt: number;
  elided: number;
}

export function elideOldToolResults(req: CanonicalRequest, keepSteps: number, count: (text: string) => number): Elision | undefined {
  const turns: number[] = [];
  req.messages.forEach((m, i) => {
    if (m.role === 'user' && m.content.some((p) => p.type === 'tool_result')) turns.push(i);
  });
  const old = new Set(turns.slice(0, Math.max(0, turns.length - keepSteps)));
  if (old.size === 0) return undefined;
  let removed = 0;
  let elided = 0;
  let firstEditAt = -1;
  let offset = 0;
  for (const t of req.system) offset += count(t.text);
  for (const tool of req.tools ?? []) offset += count(JSON.stringify(tool));
  const messages = req.messages.map((m, i): CanonicalMessage => {
    if (!old.has(i)) {
      if (firstEditAt < 0) for (const p of m.content) offset += count(partText(p));
      return m;
    }
    const content = m.content.map((p): ContentPart => {
      if (p.type !== 'tool_result') return p;
      const text = partText(p);
      const tokens = count(text);
      const stub = `[tool result elided by costwise: ${tokens} tokens]`;
      const saved = tokens - count(stub);
      if (saved <= 0) return p;
      if (firstEditAt < 0) firstEditAt = offset;
      removed += saved;
      elided++;
      const out: ToolResultPart = { type: 'tool_result', toolCallId: p.toolCallId, content: [{ type: 'text', text: stub }] };
      if (p.isError !== undefined) out.isError = p.isError;
      return out;
    });
    if (firstEditAt < 0) for (const p of m.content) offset += count(partText(p));
    return { ...m, content };
  });
  if (elided === 0) return undefined;
  return { request: { ...req, messages }, removedTokens: removed, firstEditAt, elided };
}

/** The text of a part as the token counts of elide.ts, cap-message.ts and history-budget.ts see it. */
export function partText(p: ContentPart): string {
  switch (p.type) {
    case 'text':
    case 'thinking':
      return p.text;
    case 'tool_call':
      return p.name + p.arguments;
    case 'tool_result':
      return p.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
    default:
      return '';
  }
}
