// Merging another replica's planner events: the wire format round-trips and refuses what would
// break the tracker; a replica that merged another's arrivals and writes sees the prefix as
// recurring and cached; merging as it happens makes exactly the decisions of one planner that saw
// everything; an event merged after a later local arrival never yields a negative gap.
import { describe, expect, it } from 'vitest';
import { AutoCachePlanner } from '../../src/promptcache/auto.js';
import { replayReplicas } from '../../src/promptcache/eval/replicas.js';
import { replayTrace } from '../../src/promptcache/eval/replay.js';
import { decodeEvents, encodeEvents, type PlannerEvent } from '../../src/promptcache/observations.js';
import { PrefixStats } from '../../src/promptcache/prefix-stats.js';
import type { TraceRequest } from '../../src/promptcache/trace.js';
import { blocks, SONNET } from './helpers.js';

const MODEL = 'claude-sonnet-4-5';
const plan = (p: AutoCachePlanner, b = blocks(8, 512), now = 0) =>
  p.plan({ namespace: 'ns', model: MODEL, blocks: b, pricing: SONNET, minCacheableTokens: 1024, mode: 'auto', now });

describe('planner events on the wire', () => {
  it('round-trip: arrivals and sent requests with their breakpoints', () => {
    const b = blocks(3, 700);
    const events: PlannerEvent[] = [
      { kind: 'arrival', namespace: 'd|t', blocks: b, at: 5 },
      {
        kind: 'sent',
        namespace: 'd|t',
        model: MODEL,
        blocks: b,
        breakpoints: [
          { blockIndex: 1, ttl: '1h' },
          { blockIndex: 2, ttl: '5m' },
        ],
        at: 7,
      },
    ];
    expect(decodeEvents(encodeEvents(events))).toEqual(events);
  });

  it('skips what is malformed or would break the provider rules, keeps the rest', () => {
    const b = blocks(3, 700);
    const good: PlannerEvent = { kind: 'arrival', namespace: 'n', blocks: b, at: 1 };
    const sent = (breakpoints: Array<[number, 0 | 1]>) => ['s', 'n', 1, b.map((x) => [x.hash, x.tokens, 1]), MODEL, breakpoints];
    const bad = [
      'junk',
      ['a', 'n', 'not-a-time', []],
      ['a', 'n', 1, [['h', -1, 1]]],
      sent([[3, 0]]), // no block 3
      sent([
        [0, 0],
        [1, 1],
      ]), // a 1h marker after a 5m one
      sent([]), // a sent request without breakpoints writes nothing
      sent([
        [0, 0],
        [1, 0],
        [2, 0],
        [2, 0],
        [2, 0],
      ]),
    ];
    const text = JSON.stringify([...bad, (JSON.parse(encodeEvents([good])) as unknown[])[0]]);
    expect(decodeEvents(text)).toEqual([good]);
    expect(decodeEvents('{not json')).toEqual([]);
  });
});

describe('merging into AutoCachePlanner', () => {
  function pair(): { a: AutoCachePlanner; b: AutoCachePlanner; fromA: PlannerEvent[] } {
    const fromA: PlannerEvent[] = [];
    return { a: new AutoCachePlanner({ publish: (e) => fromA.push(e) }), b: new AutoCachePlanner(), fromA };
  }

  it('a prefix another replica sent twice and wrote is recurring and cached for this one; alone it is new', () => {
    const { a, b, fromA } = pair();
    const prompt = blocks(8, 512);
    for (const t of [0, 10_000]) plan(a, prompt, t).commit();
    expect(fromA.map((e) => e.kind)).toEqual(['arrival', 'sent', 'arrival', 'sent']);
    // The sent event stops at the last breakpoint: what follows is not in the cache.
    const sent = fromA[1] as Extract<PlannerEvent, { kind: 'sent' }>;
    expect(sent.blocks.length).toBe(sent.breakpoints.at(-1)!.blockIndex + 1);

    const alone = plan(new AutoCachePlanner(), prompt, 20_000).plan;
    expect(alone).toMatchObject({ cachedTokens: 0, seen: 1 });

    for (const e of decodeEvents(encodeEvents(fromA))) b.merge(e);
    const merged = plan(b, prompt, 20_000).plan;
    expect(merged.seen).toBe(3);
    expect(merged.cachedTokens).toBe(sent.breakpoints.at(-1)!.blockIndex * 512 + 512);
    expect(merged.reason).toMatch(/^read cached prefix/);
  });

  it('merge never re-publishes', () => {
    const out: PlannerEvent[] = [];
    const b = new AutoCachePlanner({ publish: (e) => out.push(e) });
    b.merge({ kind: 'arrival', namespace: 'ns', blocks: blocks(4, 512), at: 0 });
    expect(out).toEqual([]);
  });

  it('an arrival merged after a later local one counts as simultaneous, never as a negative gap', () => {
    const stats = new PrefixStats();
    const b = blocks(4, 512);
    stats.observe('ns', b, 60_000);
    stats.observe('ns', b, 59_800); // another replica's, 200 ms older, merged late
    stats.observe('ns', b, 120_000);
    const r = stats.reuseOf('ns', b[3]!.hash);
    expect(r.arrivals).toBe(3);
    expect(r.meanInterArrivalMs).toBe(30_000); // gaps 0 and 60 s
  });
});

describe('replicas in the eval', () => {
  // One 4-block document asked about every 20 s; each replica alone sees it a third as often.
  const trace: TraceRequest[] = Array.from({ length: 30 }, (_, i) => ({
    timestamp: i * 20_000,
    inputLength: 2048 + 100,
    outputLength: 5,
    hashIds: [1, 2, 3, 4, 100 + i],
  }));
  const opts = { model: MODEL, pricing: SONNET, minCacheableTokens: 1024, mode: 'auto' as const };

  it('with no staleness, shared replicas decide exactly as one planner does, whatever the split', () => {
    const single = replayTrace(trace, opts).outcomes.planned.costPico;
    for (const assign of ['round-robin', 'sticky'] as const) {
      expect(replayReplicas(trace, { ...opts, replicas: 3, assign, sharing: 'shared', stalenessMs: 0 }).costPico).toBe(single);
    }
  });

  it('one replica alone is the single planner; isolated round-robin replicas pay more than shared ones', () => {
    const single = replayTrace(trace, opts).outcomes.planned.costPico;
    expect(replayReplicas(trace, { ...opts, replicas: 1, assign: 'round-robin', sharing: 'isolated', stalenessMs: 0 }).costPico).toBe(single);
    const isolated = replayReplicas(trace, { ...opts, replicas: 3, assign: 'round-robin', sharing: 'isolated', stalenessMs: 500 });
    const shared = replayReplicas(trace, { ...opts, replicas: 3, assign: 'round-robin', sharing: 'shared', stalenessMs: 500 });
    expect(shared.costPico).toBeLessThan(isolated.costPico);
    expect(shared.tokens.cacheRead).toBeGreaterThan(isolated.tokens.cacheRead);
  });
});
