import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCalibration, curveOf, operatingPoint, shippedCalibrationPath, wilson, CalibrationSchema } from '../../src/cache/semantic/calibration.js';
import { SentencePieceTokenizer } from '../../src/cache/semantic/sentencepiece.js';
import { createStaticUseEmbedder } from '../../src/cache/semantic/static-embedder.js';
import { OnlineThresholds } from '../../src/cache/semantic/online-threshold.js';
import { answersAgree, extractAnswer } from '../../src/cache/semantic/answer-agreement.js';
import { createBuiltinEmbedder } from '../../src/cache/semantic/builtin-embedder.js';
import type { Outcome } from '../../src/cache/semantic/evaluate.js';
import { BIN } from '../helpers/process.js';

const outcome = (sim: number, right: boolean): Outcome => ({ sim, own: right, duplicate: right, identicalQuery: false, identicalHit: false });

describe('calibration', () => {
  it('wilson interval matches the hand-computed values', () => {
    // k = 1, n = 10, z² = 3.8416: centre (0.1 + 0.19208) / 1.38416 = 0.211016,
    // half (1.96 / 1.38416) · √(0.009 + 0.009604) = 0.193140
    const [lo, hi] = wilson(1, 10);
    expect(lo).toBeCloseTo(0.017876, 5);
    expect(hi).toBeCloseTo(0.404156, 5);
    expect(wilson(0, 0)).toEqual([0, 1]);
  });

  it('the curve counts hits and wrong hits at and above each grid threshold', () => {
    const outcomes = [outcome(0.99, true), outcome(0.95, true), outcome(0.9, false), outcome(0.6, false), outcome(-Infinity, true)];
    const curve = curveOf(outcomes);
    const at = (t: number) => curve.find((r) => r[0] === t)!;
    expect(at(1)).toEqual([1, 0, 0]);
    expect(at(0.99)).toEqual([0.99, 1, 0]);
    expect(at(0.95)).toEqual([0.95, 2, 0]);
    expect(at(0.9)).toEqual([0.9, 3, 1]);
    expect(at(0.6)).toEqual([0.6, 4, 2]);
    expect(at(0.3)).toEqual([0.3, 4, 2]);
  });

  it('the operating point is the lowest threshold that keeps the wrong-hit rate with enough hits', () => {
    // 100 right hits at 0.96, 4 wrong at 0.93, 20 wrong at 0.85, 300 duplicates never found
    const outcomes = [
      ...Array.from({ length: 100 }, () => outcome(0.96, true)),
      ...Array.from({ length: 4 }, () => outcome(0.93, false)),
      ...Array.from({ length: 20 }, () => outcome(0.85, false)),
      ...Array.from({ length: 300 }, () => outcome(-Infinity, true)),
    ];
    const cal = buildCalibration({ embedder: 'e', source: 's', outcomes, maxWrongHitRate: 0.05 });
    expect(CalibrationSchema.parse(JSON.parse(JSON.stringify(cal)))).toEqual(cal);
    // 4 / 104 = 3.8% <= 5% down to 0.855; at 0.85 the 20 more wrong hits make it 24 / 124
    expect(cal.threshold).toBe(0.855);
    const op = operatingPoint(cal, 0.05);
    expect(op.threshold).toBe(0.855);
    expect(op).toMatchObject({ hits: 104, wrongHits: 4, reached: true });
    expect(op.recall).toBeCloseTo(100 / 400, 10);
    expect(op.hitRate).toBeCloseTo(104 / 424, 10);
    // a stricter target moves up to the right-only hits; an impossible one reports the grid top
    expect(operatingPoint(cal, 0.01).threshold).toBeGreaterThan(0.93);
    expect(operatingPoint(cal, 0.01).wrongHits).toBe(0);
    const none = operatingPoint({ ...cal, curve: cal.curve.map(([t, h]) => [t, h, h] as [number, number, number]) }, 0.01);
    expect(none).toMatchObject({ threshold: 1, reached: false });
  });
});

describe('online thresholds', () => {
  const opts = { initial: 0.5, target: 0.05, floor: 0.5, ceiling: 1, minSamples: 5, window: 100, maxNamespaces: 2 };

  it('rises from a bad low start when wrong hits are found, comes down on agreeing near misses', () => {
    const t = new OnlineThresholds(opts);
    for (let i = 0; i < 4; i++) t.record('ns', { similarity: 0.7 + i * 0.01, wrong: true, weight: 1 });
    expect(t.threshold('ns')).toBe(0.5); // not yet enough evidence
    t.record('ns', { similarity: 0.74, wrong: true, weight: 1 });
    expect(t.threshold('ns')).toBe(1); // every sample wrong, none right: the ceiling
    for (let i = 0; i < 5; i++) t.record('ns', { similarity: 0.96 + i * 0.005, wrong: false, weight: 1 });
    expect(t.threshold('ns')).toBe(0.96);
    const [r] = t.report();
    expect(r).toMatchObject({ namespace: 'ns', threshold: 0.96, samples: 10, samplesAtThreshold: 5, wrongHitRate: 0 });
    expect(r!.wrongHitRateCi![0]).toBe(0);
    expect(r!.wrongHitRateCi![1]).toBeCloseTo(wilson(0, 5)[1], 10);
    expect(t.threshold('other')).toBe(0.5); // per namespace
  });

  it('weights sampled hits by their sampling rate, and bounds the namespaces kept', () => {
    const t = new OnlineThresholds(opts);
    // one wrong hit at 0.95 and 30 agreeing near misses at 0.9: 1/31 = 3.2% wrong when the hit was
    // certain to be checked, but 20/50 = 40% when it stood for 20 hits (sampled at 1/20)
    for (const [ns, weight] of [
      ['certain', 1],
      ['sampled', 20],
    ] as const) {
      t.record(ns, { similarity: 0.95, wrong: true, weight });
      for (let i = 0; i < 30; i++) t.record(ns, { similarity: 0.9, wrong: false, weight: 1 });
    }
    expect(t.threshold('certain')).toBe(0.9); // the lowest similarity sampled
    expect(t.report()[0]!.wrongHitRate).toBeCloseTo(1 / 31, 10);
    expect(t.threshold('sampled')).toBe(1);
    t.record('b', { similarity: 0.9, wrong: false, weight: 1 });
    t.record('c', { similarity: 0.9, wrong: false, weight: 1 });
    expect(t.report().map((r) => r.namespace)).toEqual(['b', 'c']);
  });
});

describe('answer agreement', () => {
  const embedder = createBuiltinEmbedder();
  it('normalised equality, extracted answers, else embedding similarity', () => {
    expect(answersAgree('Yes, it is.', 'yes it is', { embedder })).toEqual({ agree: true, by: 'normalised' });
    expect(extractAnswer('The answer is (B).')).toBe('choice:b');
    expect(answersAgree('The answer is (B).', 'After thinking, the answer is B', { embedder })).toEqual({ agree: true, by: 'extracted' });
    expect(answersAgree('It costs 1,200 dollars.', 'The price is 1200', { embedder })).toEqual({ agree: true, by: 'extracted' });
    expect(answersAgree('It costs 1,200 dollars.', 'The price is 900', { embedder }).agree).toBe(false);
    const long = 'Fill in the renewal form at the service desk of the town hall and bring your identity card.';
    expect(answersAgree(long, long.replace('bring', 'please bring'), { embedder })).toMatchObject({ agree: true, by: 'embedding' });
    expect(answersAgree(long, 'The swimming pool is closed on Mondays during the winter season.', { embedder })).toMatchObject({
      agree: false,
      by: 'embedding',
    });
  });
});

describe('static-use embedder', () => {
  it('tokenises with the USE-lite SentencePiece vocabulary by highest total log-probability', () => {
    const tok = new SentencePieceTokenizer(
      [
        ['<unk>', 0],
        ['▁re', -3],
        ['new', -4],
        ['▁renew', -5],
        ['▁', -2],
        ['r', -6],
        ['e', -6],
      ],
      1,
    );
    // ▁renew (-5) beats ▁re + new (-7)
    expect(tok.encode('renew')).toEqual([3]);
    // an unknown character is id 0; a run of them is one 0
    expect(tok.encode('renew ##')).toEqual([3, 4, 0]);
    expect(tok.encode('')).toEqual([]);
  });

  it('embeds paraphrases closer than unrelated questions, and the shipped calibration is for it', () => {
    const e = createStaticUseEmbedder();
    const cos = (a: string, b: string): number => {
      const x = e.embedSync(a);
      const y = e.embedSync(b);
      let d = 0;
      for (let i = 0; i < x.length; i++) d += x[i]! * y[i]!;
      return d;
    };
    expect(e.dim).toBe(256);
    const near = cos('How do I renew my parking permit?', 'How can I renew my parking permit?');
    const far = cos('How do I renew my parking permit?', 'What is the capital of France?');
    expect(near).toBeGreaterThan(0.9);
    expect(far).toBeLessThan(near - 0.3);
    expect(CalibrationSchema.parse(JSON.parse(readFileSync(shippedCalibrationPath('static-use'), 'utf8'))).embedder).toBe(e.id);
    expect(CalibrationSchema.parse(JSON.parse(readFileSync(shippedCalibrationPath('builtin'), 'utf8'))).embedder).toBe(createBuiltinEmbedder().id);
  });
});

describe('cache calibrate and cache eval (the CLI, from dist/)', () => {
  const run = (args: string[]): { status: number | null; stdout: string; stderr: string } => {
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const dir = mkdtempSync(join(tmpdir(), 'cw-cal-'));
  const pairs = join(dir, 'pairs.jsonl');
  const topics = ['renew my parking permit', 'bake bread at home', 'learn to swim as an adult', 'fix a flat bicycle tyre', 'grow tomatoes on a balcony'];
  writeFileSync(
    pairs,
    topics
      .flatMap((t) => [
        { a: `How do I ${t}?`, b: `How can I ${t}?`, duplicate: true },
        { a: `Why is it hard to ${t}?`, b: `Why is it hard to ${t} in winter?`, duplicate: false },
      ])
      .map((r) => JSON.stringify(r))
      .join('\n') + '\n',
  );

  it('writes a calibration that eval then uses for the target rate', () => {
    const out = join(dir, 'cal.json');
    const c = run(['cache', 'calibrate', '--pairs', pairs, '--split', 'all', '--max-wrong-hit-rate', '0.1', '-o', out]);
    expect(c.status, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/target wrong-hit rate 10\.0% → threshold 1 \(target NOT reached: grid top\)/); // 10 queries: never 30 hits
    const cal = CalibrationSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
    expect(cal).toMatchObject({ embedder: createBuiltinEmbedder().id, queries: 10, duplicates: 5, maxWrongHitRate: 0.1, threshold: 1 });
    const e = run(['cache', 'eval', '--pairs', pairs, '--calibration', out, '--max-wrong-hit-rate', '0.1', '--format', 'json']);
    expect(e.status, e.stderr).toBe(0);
    const report = JSON.parse(e.stdout) as { threshold: number; calibrated: { file: string; max_wrong_hit_rate: number } };
    expect(report.threshold).toBe(1);
    expect(report.calibrated).toEqual({ file: out, max_wrong_hit_rate: 0.1 });
  });

  it('--rerank: the full model re-scores the shortlist; its calibration is its own, and eval reports the latency', () => {
    const out = join(dir, 'cal-rerank.json');
    const c = run(['cache', 'calibrate', '--pairs', pairs, '--split', 'all', '--rerank', '--rerank-floor', '0.5', '-o', out]);
    expect(c.status, c.stderr).toBe(0);
    const cal = CalibrationSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
    expect(cal.embedder).toBe(`${createBuiltinEmbedder().id}+rerank:use-lite:0.2.0`);
    // The five paraphrases are each re-ranked to their own question at a cosine above 0.9.
    expect(cal.curve.find(([t]) => t === 0.9)).toEqual([0.9, 5, 0]);
    const e = run(['cache', 'eval', '--pairs', pairs, '--rerank', '--rerank-floor', '0.5', '--calibration', out, '--format', 'json']);
    expect(e.status, e.stderr).toBe(0);
    const report = JSON.parse(e.stdout) as { embedder: string; rerank: { floor: number; timeouts: number }; lookup_ms_p50: number; lookup_ms_p99: number };
    expect(report.embedder).toBe(cal.embedder);
    expect(report.rerank).toMatchObject({ floor: 0.5, timeouts: 0 });
    expect(report.lookup_ms_p99).toBeGreaterThanOrEqual(report.lookup_ms_p50);
    expect(report.lookup_ms_p50).toBeGreaterThan(0);
    const plain = run(['cache', 'eval', '--pairs', pairs, '--calibration', out, '--format', 'json']);
    expect(plain.stderr).toMatch(/is for embedder builtin:.*\+rerank:use-lite.*not builtin:/);
  }, 60_000);

  it('names the bad option, and refuses a calibration made for another embedder', () => {
    const bad = run(['cache', 'calibrate', '--pairs', pairs, '--max-wrong-hit-rate', '2', '-o', join(dir, 'x.json')]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--max-wrong-hit-rate.*must be a number in \[0, 1\)/);
    const other = run(['cache', 'eval', '--pairs', pairs, '--embedder', 'static-use', '--calibration', shippedCalibrationPath('builtin'), '--format', 'json']);
    expect(other.status).not.toBe(0);
    expect(other.stderr).toMatch(/is for embedder builtin:.*not static-use:/);
  });
});
