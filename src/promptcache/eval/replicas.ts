// Several gateway replicas in front of one provider cache: the trace's requests are split over
// `replicas` planners (round-robin, or sticky by the request's first prompt block, the nearest
// thing to a session a Mooncake trace has), all priced against ONE emulator cache, as replicas
// sharing an API key share Anthropic's cache. Each replica plans from
//   isolated — only its own arrivals and sends;
//   stats    — plus the others' arrivals (PrefixStats), `stalenessMs` late;
//   tracker  — plus the others' sent breakpoints (CacheTracker), `stalenessMs` late;
//   shared   — both, `stalenessMs` late (what ../shared-redis.ts does over Redis).
// A merged event is applied before the first decision at or after its time + stalenessMs, so
// with stalenessMs = 0 `shared` makes exactly the decisions of one planner seeing everything.
import { AutoCachePlanner } from '../auto.js';
import type { PromptBlock } from '../blocks.js';
import type { PlannerEvent } from '../observations.js';
import { PrefixStats } from '../prefix-stats.js';
import type { TraceRequest } from '../trace.js';
import { blocksOfTraceRequest } from '../trace.js';
import { plannerPolicy, simulate, type PolicyOutcome, type ReplayOptions } from './replay.js';

export type Assignment = 'round-robin' | 'sticky';
export type Sharing = 'isolated' | 'stats' | 'tracker' | 'shared';
export const SHARINGS: readonly Sharing[] = ['isolated', 'stats', 'tracker', 'shared'];

export interface ReplicaOptions extends ReplayOptions {
  replicas: number;
  assign: Assignment;
  sharing: Sharing;
  stalenessMs: number;
}

interface Logged {
  origin: number;
  visibleAt: number;
  event: PlannerEvent;
}

const shares = (sharing: Sharing, e: PlannerEvent): boolean =>
  sharing === 'shared' || (sharing === 'stats' && e.kind === 'arrival') || (sharing === 'tracker' && e.kind === 'sent');

function fnv1a(n: number): number {
  let h = 0x811c9dc5;
  const s = String(n);
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Replica of each request, in trace order. */
export function assignReplicas(trace: readonly TraceRequest[], replicas: number, assign: Assignment): number[] {
  return trace.map((r, i) => (assign === 'round-robin' ? i % replicas : fnv1a(r.hashIds[0]!) % replicas));
}

export function replayReplicas(trace: readonly TraceRequest[], opts: ReplicaOptions): PolicyOutcome {
  const arrivals = trace.map((r) => ({ blocks: blocksOfTraceRequest(r), time: r.timestamp }));
  const owner = assignReplicas(trace, opts.replicas, opts.assign);
  const log: Logged[] = [];
  const cursors = new Array<number>(opts.replicas).fill(0);
  const planners = Array.from(
    { length: opts.replicas },
    (_, origin) =>
      new AutoCachePlanner({
        reuse: new PrefixStats(),
        publish: (event) => {
          if (shares(opts.sharing, event)) log.push({ origin, visibleAt: event.at + opts.stalenessMs, event });
        },
      }),
  );
  const decide = planners.map((p) => plannerPolicy(p, opts));
  let k = 0;
  return simulate(arrivals, opts, (blocks: readonly PromptBlock[], now: number) => {
    const r = owner[k++]!;
    const planner = planners[r]!;
    // Events become visible in log order; a late one holds back those after it, as a stream does.
    let c = cursors[r]!;
    for (; c < log.length && log[c]!.visibleAt <= now; c++) if (log[c]!.origin !== r) planner.merge(log[c]!.event);
    cursors[r] = c;
    return decide[r]!(blocks, now);
  });
}
