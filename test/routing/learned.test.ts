import { describe, expect, it } from 'vitest';
import { detectFormat, mergeDatasets, parseContaminated, parseOutcomeText, parseRouteLlm, parseRouterBench } from '../../src/routing/learned/data.js';
import { apgr, cpt, pgrCurve } from '../../src/routing/learned/metrics.js';
import { chooseByUtility } from '../../src/routing/learned/utility.js';
import { LearnedRouter, MODEL_FORMAT, parseRouterModel, serializeRouterModel, type RouterModelV1 } from '../../src/routing/learned/model.js';
import { featurize, STAT_FEATURES } from '../../src/routing/learned/features.js';
import { stratifiedSplit, trainRouter } from '../../src/routing/learned/train.js';
import { evaluateRouter } from '../../src/routing/learned/evaluate.js';
import { renderEvalSvg } from '../../src/routing/learned/plot.js';

const ROUTERBENCH = [
  ',sample_id,prompt,eval_name,cheap,dear,cheap|model_response,cheap|total_cost,dear|total_cost,oracle_model_to_route_to',
  '0,s0,"What is 2+2?\nAnswer:",arc,1,1,"4",0.001,0.01,cheap',
  '1,s1,"Prove, carefully, that ""x"" holds",arc,0,1,"no",0.002,0.02,dear',
  '2,s2,Write code,mbpp,,0,"",0.001,,dear',
].join('\r\n');

const ROUTELLM = 'prompt,weak,strong\n"Q1?\nA. x\nB. y\nAnswer:",False,True\nQ2,1,0\n';

describe('data loaders', () => {
  it('parses RouterBench rows: scores, costs, groups, missing cells', () => {
    const ds = parseRouterBench(ROUTERBENCH);
    expect(ds.models).toEqual(['cheap', 'dear']);
    expect(ds.rows).toHaveLength(3);
    expect(ds.rows[0]).toEqual({ prompt: 'What is 2+2?\nAnswer:', group: 'arc', scores: [1, 1], costs: [0.001, 0.01] });
    expect(ds.rows[1]?.prompt).toBe('Prove, carefully, that "x" holds');
    expect(ds.rows[2]).toMatchObject({ group: 'mbpp', scores: [null, 0], costs: [0.001, null] });
  });
  it('parses RouteLLM rows and prices them from token counts', () => {
    const ds = parseRouteLlm(ROUTELLM, { source: 'mmlu_x', prices: { weak: { input: 1, output: 1 }, strong: { input: 10, output: 30 } }, outputTokens: 2 });
    expect(ds.models).toEqual(['weak', 'strong']);
    expect(ds.rows.map((r) => r.scores)).toEqual([
      [0, 1],
      [1, 0],
    ]);
    const [w, s] = ds.rows[0]?.costs ?? [];
    expect(w).toBeGreaterThan(0);
    // tokens × 10 + 2 × 30 vs tokens × 1 + 2 × 1 (per million)
    const tokens = (w ?? 0) * 1e6 - 2;
    expect(s).toBeCloseTo((tokens * 10 + 60) / 1e6, 12);
    expect(ds.rows[0]?.group).toBe('mmlu_x');
  });
  it('detects the format and merges over the union of models', () => {
    expect(detectFormat(['prompt', 'a', 'a|total_cost'])).toBe('routerbench');
    expect(detectFormat(['prompt', 'a', 'b'])).toBe('routellm');
    const merged = mergeDatasets([parseOutcomeText(ROUTERBENCH, 'rb'), parseOutcomeText(ROUTELLM, 'rl')]);
    expect(merged.models).toEqual(['cheap', 'dear', 'weak', 'strong']);
    expect(merged.rows[3]?.scores).toEqual([null, null, 0, 1]);
  });
  it('reads both prompts of contaminated_prompts.jsonl', () => {
    const set = parseContaminated('{"train_prompt":"a","eval_prompt":"b","train_idx":1,"eval_idx":2}\n\n');
    expect([...set]).toEqual(['a', 'b']);
  });
});

describe('RouteLLM metrics', () => {
  // weak right on 0,1; strong right on 0,2,3 → q_weak 0.5, q_strong 0.75
  const weak = [1, 1, 0, 0];
  const strong = [1, 0, 1, 1];
  it('perfect priority: PGR exceeds 1 once the prompts only the strong model gets are sent to it', () => {
    const curve = pgrCurve({ weak, strong, priority: [0, -1, 5, 4] });
    // accuracy 0.5 → 0.75 → 1 → 1 → 0.75 (the last call loses prompt 1, which only weak gets)
    expect(curve.map((p) => p.pgr)).toEqual([0, 1, 2, 2, 1]);
    // trapezoids of width 0.25: (0+1)/2 + (1+2)/2 + (2+2)/2 + (2+1)/2 = 5.5 → × 0.25
    expect(apgr(curve)).toBeCloseTo(1.375, 12);
    expect(cpt(curve, 0.5)).toBe(0.25);
    expect(cpt(curve, 0.8)).toBe(0.25);
  });
  it('a router that routes in random order averages APGR 0.5 (all orders of a two-prompt case)', () => {
    // weak wrong on both, strong right on both: PGR grows linearly whatever the order
    const curve = pgrCurve({ weak: [0, 0], strong: [1, 1], priority: [0, 0] });
    expect(apgr(curve)).toBeCloseTo(0.5, 12);
    expect(cpt(curve, 0.5)).toBe(0.5);
    expect(cpt(curve, 0.8)).toBe(1);
  });
  it('a block of equal priorities is unordered: it adds its mean gain per step, whatever the input order', () => {
    // Only prompt 1 gains from the strong model; tied with prompt 0, each step adds half its gain.
    const a = pgrCurve({ weak: [1, 0], strong: [1, 1], priority: [3, 3] });
    const b = pgrCurve({ weak: [0, 1], strong: [1, 1], priority: [3, 3] });
    expect(a.map((p) => p.pgr)).toEqual([0, 0.5, 1]);
    expect(b.map((p) => p.pgr)).toEqual([0, 0.5, 1]);
    expect(apgr(a)).toBeCloseTo(0.5, 12);
  });
  it('worst order gives the mirror of the perfect one', () => {
    const curve = pgrCurve({ weak, strong, priority: [0, 5, -1, -2] });
    expect(curve.map((p) => p.pgr)).toEqual([0, -1, -1, 0, 1]);
    expect(apgr(curve)).toBeCloseTo(-0.375, 12);
  });
});

function toyModel(rule: RouterModelV1['rule'], biases: number[], costs: number[]): RouterModelV1 {
  const dim = 64;
  return {
    format: MODEL_FORMAT,
    version: 1,
    dim,
    defaultQuality: 0.7,
    rule,
    candidates: biases.map((b, i) => ({ name: `m${i}`, costPerCall: costs[i] ?? 0, weights: Array.from({ length: dim }, (_, j) => (j === 0 ? b : 0)) })),
    training: { rows: 0, sources: [] },
  };
}

describe('decision rule', () => {
  it('absolute: the cheapest model whose P clears the knob, else the highest P', () => {
    const r = new LearnedRouter(toyModel('absolute', [0, 0, 0], [3, 1, 2]));
    expect(r.choose([0.95, 0.5, 0.8], 0.7)).toMatchObject({ name: 'm2', reason: 'cleared' });
    expect(r.choose([0.95, 0.75, 0.8], 0.7)).toMatchObject({ name: 'm1', reason: 'cleared' });
    expect(r.choose([0.6, 0.5, 0.65], 0.9)).toMatchObject({ name: 'm2', reason: 'best-effort' });
    expect(r.choose([0.6, 0.5, 0.65], 0)).toMatchObject({ name: 'm1' });
  });
  it('only allowed candidates (the ones that can serve the request) are ever chosen', () => {
    const r = new LearnedRouter(toyModel('absolute', [0, 0, 0], [3, 1, 2]));
    expect(r.choose([0.95, 0.5, 0.8], 0.7, undefined, [true, true, false])).toMatchObject({ name: 'm0', reason: 'cleared' });
    expect(r.choose([0.95, 0.5, 0.8], 0.99, undefined, [false, true, true])).toMatchObject({ name: 'm2', reason: 'best-effort' });
    expect(r.choose([0.95, 0.5, 0.8], 0.7, undefined, [false, false, false])).toBeUndefined();
    expect(chooseByUtility([0.9, 0.5], [10, 1], 10, 0, [false, true])).toBe(1);
    expect(chooseByUtility([0.9, 0.5], [10, 1], 10, 1, [false, true])).toBe(1);
    expect(chooseByUtility([0.9, 0.5], [10, 1], 10, 1, [false, false])).toBe(-1);
  });
  it('relative: the cheapest model within (1 − knob) of the best predicted P', () => {
    const r = new LearnedRouter(toyModel('relative', [0, 0], [1, 10]));
    expect(r.choose([0.7, 0.9], 0.9)).toMatchObject({ name: 'm1' }); // gap 0.2 > 0.1
    expect(r.choose([0.7, 0.9], 0.75)).toMatchObject({ name: 'm0' }); // gap 0.2 ≤ 0.25
    expect(r.choose([0.7, 0.9], 1)).toMatchObject({ name: 'm1' });
    expect(r.choose([0.1, 0.9], 0)).toMatchObject({ name: 'm0' });
  });
  it('decides from a prompt (bias-only weights) and runs fast enough to call in a loop', () => {
    const r = new LearnedRouter(toyModel('absolute', [-3, 3], [1, 2]));
    const d = r.decide('Which of these is a prime? A. 4 B. 9 C. 7 D. 12', 0.5);
    expect(d.name).toBe('m1');
    expect(d.probabilities[0]).toBeLessThan(0.5);
    for (let i = 0; i < 2000; i++) r.decide(`prompt number ${i} ` + 'x '.repeat(i % 300));
  });
});

describe('model JSON', () => {
  it('round-trips through serialise / parse and rejects a bad file', () => {
    const m = toyModel('relative', [0.123456789, -2], [0.5, 1]);
    const back = parseRouterModel(JSON.parse(serializeRouterModel(m)));
    expect(back.candidates[0]?.weights[0]).toBeCloseTo(0.12346, 5);
    expect(back.rule).toBe('relative');
    expect(() => parseRouterModel({ ...m, dim: 65 })).toThrow();
    expect(() => parseRouterModel({ ...m, extra: 1 })).toThrow();
  });
});

describe('features and training', () => {
  it('featurises into the declared dimension with dense stats first', () => {
    const x = featurize('def f(x):\n    return x + 1', 256);
    expect(x.idx[0]).toBe(0);
    expect(x.val[7]).toBe(1); // code marker
    for (const i of x.idx) expect(i).toBeLessThan(256);
    for (let k = STAT_FEATURES; k < x.idx.length; k++) expect(x.idx[k]).toBeGreaterThanOrEqual(STAT_FEATURES);
  });
  it('stratified split holds out the fraction of each group, disjointly', () => {
    const groups = [...Array<string>(10).fill('a'), ...Array<string>(20).fill('b')];
    const { train, test } = stratifiedSplit(groups, 0.3, 1);
    expect(test.filter((i) => groups[i] === 'a')).toHaveLength(3);
    expect(test.filter((i) => groups[i] === 'b')).toHaveLength(6);
    expect(new Set([...train, ...test]).size).toBe(30);
  });
  it('learns a separable signal and the evaluation report has the documented shape', () => {
    const rows = Array.from({ length: 200 }, (_, i) => {
      const hard = i % 2 === 0;
      return {
        prompt: hard ? `integral of x^${i} dx` : `capital of country ${i}`,
        group: hard ? 'math' : 'geo',
        scores: [hard ? 0 : 1, 1],
        costs: [0.001, 0.02],
      };
    });
    const ds = { models: ['small', 'big'], rows };
    const model = trainRouter(ds, { version: 1, dim: 1024, epochs: 5 });
    const router = new LearnedRouter(model);
    expect(router.decide('integral of x^3 dx', 0.9).name).toBe('big');
    expect(router.decide('capital of country 7', 0.9).name).toBe('small');
    const r = evaluateRouter(router, ds);
    // perfect ranking with q_weak 0.5, q_strong 1: PGR rises to 1 at 50% strong calls → APGR 0.75
    expect(r.apgr).toBeCloseTo(0.75, 2);
    expect(r.oracle).toEqual({ accuracy: 1, cost_usd: r.oracle.cost_usd }); // and no other field
    expect(r.oracle.cost_usd).toBeCloseTo(100 * 0.001 + 100 * 0.02, 9);
    expect(r.curve).toHaveLength(41);
    expect(renderEvalSvg(r)).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
  });
});
