// Feedback from the deployment, end to end on each ledger backend: tagged requests through the
// Anthropic SDK to the gateway with every request shadowed on Haiku and prompt capture on; scores
// of the served and shadow answers posted to POST /api/feedback; then the graded evidence in GET
// /api/advice, and `costwise router train --from-ledger` learning a model that `router eval
// --model` loads. The scores are the test's: the gateway only stores them.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { AdviceResponse, FeedbackRequest } from '../../src/server/admin-api.js';
import { BACKENDS, startEnvOn } from '../helpers/backend-env.js';
import { ledger, type TestEnv } from '../helpers/env.js';
import type { LedgerRowJson } from '../helpers/api-json.js';
import { BIN } from '../helpers/process.js';

const run = promisify(execFile);
const N = 40;
const SERVED = 'claude-sonnet-4-5';
const CANDIDATE = 'claude-haiku-4-5';

function ticket(i: number): string {
  const topic = ['billing', 'shipping', 'returns', 'passwords'][i % 4]!;
  return `Ticket ${i} about ${topic}: the customer writes that order ${1000 + i} is late. What should we reply?`;
}

describe.each(BACKENDS)('POST /api/feedback and what learns from it (%s)', (backend) => {
  let env: TestEnv;
  let served: LedgerRowJson[];
  let shadows: LedgerRowJson[];
  let before: AdviceResponse;
  /** What `--db` names: the SQLite ledger, or a costwise.yaml naming the PostgreSQL schema. */
  let db: string;
  const work = mkdtempSync(join(tmpdir(), 'costwise-feedback-'));

  const post = (body: unknown): Promise<Response> =>
    fetch(`${env.gateway.url}/api/feedback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const advice = async (): Promise<AdviceResponse> => (await (await fetch(`${env.gateway.url}/api/advice?days=30`)).json()) as AdviceResponse;
  const candidateEvidence = (a: AdviceResponse) =>
    a.recommendations.find((r) => r.kind === 'model' && r.scope === 'tag:support')?.evidence.model ??
    a.rejected.find((r) => r.scope === 'tag:support' && r.candidate_model === CANDIDATE)?.evidence;

  beforeAll(async () => {
    env = await startEnvOn(backend, {
      config: {
        advisor: { shadow: { sample: 1, candidates: [CANDIDATE] }, maxLoss: 0.1 },
        routing: { learn: { capturePrompts: true } },
      },
    });
    const client = new Anthropic({ apiKey: 'sk-ant-test-key', baseURL: env.gateway.url, maxRetries: 0, defaultHeaders: { 'x-costwise-tags': 'support' } });
    for (let i = 0; i < N; i++) {
      await client.messages.create({ model: SERVED, max_tokens: 64, messages: [{ role: 'user', content: ticket(i) }] });
    }
    await env.gateway.deps.shadow!.drain();
    await env.gateway.deps.store.flush();
    await env.gateway.deps.labels.flush();
    const rows = await ledger(env);
    served = rows.filter((r) => r.parentId === null);
    shadows = rows.filter((r) => r.technique === 'shadow');
    before = await advice();
    const l = env.gateway.deps.config.storage.ledger;
    db = l.kind === 'sqlite' ? l.path : join(work, 'costwise.yaml');
    if (l.kind === 'postgres') writeFileSync(db, stringify({ storage: { ledger: { kind: 'postgres', url: l.url, schema: l.schema } } }));
  }, 120_000);
  afterAll(() => env.close());

  it('the ledger holds each request and its shadow call on the candidate', () => {
    expect(served).toHaveLength(N);
    expect(shadows).toHaveLength(N);
    expect(shadows.every((s) => s.servedModel === CANDIDATE && s.requestId === `${s.parentId}.shadow-${CANDIDATE}`)).toBe(true);
    expect(candidateEvidence(before)?.shadow_samples).toBe(N);
    expect(candidateEvidence(before)?.graded).toBeUndefined();
  });

  it('refuses a bad item with the exact field, and stores none of the body', async () => {
    const items = served.slice(0, 5).map((r) => ({ request_id: r.requestId, score: 1 }));
    items[3] = { request_id: served[3]!.requestId, score: 1.5 };
    const res = await post({ feedback: items });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: { message: 'feedback[3].score: must be at most 1', type: 'invalid_request_error', param: 'feedback[3].score', code: null },
    });
    for (const [body, param] of [
      [{ request_id: '', score: 1 }, 'request_id'],
      [{ request_id: 'x', score: 'good' }, 'score'],
      [{ request_id: 'x', score: 1, stars: 5 }, 'stars'],
      [
        {
          feedback: [
            { request_id: 'x', score: 1 },
            { request_id: 'y', score: true, stars: 5 },
          ],
        },
        'feedback[1].stars',
      ],
      [{ feedback: [] }, 'feedback'],
      [{ feedback: Array.from({ length: 1001 }, (_, i) => ({ request_id: `r${i}`, score: 0 })) }, 'feedback'],
    ] as const) {
      const r = await post(body);
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(((await r.json()) as { error: { param: string | null } }).error.param).toBe(param);
    }
    expect((await post([1])).status).toBe(400);
    const wrongMethod = await fetch(`${env.gateway.url}/api/feedback`);
    expect(wrongMethod.status).toBe(405);
    expect(await env.gateway.deps.labels.feedback(0)).toEqual([]);
  });

  it('stores scores for served and shadow answers; a later score replaces the earlier; the advice grades with them', async () => {
    const all: FeedbackRequest = {
      feedback: [...served, ...shadows].map((r) => ({ request_id: r.requestId, score: 1, comment: r.parentId === null ? 'served' : 'shadow' })),
    };
    const res = await post(all);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ stored: 2 * N });
    // The reviewer changes their mind on one served answer: it was wrong (the candidate's was right).
    const again = await post({ request_id: served[0]!.requestId, score: false });
    expect(await again.json()).toEqual({ stored: 1 });
    const stored = await env.gateway.deps.labels.feedback(0);
    expect(stored).toHaveLength(2 * N);
    expect(stored.find((f) => f.requestId === served[0]!.requestId)).toMatchObject({ score: 0, comment: null });

    const after = await advice();
    const rec = after.recommendations.find((r) => r.kind === 'model' && r.scope === 'tag:support');
    expect(rec?.recommended_model).toBe(CANDIDATE);
    const evidence = rec!.evidence.model!;
    expect(evidence.graded).toMatchObject({ pairs: N, served_only_right: 0, candidate_only_right: 1, accuracy_loss: -0.025 });
    // Agresti–Min at 97.5% (two bounds tried): b = 0.5/42, c = 1.5/42, diff ± 2.2414 · sqrt((b + c − diff²)/42).
    const b = 0.5 / 42;
    const c = 1.5 / 42;
    const hi = b - c + 2.2414 * Math.sqrt((b + c - (b - c) ** 2) / 42);
    expect(evidence.max_accuracy_loss).toBeCloseTo(hi, 3);
    expect(rec!.evidence.note).toMatch(/lost -1 net of 40 graded shadowed requests/);
  });

  it('router train --from-ledger learns from the scores on the captured prompts, and router eval --model loads the model', async () => {
    const prompts = await env.gateway.deps.labels.prompts(0);
    // Every request was shadowed, so every one's prompt was captured: the router's text, its last user message.
    expect(prompts.map((p) => p.requestId).sort()).toEqual(served.map((r) => r.requestId).sort());
    expect(prompts.map((p) => p.text).sort()).toEqual(Array.from({ length: N }, (_, i) => ticket(i)).sort());
    const model = join(work, 'model.json');
    const train = await run(process.execPath, [BIN, 'router', 'train', '--from-ledger', '--db', db, '--days', '1', '--min-prompts', '30', '-o', model]);
    expect(train.stderr).toMatch(/^40 labelled requests \(80 feedback labels, 0 cascade verdicts\), 40 with a captured prompt$/m);
    expect(train.stderr).toMatch(`trained on 40 prompts, 2 candidates (${CANDIDATE}, ${SERVED})`);

    const test = join(work, 'test.csv');
    const lines = Array.from({ length: 8 }, (_, i) => `"Ticket ${100 + i} about billing: is order ${i} late?",${i % 2},1,0.0001,0.001`);
    writeFileSync(test, [`prompt,${CANDIDATE},${SERVED},${CANDIDATE}|total_cost,${SERVED}|total_cost`, ...lines].join('\n') + '\n');
    const evaluated = await run(process.execPath, [BIN, 'router', 'eval', '--model', model, '--test', test, '--format', 'json']);
    const report = JSON.parse(evaluated.stdout) as { rows: number; models: { name: string; accuracy: number }[] };
    expect(report.rows).toBe(8);
    expect(report.models.map((m) => [m.name, m.accuracy])).toEqual([
      [CANDIDATE, 0.5],
      [SERVED, 1],
    ]);
  }, 60_000);

  it('refuses to train on fewer labelled prompts than asked for, and says what is missing', async () => {
    const err = await run(process.execPath, [BIN, 'router', 'train', '--from-ledger', '--db', db, '--min-prompts', '41', '-o', join(work, 'no.json')]).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 1 });
    expect((err as { stderr: string }).stderr).toMatch(
      /router train --from-ledger: the ledger has 40 prompts with labels for two or more models \(need at least 41\): 40 labelled requests/,
    );
  });
});
