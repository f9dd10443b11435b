// Graded shadow evidence, end to end: an outcome file replayed through the real gateway with every
// request shadowed on Haiku (recorded answers in the emulator, as in advise-e2e.test.ts), then
// `costwise advise --ledger` with and without `--grades`. The grades are the labels of the answers
// the ledger shows were served and shadowed, as a deployment's reviewers would give them; the
// gateway never sees them.
//
// Tags of the fixture:
//   swap-choice (1000) Haiku is wrong on 18 prompts Sonnet gets right, and right on 18 it gets wrong:
//                      the same accuracy, but 3.6% disagreement, which agreement alone cannot vouch for
//   near-choice  (200) Haiku is wrong on 6 prompts Sonnet gets right: 3 points less accurate
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AdviceReport } from '../../src/advisor/types.js';
import type { LedgerRow } from '../../src/storage/types.js';
import { BIN } from '../helpers/process.js';
import { dir, writeTrace } from '../replay/helpers.js';

const run = promisify(execFile);

interface Row {
  tag: string;
  strong: number;
  cheap: number;
}

function fixture(): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < 1000; i++) {
    const strong = i % 5 === 4 ? 0 : 1;
    // Haiku loses the first 18 prompts Sonnet gets right, and wins the first 18 it gets wrong.
    const lost = strong === 1 && i < 22;
    const won = strong === 0 && i < 90;
    rows.push({ tag: 'swap-choice', strong, cheap: lost ? 0 : won ? 1 : strong });
  }
  for (let i = 0; i < 200; i++) {
    const strong = i % 5 === 4 ? 0 : 1;
    rows.push({ tag: 'near-choice', strong, cheap: strong === 1 && i < 7 ? 0 : strong });
  }
  return rows;
}

/** The letter a model answers: the right one (A–D by prompt) when its label is 1, the next one when 0. */
function letter(i: number, label: number): string {
  return 'ABCD'[(i + (label ? 0 : 1)) % 4]!;
}

function csv(rows: readonly Row[]): string {
  const head = 'prompt,eval_name,cheap,strong,cheap|model_response,strong|model_response,cheap|total_cost,strong|total_cost';
  const lines = rows.map((r, i) =>
    [
      `"${r.tag} ${i}: which option is right?\nA) one\nB) two\nC) three\nD) four\nAnswer:"`,
      r.tag,
      r.cheap,
      r.strong,
      `"The answer is ${letter(i, r.cheap)}."`,
      letter(i, r.strong),
      0.0001,
      0.001,
    ].join(','),
  );
  return [head, ...lines].join('\n') + '\n';
}

const POLICY = `
providers:
  - { name: anthropic, kind: anthropic, baseUrl: emulator, apiKey: emulated }
models:
  - { name: claude-haiku-4-5, provider: anthropic, tier: cheap }
  - { name: claude-sonnet-4-5, provider: anthropic, tier: mid }
emulator:
  outcomes:
    models: { claude-haiku-4-5: cheap, claude-sonnet-4-5: strong }
advisor:
  shadow: { sample: 1, candidates: [claude-haiku-4-5] }
`;

describe('costwise advise --grades on a replayed ledger', () => {
  const rows = fixture();
  let policy: string;
  let ledgerFile: string;
  let gradesFile: string;
  let plain: AdviceReport;
  let graded: AdviceReport;

  beforeAll(async () => {
    const trace = writeTrace('graded-outcomes.csv', csv(rows));
    policy = writeTrace('graded-policy.yaml', POLICY);
    ledgerFile = `${dir}/graded-ledger.jsonl`;
    await run(
      process.execPath,
      [BIN, 'replay', '--trace', trace, '--policy', policy, '--model', 'claude-sonnet-4-5', '--format', 'json', '--ledger-out', ledgerFile],
      {
        maxBuffer: 64 << 20,
      },
    );
    const ledger = readFileSync(ledgerFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as LedgerRow);
    // The replay sends trace row i at one simulated second after row i − 1; shadow rows keep the request's time.
    const t0 = Math.min(...ledger.map((r) => r.ts));
    const grades = ledger.map((r) => {
      const row = rows[(r.ts - t0) / 1000]!;
      return JSON.stringify({ request_id: r.requestId, score: r.parentId === null ? row.strong : row.cheap });
    });
    gradesFile = `${dir}/graded-grades.jsonl`;
    writeFileSync(gradesFile, grades.join('\n') + '\n');
    const advise = async (...extra: string[]): Promise<AdviceReport> =>
      JSON.parse(
        (await run(process.execPath, [BIN, 'advise', '-c', policy, '--ledger', ledgerFile, '--format', 'json', '--days', '1', ...extra])).stdout,
      ) as AdviceReport;
    [plain, graded] = await Promise.all([advise(), advise('--grades', gradesFile)]);
  }, 240_000);

  const loss = (tag: string): number => {
    const of = rows.filter((r) => r.tag === tag);
    return of.reduce((s, r) => s + r.strong - r.cheap, 0) / of.length;
  };

  it('the fixture is what it claims: equal accuracy on swap-choice, 3 points less on near-choice', () => {
    expect(loss('swap-choice')).toBe(0);
    expect(loss('near-choice')).toBe(0.03);
  });

  it('on agreement alone, turns both down: 3.6% disagreement could be 3.6 points of accuracy', () => {
    expect(plain.recommendations.filter((r) => r.kind === 'model')).toEqual([]);
    const swap = plain.rejected.find((x) => x.scope === 'tag:swap-choice')!;
    expect(swap.evidence).toMatchObject({ shadow_samples: 1000, agreements: 964, confidence: 0.95 });
    expect(swap.evidence.graded).toBeUndefined();
    expect(swap.reason).toMatch(/^agreement .*could lose up to/);
  });

  it('with grades, recommends Haiku where the labels keep accuracy, and still turns down the tag 3 points worse', () => {
    const models = graded.recommendations.filter((r) => r.kind === 'model');
    expect(models.map((r) => [r.scope, r.recommended_model])).toEqual([['tag:swap-choice', 'claude-haiku-4-5']]);
    const evidence = models[0]!.evidence.model!;
    expect(evidence.graded).toMatchObject({ pairs: 1000, served_only_right: 18, candidate_only_right: 18, accuracy_loss: 0 });
    // Two bounds tried (agreement and graded), so each at 97.5%: Agresti–Min ±2.2414 · sqrt(0.036926/1002) = ±0.013607.
    expect(evidence.confidence).toBe(0.975);
    expect(evidence.graded!.interval).toEqual([-0.0136, 0.0136]);
    expect(evidence.max_accuracy_loss).toBe(0.0136);
    expect(models[0]!.evidence.note).toMatch(/lost 0 net of 1000 graded shadowed requests \(loss -1\.4%–1\.4% at 97\.5% confidence\)/);
    const near = graded.rejected.find((x) => x.scope === 'tag:near-choice')!;
    expect(near.evidence.graded).toMatchObject({ pairs: 200, served_only_right: 6, candidate_only_right: 0, accuracy_loss: 0.03 });
    expect(near.reason).toMatch(/graded loss interval 0\.1%–5\.9% on 200 pairs/);
    // The criterion, against the labels: nothing recommended beyond 2 points, no tag within 1 point missed.
    for (const tag of ['swap-choice', 'near-choice']) {
      const rec = models.find((r) => r.scope === `tag:${tag}`);
      if (rec) expect(loss(tag), tag).toBeLessThanOrEqual(0.02);
      if (loss(tag) <= 0.01) expect(rec?.recommended_model, tag).toBe('claude-haiku-4-5');
    }
  });

  it('names the file and line of a grade it cannot read', async () => {
    const bad = writeTrace('graded-bad.jsonl', '{"request_id": "a", "score": 1}\n{"request_id": "b", "score": 0.5}\n');
    const err = await run(process.execPath, [BIN, 'advise', '-c', policy, '--ledger', ledgerFile, '--grades', bad]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 1 });
    expect((err as { stderr: string }).stderr).toMatch(/graded-bad\.jsonl:2: score must be 0 or 1/);
  });
});
