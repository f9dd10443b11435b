// RedisPlannerSync on a real Redis (a stream under a prefix of its own): one replica's events
// reach the other within a second and never come back to their sender; publishing never waits on
// Redis, and a Redis that is down loses events (counted), never a request, nor a prompt shutdown.
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeEvents, type PlannerEvent } from '../../src/promptcache/observations.js';
import { RedisPlannerSync } from '../../src/promptcache/shared-redis.js';
import { dropPrefix, redisAvailable, REDIS_URL, uniquePrefix } from '../governance/helpers.js';
import { blocks } from './helpers.js';

const HAS_REDIS = await redisAvailable('shared planner tests');

async function until(cond: () => boolean, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const arrival = (at: number, tag = 'p'): PlannerEvent => ({ kind: 'arrival', namespace: 'ns', blocks: blocks(3, 600, tag), at });

describe.runIf(HAS_REDIS)('RedisPlannerSync', () => {
  const prefix = uniquePrefix('planner');
  const syncs: RedisPlannerSync[] = [];
  const open = (key: string, opts: { flushMs?: number } = {}) => {
    const s = new RedisPlannerSync({ url: REDIS_URL, key: `${prefix}${key}`, flushMs: opts.flushMs ?? 50, log: () => {} });
    syncs.push(s);
    return s;
  };
  afterAll(async () => {
    await Promise.all(syncs.map((s) => s.close()));
    await dropPrefix(prefix);
  });

  it("two replicas: each merges the other's events in order, never its own, within a second", async () => {
    const a = open('two');
    const b = open('two');
    const atA: PlannerEvent[] = [];
    const atB: PlannerEvent[] = [];
    a.start((e) => atA.push(e));
    b.start((e) => atB.push(e));
    const now = Date.now();
    const sent: PlannerEvent = {
      kind: 'sent',
      namespace: 'ns',
      model: 'claude-sonnet-4-5',
      blocks: blocks(2, 600),
      breakpoints: [{ blockIndex: 1, ttl: '5m' }],
      at: now,
    };
    a.publish(arrival(now));
    a.publish(sent);
    b.publish(arrival(now + 1, 'q'));
    const started = Date.now();
    await until(() => atB.length === 2 && atA.length === 1);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(atB).toEqual([arrival(now), sent]);
    expect(atA).toEqual([arrival(now + 1, 'q')]);
    expect(a.stats()).toMatchObject({ published: 2, merged: 1, dropped: 0, error: null });
    expect(b.stats()).toMatchObject({ published: 1, merged: 2, dropped: 0, error: null });
  });

  it('a replica that starts later merges what the stream holds, except events older than the horizon; garbage entries are skipped', async () => {
    const a = open('late');
    a.start(() => {});
    a.publish(arrival(Date.now() - 2 * 3_600_000, 'old'));
    a.publish(arrival(Date.now(), 'recent'));
    await a.flush();
    const raw = new Redis(REDIS_URL);
    await raw.xadd(`${prefix}late`, '*', 'r', 'someone', 'e', 'not json');
    await raw.xadd(`${prefix}late`, '*', 'r', 'someone', 'e', encodeEvents([arrival(Date.now(), 'after-garbage')]));
    await raw.quit();
    const b = open('late');
    const merged: PlannerEvent[] = [];
    b.start((e) => merged.push(e));
    await until(() => merged.length === 2);
    expect(merged.map((e) => e.blocks[0]!.hash)).toEqual(['recent0', 'after-garbage0']);
  });

  it('publish returns at once and a Redis that is down drops events (counted) without throwing', async () => {
    const down = new RedisPlannerSync({ url: 'redis://127.0.0.1:1', key: `${prefix}down`, flushMs: 20, log: () => {} });
    syncs.push(down);
    down.start(() => {});
    const t = performance.now();
    for (let i = 0; i < 1_000; i++) down.publish(arrival(i));
    expect(performance.now() - t).toBeLessThan(200);
    await down.flush();
    await until(() => down.stats().dropped === 1_000);
    expect(down.stats().error).not.toBeNull();
    // Closing while the reader waits on a reconnect (a pending XREAD there never settles) is prompt.
    await new Promise((r) => setTimeout(r, 1_100));
    const closing = performance.now();
    await down.close();
    expect(performance.now() - closing).toBeLessThan(1_500);
  });
});
