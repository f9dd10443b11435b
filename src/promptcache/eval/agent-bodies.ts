// The agent trace's sessions (agent-trace.ts) as OpenAI chat request bodies with text, for
// `costwise optimize eval`: tool results are JSON pretty-printed with two-space indents, as agent
// frameworks send them (JSON.stringify(x, null, 2), Python's json.dumps(indent=2)), except one in
// four, which is plain text (a file or a log); the system prompt, task and answers are prose.
// Sizes follow the segments' token counts roughly (about 4 characters a token).
import { seededRandom } from '../../core/random.js';
import { generateAgentSessions, type AgentTraceOptions, type Segment } from './agent-trace.js';

const WORDS = (
  'the agent must check each result before it answers and cite the source of every claim it makes ' +
  'when a tool fails retry once then explain what happened keep answers short use metric units ' +
  'booking flight hotel price refund policy customer order status shipping address invoice total'
).split(' ');

/** One OpenAI chat body per request of the first `opts.sessions` sessions, in arrival order. */
export function agentBodies(opts: AgentTraceOptions & { model: string }): Array<Record<string, unknown>> {
  const texts = new Map<string, string>();
  const textOf = (seg: Segment): string => {
    let t = texts.get(seg.key);
    if (t === undefined) texts.set(seg.key, (t = render(seg)));
    return t;
  };
  return generateAgentSessions(opts).map((r) => {
    const messages: Array<Record<string, unknown>> = [];
    let call = '';
    for (const seg of r.prompt) {
      if (seg.role === 'assistant') {
        call = `call_${fnv(seg.key).toString(36)}`;
        const args = JSON.stringify({ query: textOf(seg).slice(0, 60), limit: 10 }, null, 2);
        messages.push({ role: 'assistant', content: null, tool_calls: [{ id: call, type: 'function', function: { name: 'lookup', arguments: args } }] });
      } else if (seg.role === 'tool') messages.push({ role: 'tool', tool_call_id: call, content: textOf(seg) });
      else messages.push({ role: seg.role, content: textOf(seg) });
    }
    return { model: opts.model, messages, tools: TOOLS };
  });
}

const TOOLS = [
  {
    type: 'function',
    function: {
      name: 'lookup',
      description: 'Look up records by a free-text query.',
      parameters: { type: 'object', properties: { query: { type: 'string' }, limit: { type: 'integer' } }, required: ['query'] },
    },
  },
];

function render(seg: Segment): string {
  const rand = seededRandom(fnv(seg.key));
  const chars = seg.tokens * 4;
  if (seg.role !== 'tool' || rand() < 0.25) return prose(rand, chars);
  const records: unknown[] = [];
  let size = 0;
  for (let i = 0; size < chars; i++) {
    const rec = {
      id: `rec_${i}_${Math.floor(rand() * 1e6)}`,
      title: prose(rand, 40).trim(),
      score: Math.round(rand() * 1000) / 1000,
      price: { amount: Math.round(rand() * 50000) / 100, currency: 'EUR' },
      tags: [WORDS[Math.floor(rand() * WORDS.length)], WORDS[Math.floor(rand() * WORDS.length)]],
      available: rand() < 0.7,
      details: { summary: prose(rand, 80).trim(), updated_at: `2026-0${1 + Math.floor(rand() * 9)}-1${Math.floor(rand() * 9)}` },
    };
    records.push(rec);
    size += JSON.stringify(rec, null, 2).length;
  }
  return JSON.stringify({ status: 'ok', count: records.length, results: records }, null, 2);
}

function prose(rand: () => number, chars: number): string {
  let out = '';
  while (out.length < chars) out += WORDS[Math.floor(rand() * WORDS.length)]! + (rand() < 0.08 ? '.\n' : ' ');
  return out;
}

function fnv(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
