import { describe, expect, it } from 'vitest';
import { decodePythonStringList } from '../../src/routing/learned/pyrepr.js';
import { splitPrompt } from '../../src/routing/learned/query.js';
import { featurizeV2, STATS_V2 } from '../../src/routing/learned/features-v2.js';
import { ClusterScorer, trainClusters } from '../../src/routing/learned/clusters.js';
import { fitCostModel, predictCost, solve } from '../../src/routing/learned/cost-model.js';
import { chooseByUtility, lambdaForKnob } from '../../src/routing/learned/utility.js';
import { LearnedRouter, MODEL_FORMAT, parseRouterModel, serializeRouterModel } from '../../src/routing/learned/model.js';
import { trainRouter } from '../../src/routing/learned/train.js';
import { evaluateRouter } from '../../src/routing/learned/evaluate.js';
import { parseRouterBench } from '../../src/routing/learned/data.js';

describe('RouterBench prompt decoding', () => {
  it('decodes a Python list-of-strings literal with escapes', () => {
    expect(decodePythonStringList("['Q?\\nA) x\\nB) it\\'s']")).toBe("Q?\nA) x\nB) it's");
    expect(decodePythonStringList('["say \\"hi\\"", \'two\']')).toBe('say "hi"\ntwo');
    expect(decodePythonStringList("['caf\\xe9 \\u00e9']")).toBe('café é');
  });
  it('leaves anything else unchanged', () => {
    for (const s of ['plain prompt', "['unterminated", "['a'] trailing", '[1, 2]', "['a' 'b'"]) expect(decodePythonStringList(s)).toBe(s);
  });
  it('is applied by the RouterBench loader', () => {
    const csv = 'prompt,eval_name,m,m|total_cost\n"[\'line 1\\nline 2\']",t,1,0.1\n';
    expect(parseRouterBench(csv).rows[0]?.prompt).toBe('line 1\nline 2');
  });
});

describe('query split', () => {
  it('takes the last block of a few-shot prompt and counts the answered examples', () => {
    const shot = 'Which gas do plants take in?\nA) oxygen\nB) carbon dioxide\nAnswer:\nB';
    const q = 'What is the boiling point of water at sea level in degrees Celsius?\nA) 90\nB) 100\nAnswer:';
    const parts = splitPrompt(`${shot}\n\n${shot}\n\n${q}`);
    expect(parts.query).toBe(q);
    expect(parts.shots).toBe(2);
    expect(parts.context).toBe(`${shot}\n\n${shot}`);
  });
  it('grows a short last block backwards and keeps single-block prompts whole', () => {
    expect(splitPrompt('Instructions for the task.\n\nShort?').query).toBe('Instructions for the task.\n\nShort?');
    expect(splitPrompt('  just one block  ')).toEqual({ context: '', query: 'just one block', shots: 0 });
  });
});

describe('features v2', () => {
  const val = (x: ReturnType<typeof featurizeV2>, slot: number): number => x.val[x.idx.indexOf(slot)] ?? NaN;
  it('puts the bias and task-shape statistics first and hashes into the declared dimension', () => {
    const mc = featurizeV2('The capital of France is _.\nA) Paris\nB) Rome\nAnswer:', 512);
    expect(mc.idx[0]).toBe(0);
    expect(val(mc, 9)).toBe(1); // has options
    expect(val(mc, 11)).toBe(1); // exactly two options
    expect(val(mc, 12)).toBe(1); // fill in the blank
    expect(val(mc, 14)).toBe(0); // no code request
    const code = featurizeV2('Write a python function to reverse a linked list.', 512);
    expect(val(code, 9)).toBe(0);
    expect(val(code, 14)).toBe(1);
    for (const x of [mc, code]) for (let k = STATS_V2; k < x.idx.length; k++) expect(x.idx[k]).toBeGreaterThanOrEqual(STATS_V2);
    for (const i of code.idx) expect(i).toBeLessThan(512);
  });
  it('is deterministic and depends on the query, not on repeated examples', () => {
    const shots = 'Example question?\nA) a\nB) b\nAnswer:\nA';
    const a = featurizeV2(`${shots}\n\nWhich planet is largest in the solar system today?`, 4096);
    const b = featurizeV2(`${shots}\n\n${shots}\n\nWhich planet is largest in the solar system today?`, 4096);
    const hashed = (x: typeof a): string =>
      Array.from(x.idx.slice(STATS_V2))
        .sort((p, q) => p - q)
        .join(',');
    expect(hashed(a)).toBe(hashed(b));
    expect(featurizeV2('same prompt', 1024)).toEqual(featurizeV2('same prompt', 1024));
  });
});

describe('clusters', () => {
  const math = Array.from({ length: 40 }, (_, i) => `solve the integral of x to the power ${i} over the interval`);
  const code = Array.from({ length: 40 }, (_, i) => `write a python function number ${i} that sorts a list of strings`);
  const xs = [...math, ...code].map((p) => featurizeV2(p, 2048));
  // candidate 0 is good at code only, candidate 1 at math only
  const scores = [...math.map(() => [0, 1]), ...code.map(() => [1, 0])];
  const model = trainClusters(xs, scores, 2048, { k: 4, iterations: 5, seed: 1, keep: 300, smoothing: 1, top: 2, power: 2, priorWeight: 0.05 });
  const scorer = new ClusterScorer(model, 2048);
  it('learns per-cluster rates that separate the two kinds of prompt', () => {
    const m = scorer.predict(featurizeV2('solve the integral of x to the power 99 over the interval', 2048));
    const c = scorer.predict(featurizeV2('write a python function number 99 that sorts a list of strings', 2048));
    expect(m[1]).toBeGreaterThan(0.8);
    expect(m[0]).toBeLessThan(0.2);
    expect(c[0]).toBeGreaterThan(0.8);
    expect(c[1]).toBeLessThan(0.2);
    for (const cl of model.clusters) expect(cl.idx.length).toBeLessThanOrEqual(300);
  });
  it('hedges toward the overall rates for a prompt unlike any cluster', () => {
    const p = scorer.predict(featurizeV2('zzqx vvkw', 2048));
    for (const v of p) {
      expect(v).toBeGreaterThan(0.15);
      expect(v).toBeLessThan(0.85);
    }
  });
});

describe('cost model', () => {
  it('solves a small linear system', () => {
    expect(
      solve(
        [
          [2, 1],
          [1, 3],
        ],
        [3, 5],
      ).map((v) => Number(v.toFixed(9))),
    ).toEqual([0.8, 1.4]);
  });
  it('recovers a log-linear cost from the dense slots', () => {
    const xs = Array.from({ length: 50 }, (_, i) => ({ idx: Int32Array.from([0, 1]), val: Float32Array.from([1, i / 50]) }));
    const costs = xs.map((x) => Math.exp(-6 + 2 * (x.val[1] ?? 0)));
    const m = fitCostModel(xs, costs, 2);
    const probe = { idx: Int32Array.from([0, 1]), val: Float32Array.from([1, 0.5]) };
    expect(predictCost(m, probe)).toBeCloseTo(Math.exp(-5), 4);
  });
});

describe('utility rule', () => {
  it('maps the knob to λ: 1 → 0, 0.5 → 1, 0 → ∞', () => {
    expect(lambdaForKnob(1)).toBe(0);
    expect(lambdaForKnob(0.5)).toBe(1);
    expect(lambdaForKnob(0)).toBe(Infinity);
    expect(lambdaForKnob(0.8)).toBeCloseTo(0.0625, 12);
  });
  it('trades predicted accuracy against predicted cost', () => {
    const p = [0.7, 0.9];
    const costs = [0.1, 1];
    expect(chooseByUtility(p, costs, 1, 1)).toBe(1);
    expect(chooseByUtility(p, costs, 1, 0.9)).toBe(1); // λ ≈ 0.012: +0.2 is worth 0.9 × λ
    expect(chooseByUtility(p, costs, 1, 0.5)).toBe(0); // λ = 1
    expect(chooseByUtility(p, costs, 1, 0)).toBe(0);
    expect(chooseByUtility([0.8, 0.8], [0.5, 0.2], 1, 1)).toBe(1); // tie → cheaper
    // the same gain is worth buying on a cheap prompt but not on a dear one
    expect(chooseByUtility(p, [0.01, 0.1], 1, 0.5)).toBe(1);
  });
});

describe('version-2 model', () => {
  const rows = Array.from({ length: 160 }, (_, i) => {
    const code = i % 2 === 0;
    return {
      prompt: code ? `Write a function that returns item ${i} of a list.` : `Question ${i}: which option is right?\nA) red\nB) blue\nAnswer:`,
      group: code ? 'code' : 'mc',
      // small is as good as big on multiple choice, useless on code; code answers cost more
      scores: [code ? 0 : 1, 1],
      costs: code ? [0.002, 0.05] : [0.001, 0.01],
    };
  });
  const ds = { models: ['small', 'big'], rows };
  const model = trainRouter(ds, { dim: 2048, epochs: 5, clusters: { k: 6 } });

  it('routes by prompt kind and predicts per-prompt cost', () => {
    expect(model.version).toBe(2);
    const router = new LearnedRouter(model);
    const mc = router.decide('Question 999: which option is right?\nA) red\nB) blue\nAnswer:', 0.6);
    expect(mc).toMatchObject({ name: 'small', reason: 'utility' });
    expect(router.decide('Write a function that returns item 999 of a list.', 0.6).name).toBe('big');
    const e = router.estimate('Write a function that returns item 999 of a list.');
    expect(e.costs[1]).toBeGreaterThan(0.03);
    expect(router.estimate('Question 999: which option is right?\nA) red\nB) blue\nAnswer:').costs[1]).toBeLessThan(0.02);
    const r = evaluateRouter(router, ds);
    // the oracle: multiple choice on small, code on big = (80 × 0.001 + 80 × 0.05) / (80 × 0.01 + 80 × 0.05)
    expect(r.matches_best?.cost_share_of_best).toBeCloseTo(4.08 / 4.8, 6);
  });

  it('round-trips through JSON, and version-1 files still load', () => {
    const back = parseRouterModel(JSON.parse(serializeRouterModel(model)));
    const a = new LearnedRouter(model).decide('Write a function that returns item 5 of a list.', 0.8);
    const b = new LearnedRouter(back).decide('Write a function that returns item 5 of a list.', 0.8);
    expect(b.name).toBe(a.name);
    expect(b.probabilities[1]).toBeCloseTo(a.probabilities[1] ?? 0, 3);
    const v1 = {
      format: MODEL_FORMAT,
      version: 1,
      dim: 64,
      defaultQuality: 0.5,
      rule: 'relative',
      candidates: [{ name: 'x', costPerCall: 1, weights: new Array(64).fill(0) }],
      training: { rows: 0, sources: [] },
    };
    expect(new LearnedRouter(parseRouterModel(v1)).decide('hi').name).toBe('x');
    expect(() => parseRouterModel({ ...JSON.parse(serializeRouterModel(model)), blend: 2 })).toThrow();
    expect(() => parseRouterModel({ ...v1, version: 2 })).toThrow();
  });
});
