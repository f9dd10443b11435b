// A seeded generator of agent traffic for evaluation (docs/prompt-optimisation.md#agent-trace):
// multi-step tool-using sessions in the Mooncake JSONL layout (trace.ts) plus `session_id` and the
// response's `stop_reason`.
//
// A session is one of three agents (shared tools + system prompt of 3.5k, 5k or 8k tokens), a
// task (150–900 tokens), then a tool loop: each response is a tool call (40–250 output tokens,
// stop `tool_use`) whose result (log-normal, median 900 tokens, capped at 24k) is appended before
// the next request, which follows after the model's latency (0.8 s + 15 ms per output token) and
// the tool's run time (log-normal, median 1.5 s, capped at 2 min). The loop has 1 + geometric
// (mean 6) steps and ends in a 150–600-token answer (stop `end_turn`). With probability 0.35 the
// user follows up, after a log-normal think time (median 4 min, so about 40% are over 5 minutes),
// with 30–300 tokens and another loop; at most twice. Sessions start as a Poisson process.
import { seededRandom } from '../../core/random.js';
import { MOONCAKE_BLOCK_TOKENS } from '../trace.js';

export interface AgentTraceOptions {
  seed: number;
  sessions: number;
  /** Mean gap between session starts (ms). */
  sessionGapMs?: number;
}

export interface AgentTraceLine {
  timestamp: number;
  input_length: number;
  output_length: number;
  hash_ids: number[];
  session_id: string;
  stop_reason: 'tool_use' | 'end_turn';
}

/** One piece of a session's prompt: content identified by `key`, `tokens` long. */
export interface Segment {
  key: string;
  tokens: number;
  role: 'system' | 'user' | 'assistant' | 'tool';
}

/** One request of a session: its prompt (segments in order) and the response it gets. */
export interface AgentRequest {
  session: string;
  timestamp: number;
  prompt: readonly Segment[];
  outputTokens: number;
  stopReason: 'tool_use' | 'end_turn';
}

const AGENT_PROMPT_TOKENS = [3500, 5000, 8000];

/** Every request of every session, sorted by time (segments describe content, not text). */
export function generateAgentSessions(opts: AgentTraceOptions): AgentRequest[] {
  const rand = seededRandom(opts.seed);
  const uniform = (lo: number, hi: number): number => Math.floor(lo + rand() * (hi - lo + 1));
  const logNormal = (median: number, sigma: number): number => median * Math.exp(sigma * gaussian(rand));
  const geometric = (mean: number): number => Math.floor(Math.log(1 - rand()) / Math.log(1 - 1 / mean));
  const out: AgentRequest[] = [];
  let start = 0;
  for (let s = 0; s < opts.sessions; s++) {
    start += -Math.log(1 - rand()) * (opts.sessionGapMs ?? 20_000);
    const session = `s${s}`;
    const agent = uniform(0, AGENT_PROMPT_TOKENS.length - 1);
    const prompt: Segment[] = [
      { key: `agent${agent}`, tokens: AGENT_PROMPT_TOKENS[agent]!, role: 'system' },
      { key: `${session}/task`, tokens: uniform(150, 900), role: 'user' },
    ];
    let t = start;
    for (let turn = 0; turn < 3; turn++) {
      const steps = 1 + geometric(6);
      for (let k = 0; k <= steps; k++) {
        const last = k === steps;
        const output = last ? uniform(150, 600) : uniform(40, 250);
        out.push({ session, timestamp: Math.round(t), prompt: prompt.slice(), outputTokens: output, stopReason: last ? 'end_turn' : 'tool_use' });
        prompt.push({ key: `${session}/${turn}/${k}/out`, tokens: output, role: 'assistant' });
        t += 800 + output * 15;
        if (last) break;
        prompt.push({ key: `${session}/${turn}/${k}/tool`, tokens: Math.min(24_000, Math.max(20, Math.round(logNormal(900, 1)))), role: 'tool' });
        t += Math.min(120_000, logNormal(1500, 1.2));
      }
      if (turn === 2 || rand() >= 0.35) break;
      t += logNormal(240_000, 0.9);
      prompt.push({ key: `${session}/${turn}/followup`, tokens: uniform(30, 300), role: 'user' });
    }
  }
  return out.sort((a, b) => a.timestamp - b.timestamp);
}

/** The sessions as Mooncake lines: equal hash ids for equal 512-token prefix blocks. */
export function agentTrace(opts: AgentTraceOptions): AgentTraceLine[] {
  const ids = new Map<string, number>();
  return generateAgentSessions(opts).map((r) => {
    const { inputLength, hashIds } = hashSegments(r.prompt, ids);
    return {
      timestamp: r.timestamp,
      input_length: inputLength,
      output_length: r.outputTokens,
      hash_ids: hashIds,
      session_id: r.session,
      stop_reason: r.stopReason,
    };
  });
}

/** A prompt's 512-token blocks, each named by an id interned in `ids` from its content and the block before it. */
export function hashSegments(prompt: readonly Segment[], ids: Map<string, number>): { inputLength: number; hashIds: number[] } {
  const hashIds: number[] = [];
  let key = '';
  let inBlock = 0;
  let total = 0;
  const close = (): void => {
    let id = ids.get(key);
    if (id === undefined) ids.set(key, (id = ids.size));
    hashIds.push(id);
    key = `${id}|`;
    inBlock = 0;
  };
  for (const seg of prompt) {
    let from = 0;
    while (from < seg.tokens) {
      const take = Math.min(seg.tokens - from, MOONCAKE_BLOCK_TOKENS - inBlock);
      key += `${seg.key}:${from}+${take};`;
      from += take;
      inBlock += take;
      total += take;
      if (inBlock === MOONCAKE_BLOCK_TOKENS) close();
    }
  }
  if (inBlock > 0) close();
  return { inputLength: total, hashIds };
}

/** Standard normal (Box–Muller). */
function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}
