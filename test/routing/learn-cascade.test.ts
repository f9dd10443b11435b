// Cascade verdicts as labels, end to end on each ledger backend: a Haiku → Sonnet cascade on score
// answers (the emulator echoes the prompt, so "Score: 0.92" is accepted from Haiku and "Score: 0.5"
// escalates), prompt capture on with no sample, and plain requests beside them. Only the cascaded
// requests' prompts are kept; `router train --from-ledger` reads the cascade's verdicts (Haiku right
// where accepted, wrong where escalated) and the feedback on Sonnet's escalated answers.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { BACKENDS, startEnvOn } from '../helpers/backend-env.js';
import { ledger, type TestEnv } from '../helpers/env.js';
import { BIN } from '../helpers/process.js';

const run = promisify(execFile);
const N = 24;
const echo = { 'x-emulator-echo': '1' };

describe.each(BACKENDS)('cascade verdicts and captured prompts for router training (%s)', (backend) => {
  let env: TestEnv;
  let db: string;
  const work = mkdtempSync(join(tmpdir(), 'costwise-learn-cascade-'));
  const clear = (i: number): string => `Score: 0.9${i % 10} for review ${i}, a clear one`;
  const ambiguous = (i: number): string => `Score: 0.5 for review ${i}, hard to call`;

  beforeAll(async () => {
    env = await startEnvOn(backend, {
      config: {
        routing: {
          learn: { capturePrompts: true },
          routers: { score: { kind: 'cascade', steps: ['claude-haiku-4-5', 'claude-sonnet-4-5'], checks: [{ kind: 'score_band', ambiguous: [0.35, 0.65] }] } },
        },
      },
    });
    const ask = (model: string, content: string) =>
      env.openai.chat.completions.create({ model, max_completion_tokens: 50, messages: [{ role: 'user', content }] }, { headers: echo });
    for (let i = 0; i < N; i++) {
      await ask('router/score', clear(i));
      await ask('router/score', ambiguous(i));
      await ask('claude-sonnet-4-5', `Plain request ${i}`);
    }
    await env.gateway.deps.store.flush();
    await env.gateway.deps.labels.flush();
    const l = env.gateway.deps.config.storage.ledger;
    db = l.kind === 'sqlite' ? l.path : join(work, 'costwise.yaml');
    if (l.kind === 'postgres') writeFileSync(db, stringify({ storage: { ledger: { kind: 'postgres', url: l.url, schema: l.schema } } }));
  }, 120_000);
  afterAll(() => env.close());

  it('keeps the prompts of the cascaded requests only', async () => {
    const prompts = await env.gateway.deps.labels.prompts(0);
    const expected = Array.from({ length: N }, (_, i) => [clear(i), ambiguous(i)]).flat();
    expect(prompts.map((p) => p.text).sort()).toEqual(expected.sort());
  });

  it('trains on the escalated prompts: Haiku wrong by the verdict, Sonnet graded by feedback', async () => {
    const rows = await ledger(env);
    const escalated = rows.filter((r) => r.parentId === null && r.route === 'cascade:score:escalated->claude-sonnet-4-5');
    expect(escalated).toHaveLength(N);
    // Too few prompts have two labels before the feedback: the verdicts label Haiku alone.
    const model = join(work, 'model.json');
    const args = [BIN, 'router', 'train', '--from-ledger', '--db', db, '--days', '1', '--min-prompts', String(N), '-o', model];
    const refused = await run(process.execPath, args).catch((e: unknown) => e);
    expect((refused as { stderr: string }).stderr).toMatch(
      `the ledger has 0 prompts with labels for two or more models (need at least ${N}): ${2 * N} labelled requests (0 feedback labels, ${2 * N} cascade verdicts), ${2 * N} with a captured prompt`,
    );

    const res = await fetch(`${env.gateway.url}/api/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ feedback: escalated.map((r) => ({ request_id: r.requestId, score: true })) }),
    });
    expect(res.status).toBe(200);
    const trained = await run(process.execPath, args);
    expect(trained.stderr).toMatch(`${2 * N} labelled requests (${N} feedback labels, ${2 * N} cascade verdicts), ${2 * N} with a captured prompt`);
    expect(trained.stderr).toMatch(`trained on ${N} prompts, 2 candidates (claude-haiku-4-5, claude-sonnet-4-5)`);

    const test = join(work, 'test.csv');
    const lines = Array.from({ length: 6 }, (_, i) => `"Score: 0.5 for review ${100 + i}",0,1,0.0001,0.001`);
    writeFileSync(test, ['prompt,claude-haiku-4-5,claude-sonnet-4-5,claude-haiku-4-5|total_cost,claude-sonnet-4-5|total_cost', ...lines].join('\n') + '\n');
    const evaluated = await run(process.execPath, [BIN, 'router', 'eval', '--model', model, '--test', test, '--format', 'json']);
    expect((JSON.parse(evaluated.stdout) as { rows: number }).rows).toBe(6);
  }, 60_000);
});
