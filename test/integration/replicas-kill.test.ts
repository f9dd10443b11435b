// Three replicas, one killed with SIGKILL mid-run (issue 15): three `costwise serve` processes on
// one PostgreSQL ledger and one Redis, requests round-robin over them through the official OpenAI
// and Anthropic SDKs (JSON and streams, at concurrency 24). After a third of them are answered,
// replica 1 is killed and started again on the same port and dataDir while the load goes on; the
// requests sent to it meanwhile fail and are counted. Then every request id that got a complete
// 200 has exactly one ledger row, costed as its client was told (the `x-costwise-cost-usd`
// header, or for a stream the trailer of that name), and `/api/spend` gives the same total on
// all three replicas: that sum to the pico-dollar, plus the rows of requests whose answer the
// kill cut after their row was spooled (only the killed process may have those). Every request
// uses one virtual key with a budget in Redis: what it shows as spent is at most the ledger's total,
// and spent plus still reserved at least that total.
//
// 1,500 requests here (REPLICAS_KILL_REQUESTS to change it); `node dist/bench/replicas.js` runs
// the same scenario (bench/replicas-scenario.ts) with 6,000. Needs the built dist (bin/costwise.js)
// and PostgreSQL and Redis; with CI=true it fails when either is down.
import { afterAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { runReplicaScenario, verdict, type ReplicaScenarioResult } from '../../bench/replicas-scenario.js';
import { dropPrefix, redisAvailable, REDIS_URL, uniquePrefix } from '../governance/helpers.js';
import { PG_URL, postgresUp, schemaName } from '../storage/backends.js';

const HAS_PG = await postgresUp();
const HAS_REDIS = await redisAvailable('replicas kill test');
const REQUESTS = Number(process.env['REPLICAS_KILL_REQUESTS'] ?? 1_500);

describe.runIf(HAS_PG && HAS_REDIS)('three replicas on PostgreSQL and Redis, one killed with SIGKILL mid-run', () => {
  const schema = schemaName();
  const prefix = uniquePrefix('replicas-kill');

  afterAll(async () => {
    await dropPrefix(prefix);
    const sql = postgres(PG_URL, { max: 1, onnotice: () => undefined });
    await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await sql.end({ timeout: 1 });
  });

  it(`bills every answered request exactly once, as its client was told (${REQUESTS} requests)`, async () => {
    const r: ReplicaScenarioResult = await runReplicaScenario({
      requests: REQUESTS,
      concurrency: 24,
      killAfter: Math.round(REQUESTS / 3),
      downMs: 500,
      pgUrl: PG_URL,
      schema,
      redisUrl: REDIS_URL,
      redisPrefix: prefix,
      // REPLICAS_KILL_NO_SPOOL=1 turns the spool off, to see this test fail without it.
      spool: !process.env['REPLICAS_KILL_NO_SPOOL'],
    });
    const failed = (why: string) => r.failed[`${why} (replica 1)`] ?? 0;

    // The kill happened mid-run: replica 1 refused requests while down and answered again after.
    expect(failed('refused')).toBeGreaterThan(0);
    expect(r.answeredAfterRestart).toBeGreaterThan(0);
    // Only replica 1 failed anyone, and only by refusing or cutting a connection.
    expect(r.answered + failed('refused') + failed('cut')).toBe(r.sent);

    expect({ missing: r.missing, duplicated: r.duplicated, costMismatches: r.costMismatches }).toEqual({ missing: 0, duplicated: 0, costMismatches: 0 });
    expect(r.spendPico).toEqual([r.rowsPico, r.rowsPico, r.rowsPico]);
    expect(r.rowsPico).toBe(r.answeredPico + r.unanswered.costPico);
    expect(r.unanswered.fromKilledProcess).toBe(r.unanswered.rows);
    expect(r.unanswered.rows).toBeLessThanOrEqual(failed('cut'));
    // The key's budget in Redis: settled costs never above the ledger, settled + reserved never below.
    expect(r.budget.spentPico).toBeLessThanOrEqual(r.rowsPico);
    expect(r.budget.spentPico + r.budget.reservedPico).toBeGreaterThanOrEqual(r.rowsPico);
    expect(verdict(r)).toEqual([]);
  }, 300_000);
});
