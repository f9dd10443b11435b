// Agent-aware reuse: will this conversation send another request that extends the prompt, and
// when? The gateway sees what a trace does not — the stop reason of the previous response (an
// agent loop answers `tool_use` within seconds), and who the conversation is. Requests are put in
// classes by that signal; per class, the model counts how often the conversation's next request
// came within 5 minutes and within an hour, and that share is a floor under the planner's
// expected reads of the whole prompt. A conversation whose own turns come more than 5 minutes
// apart gets no 5m credit (its 5m entries would expire), so the planner picks 1h for it.
import { TTL_MS, type Ttl } from './cost-model.js';

/** `loop`: the previous response asked for a tool (tool_use, tool_calls, pause_turn); `turn`: it ended. */
export type ContinuationClass = 'loop' | 'turn';

export interface ArrivalSignal {
  /** Conversation identity (prompt_cache_key, metadata.user_id, x-costwise-session, prefix lineage). */
  conversation: string;
  /** The previous response's stop reason in this conversation, when known. */
  previousStop?: string | undefined;
  now: number;
}

const LOOP_STOPS = new Set(['tool_use', 'tool_calls', 'pause_turn']);

interface Counts {
  n: number;
  within: Record<Ttl, number>;
}

interface Open {
  klass: ContinuationClass | undefined;
  at: number;
  /** The gap before this request, when the conversation had one. */
  gap: number | undefined;
}

/** Beta(1, 1)-like prior: an unknown class starts at one half. */
const PRIOR: Counts = { n: 2, within: { '5m': 1, '1h': 1 } };

export class ContinuationModel {
  private readonly counts = new Map<ContinuationClass, Counts>();
  private readonly open = new Map<string, Open>();
  /** Conversations by arrival time, to count the ones that never came back (FIFO; stale entries skipped). */
  private readonly queue: Array<{ conversation: string; at: number }> = [];
  private head = 0;

  constructor(private readonly maxConversations = 200_000) {}

  /**
   * Records the arrival and returns the floor for the expected reads of this request's prompt by
   * the conversation's next request; undefined when the request carries no signal.
   */
  arrive(s: ArrivalSignal): Readonly<Record<Ttl, number>> | undefined {
    this.expire(s.now);
    const prev = this.open.get(s.conversation);
    let gap: number | undefined;
    if (prev) {
      gap = s.now - prev.at;
      if (prev.klass) this.count(prev.klass, gap);
    }
    const klass = s.previousStop === undefined ? undefined : LOOP_STOPS.has(s.previousStop) ? 'loop' : 'turn';
    this.open.set(s.conversation, { klass, at: s.now, gap });
    this.queue.push({ conversation: s.conversation, at: s.now });
    if (this.open.size > this.maxConversations) this.dropOldest();
    if (!klass) return undefined;
    const c = this.counts.get(klass) ?? PRIOR;
    const slow = gap !== undefined && gap >= TTL_MS['5m'];
    return { '5m': slow ? 0 : c.within['5m'] / c.n, '1h': c.within['1h'] / c.n };
  }

  private count(klass: ContinuationClass, gap: number): void {
    let c = this.counts.get(klass);
    if (!c) this.counts.set(klass, (c = { n: PRIOR.n, within: { ...PRIOR.within } }));
    c.n++;
    if (gap < TTL_MS['5m']) c.within['5m']++;
    if (gap < TTL_MS['1h']) c.within['1h']++;
  }

  /** A conversation silent for an hour did not continue within either TTL. */
  private expire(now: number): void {
    while (this.head < this.queue.length && now - this.queue[this.head]!.at >= TTL_MS['1h']) {
      const { conversation, at } = this.queue[this.head++]!;
      const o = this.open.get(conversation);
      if (o && o.at === at) {
        if (o.klass) this.count(o.klass, Infinity);
        this.open.delete(conversation);
      }
    }
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }

  private dropOldest(): void {
    const first = this.open.keys().next();
    if (!first.done) this.open.delete(first.value);
  }
}
