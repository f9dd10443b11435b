// Replay with a policy that defers a route to provider batches: the deferred requests run in
// batches on the simulated clock, at batch prices, and the replay's ledger equals what the same
// requests cost through a live gateway whose batch loop runs on wall time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import { loadPolicy, readTrace, replay, type ReplayOutcome } from '../../src/replay/index.js';
import { type TestEnv } from '../helpers/env.js';
import { BACKENDS, startEnvOn } from '../helpers/backend-env.js';
import { liveRows, sum, writeTrace } from './helpers.js';

const T0 = 1_700_000_000_000;
const DEFERRAL = { maxItems: 100, maxAgeMs: 60_000, rules: [{ name: 'nightly', match: { tags: ['nightly'] }, window: '24h' }] };

/** Six requests over 50 s; lines 2, 4 and 6 are tagged `nightly`, two of them with one reply length. */
function logText(): string {
  return Array.from({ length: 6 }, (_, i) =>
    JSON.stringify({
      timestamp: T0 + i * 10_000,
      body: { model: 'gpt-4.1-mini', messages: [{ role: 'user', content: `Summarise report ${i} of the night.` }] },
      output_tokens: i === 5 ? 40 : 12,
      ...(i % 2 === 1 ? { tags: ['nightly'] } : {}),
    }),
  ).join('\n');
}

describe.each(BACKENDS)('replay of a deferrable route (live gateway on a %s ledger)', (backend) => {
  const file = writeTrace('deferral-log.jsonl', logText());
  const policyFile = writeTrace('deferral-policy.yaml', stringify({ ...structuredClone(DEFAULT_CONFIG), batch: { deferral: DEFERRAL } }));
  let first: ReplayOutcome;
  let env: TestEnv;

  beforeAll(async () => {
    first = await replay({ file, policies: [loadPolicy(policyFile)], model: 'claude-sonnet-4-5', speed: 'max', transport: 'http', seed: 1, top: 5 });
    env = await startEnvOn(backend, {
      config: { batch: { ...structuredClone(DEFAULT_CONFIG).batch, pollIntervalMs: 50, deferral: { ...DEFERRAL, maxAgeMs: 100 } } },
    });
  });
  afterAll(() => env.close());

  it('runs the deferred requests in provider batches at half price, as a live gateway does', async () => {
    const p = first.report.policies[0]!;
    expect(p.requests).toEqual({ sent: 6, ok: 6, deferred: 3, failed: 0 });
    const batchRows = first.runs[0]!.rows.filter((r) => r.technique === 'batch');
    expect(batchRows).toHaveLength(3);
    expect(batchRows.map((r) => r.tags)).toEqual([['nightly'], ['nightly'], ['nightly']]);
    // Half of every token class against the synchronous baseline.
    for (const r of batchRows) expect(BigInt(r.baselinePico)).toBe(2n * BigInt(r.costPico));
    expect(Number(p.saving_by_technique_usd['batch'])).toBeGreaterThan(0);

    // The same requests through a live gateway, its batch loop on wall time.
    for (const req of readTrace(file, { model: 'claude-sonnet-4-5' }).requests) {
      const wire = req.build();
      const res = await fetch(`${env.gateway.url}${wire.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-live', ...wire.headers },
        body: wire.body,
      });
      await res.text();
      expect([200, 202]).toContain(res.status);
    }
    const deadline = Date.now() + 15_000;
    while ((await env.gateway.deps.batches.hasWork()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    const live = await liveRows(env);
    expect(live.filter((r) => r.technique === 'batch')).toHaveLength(3);
    expect(sum(first.runs[0]!.rows)).toEqual(sum(live));
  });

  it('replays a ledger export with batch rows as deferred requests again, at the same cost', async () => {
    const exported = writeTrace('deferral-ledger.json', await (await fetch(`${env.gateway.url}/api/requests?limit=1000`)).text());
    const out = await replay({
      file: exported,
      policies: [loadPolicy(undefined)],
      model: 'claude-sonnet-4-5',
      speed: 'max',
      transport: 'http',
      seed: 1,
      top: 5,
    });
    const p = out.report.policies[0]!;
    expect(p.requests).toEqual({ sent: 6, ok: 6, deferred: 3, failed: 0 });
    const rows = out.runs[0]!.rows;
    expect(rows.filter((r) => r.technique === 'batch')).toHaveLength(3);
    expect(sum(rows)).toEqual(sum(await liveRows(env)));
  });

  it('gives the same report on every run', async () => {
    const again = await replay({ file, policies: [loadPolicy(policyFile)], model: 'claude-sonnet-4-5', speed: 'max', transport: 'http', seed: 1, top: 5 });
    expect(JSON.stringify(again.report)).toBe(JSON.stringify(first.report));
  });
});
