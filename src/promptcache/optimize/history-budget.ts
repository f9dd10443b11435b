// Opt-in token budget for the whole prompt: the system prompt, the tools, the first message (the
// task) and the last turns are kept; the oldest messages between them are dropped until the prompt
// fits `maxTokens`, with a note of what was dropped appended to the first message. Lossy and
// deterministic, and applied only when the elision gate says it pays, like elide.ts.
//
// The kept tail always starts at an assistant message, so roles still alternate and every tool
// result kept still follows the tool call it answers. When no cut fits the budget, the most that
// can be dropped is (the first message and the last turn stay whatever their size).
import type { CanonicalMessage, CanonicalRequest } from '../../core/canonical.js';
import { partText, type Elision } from './elide.js';

export function keepHistoryBudget(req: CanonicalRequest, maxTokens: number, count: (text: string) => number): Elision | undefined {
  const { messages } = req;
  const first = messages[0];
  if (first === undefined || messages.length < 4) return undefined;
  let head = 0;
  for (const t of req.system) head += count(t.text);
  for (const tool of req.tools ?? []) head += count(JSON.stringify(tool));
  const sizes = messages.map((m) => m.content.reduce((n, p) => n + count(partText(p)), 0));
  const total = sizes.reduce((a, b) => a + b, head);
  if (total <= maxTokens) return undefined;
  // Cut points: drop messages [1, k) where messages[k] is an assistant message before the last one.
  let dropped = 0;
  let cut = -1;
  let cutDropped = 0;
  for (let k = 2; k < messages.length - 1; k++) {
    dropped += sizes[k - 1]!;
    if (messages[k]!.role !== 'assistant') continue;
    cut = k;
    cutDropped = dropped;
    if (total - dropped + count(note(k - 1, dropped)) <= maxTokens) break;
  }
  if (cut < 0) return undefined;
  const stub = note(cut - 1, cutDropped);
  const removed = cutDropped - count(stub);
  if (removed <= 0) return undefined;
  const noted: CanonicalMessage = { ...first, content: [...first.content, { type: 'text', text: stub }] };
  return {
    request: { ...req, messages: [noted, ...messages.slice(cut)] },
    removedTokens: removed,
    firstEditAt: head + sizes[0]!,
    elided: cut - 1,
  };
}

function note(messages: number, tokens: number): string {
  return `[${messages} earlier messages (${tokens} tokens) dropped by costwise to keep the history budget]`;
}
