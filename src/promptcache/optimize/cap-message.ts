// Opt-in cap on one message's size: a text or tool result above `maxTokens` keeps its first and
// last halves of the budget, with a note of what was cut between them. The last message (the one
// being answered) is never cut. Lossy and deterministic, and applied only when the elision gate
// says it pays, like elide.ts.
import type { CanonicalMessage, CanonicalRequest, ContentPart, TextPart } from '../../core/canonical.js';
import type { Elision } from './elide.js';

export function capMessageTokens(req: CanonicalRequest, maxTokens: number, count: (text: string) => number): Elision | undefined {
  // Written by `cap` as it walks the prompt in order.
  const st = { removed: 0, capped: 0, firstEditAt: -1, offset: 0 };
  for (const t of req.system) st.offset += count(t.text);
  for (const tool of req.tools ?? []) st.offset += count(JSON.stringify(tool));
  const cap = (p: TextPart): TextPart => {
    const tokens = count(p.text);
    if (st.firstEditAt < 0) st.offset += tokens;
    if (tokens <= maxTokens) return p;
    const keep = Math.floor((p.text.length * maxTokens) / (2 * tokens));
    const text = `${p.text.slice(0, keep)}\n[… ${tokens - maxTokens} tokens cut by costwise …]\n${p.text.slice(p.text.length - keep)}`;
    const saved = tokens - count(text);
    if (saved <= 0) return p;
    if (st.firstEditAt < 0) st.firstEditAt = st.offset - tokens;
    st.removed += saved;
    st.capped++;
    return { ...p, text };
  };
  const last = req.messages.length - 1;
  const messages = req.messages.map((m, i): CanonicalMessage => {
    if (i === last) return m;
    const content = m.content.map((p): ContentPart => {
      if (p.type === 'text') return cap(p);
      if (p.type !== 'tool_result') return p;
      const inner = p.content.map((c) => (c.type === 'text' ? cap(c) : c));
      return inner.some((c, k) => c !== p.content[k]) ? { ...p, content: inner } : p;
    });
    return content.some((p, k) => p !== m.content[k]) ? { ...m, content } : m;
  });
  if (st.capped === 0) return undefined;
  return { request: { ...req, messages }, removedTokens: st.removed, firstEditAt: st.firstEditAt, elided: st.capped };
}
