// A small scenario computed by hand, to the cent (and here to the pico-dollar).
//
// Prices (USD per million tokens): big 3 in / 15 out / 0.30 cache read / 3.75 5m write;
// small 1 in / 5 out / 0.10 read / 1.25 write; batch = 50% of every class (Anthropic kind).
// Volume: month 1 = 1,000 requests, month 2 = 2,000 (growth 100%). faq 60%, summary 40%.
//
// Month 1, faq: 600 requests, 1,000 in + 200 out, naive on big, served by small (tier cheap).
//   naive          1000×3 + 200×15 = 6,000 µ$ × 600                        = $3.60
//   routing        on small: 1000×1 + 200×5 = 2,000 µ$ × 600 = $1.20       saving $2.40
//   prompt opt     900 in: 900×1 + 200×5 = 1,900 µ$ × 600 = $1.14          saving $0.06
//   response cache 20% hits = 120 free, 480 × 1,900 µ$ = $0.912            saving $0.228
//   prompt cache   prefix 450 tokens; 80% of 480 = 384 read it, 96 write it
//                  read:  450×1 + 450×0.10 + 200×5 = 1,495 µ$
//                  write: 450×1 + 450×1.25 + 200×5 = 2,012.5 µ$
//                  384×1,495 + 96×2,012.5 = 574,080 + 193,200 = 767,280 µ$ = $0.76728   saving $0.14472
//   batching       0% batchable                                            saving $0
// Month 1, summary: 400 requests, 2,000 in + 500 out, naive and served on big.
//   naive          2000×3 + 500×15 = 13,500 µ$ × 400                        = $5.40
//   routing, prompt opt, response cache, prompt cache: nothing (same model, no rates)
//   batching       200 batched at 6,750 µ$ + 200 sync at 13,500 µ$ = $1.35 + $2.70 = $4.05   saving $1.35
// Month 1 total: naive $9.00, optimised 0.76728 + 4.05 = $4.81728;
//   savings 2.40 + 0.06 + 0.228 + 0.14472 + 1.35 = 4.18272 = 9.00 − 4.81728.
// Month 2: every count doubles (1,200/800; 240 hits; 768 readers, 192 writers; 400 batched), so
//   naive $18.00, optimised $9.63456, savings 4.80 / 0.12 / 0.456 / 0.28944 / 2.70.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { executeProject } from '../../src/cli/project.js';
import { loadScenario } from '../../src/projection/load.js';
import { project } from '../../src/projection/project.js';
import { TempDir, handScenario, parseReport } from './fixtures.js';

const USD = 1_000_000_000_000n; // pico-dollars per dollar
const usd = (dollars: string): bigint => {
  const [whole, frac = ''] = dollars.split('.');
  return BigInt(whole!) * USD + BigInt(frac.padEnd(12, '0'));
};

let tmp: TempDir;
beforeEach(() => (tmp = new TempDir()));
afterEach(() => tmp.dispose());

describe('hand-computed scenario', () => {
  it('matches the hand arithmetic to the pico-dollar, month by month', () => {
    const p = project(loadScenario(tmp.scenario(handScenario())));
    const [m1, m2] = p.base.months;
    expect(m1!.requests).toBe(1000);
    expect(m1!.naivePico).toBe(usd('9'));
    expect(m1!.optimizedPico).toBe(usd('4.81728'));
    expect(m1!.savingsPico).toEqual({
      routing: usd('2.40'),
      prompt_optimization: usd('0.06'),
      response_caching: usd('0.228'),
      prompt_caching: usd('0.14472'),
      batching: usd('1.35'),
    });
    expect(m2!.requests).toBe(2000);
    expect(m2!.naivePico).toBe(usd('18'));
    expect(m2!.optimizedPico).toBe(usd('9.63456'));
    expect(m2!.savingsPico).toEqual({
      routing: usd('4.80'),
      prompt_optimization: usd('0.12'),
      response_caching: usd('0.456'),
      prompt_caching: usd('0.28944'),
      batching: usd('2.70'),
    });
    expect(p.base.total.naivePico).toBe(usd('27'));
    expect(p.base.total.optimizedPico).toBe(usd('14.45184'));
  });

  it('the per-type details are the hand-counted requests', () => {
    const [faq, summary] = project(loadScenario(tmp.scenario(handScenario()))).base.months[0]!.types;
    expect(faq).toMatchObject({
      requests: 600,
      servedModel: 'small',
      naiveModel: 'big',
      inputTokensAfterOptimization: 900,
      responseCacheHits: 120,
      promptCacheReads: 384,
      batched: 0,
    });
    expect(summary).toMatchObject({ requests: 400, servedModel: 'big', responseCacheHits: 0, promptCacheReads: 0, batched: 200 });
  });

  it('scale 3 triples every count, so month 1 costs exactly three times as much', () => {
    const p = project(loadScenario(tmp.scenario(handScenario())));
    const x3 = p.scales.find((s) => s.scale === 3)!;
    expect(x3.months[0]!.requests).toBe(3000);
    expect(x3.months[0]!.naivePico).toBe(usd('27'));
    expect(x3.months[0]!.optimizedPico).toBe(usd('14.45184'));
  });

  it('JSON and CSV show the same numbers (CSV to the cent)', async () => {
    const file = tmp.scenario(handScenario());
    const json = parseReport((await executeProject({ scenario: file, format: 'json', days: 30, months: 12, growth: 0 })).text);
    expect(json.months[0]).toEqual({
      month: 1,
      requests: 1000,
      naive_cost_usd: 9,
      optimized_cost_usd: 4.81728,
      savings_usd: { routing: 2.4, prompt_optimization: 0.06, response_caching: 0.228, prompt_caching: 0.14472, batching: 1.35 },
      // 120 of 1,000 requests hit the response cache; 384 of the 880 sent upstream read the prefix.
      cache_rates: { response_cache_hit_rate: 0.12, prompt_cache_reuse_rate: 0.436364 },
    });
    expect(json.totals.optimized_cost_usd).toBe(14.45184);
    const csv = (await executeProject({ scenario: file, format: 'csv', days: 30, months: 12, growth: 0 })).text.trim().split('\n');
    expect(csv[1]).toBe('1,1,1000,9.00,4.82,2.40,0.06,0.23,0.14,1.35,0.120000,0.436364');
    expect(csv[2]).toBe('1,2,2000,18.00,9.63,4.80,0.12,0.46,0.29,2.70,0.120000,0.436364');
  });

  it('prompt caching is left off when its writes would cost more than its reads save', () => {
    // reuse 10%: 0.1 × 1,495 + 0.9 × 2,012.5 = 1,960.75 µ$ per request > 1,900 µ$ without caching.
    const s = handScenario();
    s.mix[0].assumptions.prompt_cache.reuse_rate = 0.1;
    const m1 = project(loadScenario(tmp.scenario(s))).base.months[0]!;
    expect(m1.savingsPico.prompt_caching).toBe(0n);
    expect(m1.types[0]!.promptCacheReads).toBe(0);
    expect(m1.optimizedPico).toBe(usd('0.912') + usd('4.05'));
  });

  it('with reuse growing with volume, month 2 reads more prefixes: 1 − 0.2² = 96% of 960 misses', () => {
    const s = { ...handScenario(), reuse_grows_with_volume: true };
    const p = project(loadScenario(tmp.scenario(s)));
    const faq2 = p.base.months[1]!.types[0]!;
    expect(faq2.promptCacheReads).toBe(922); // round(960 × 0.96) = round(921.6)
    // 922 × 1,495 + 38 × 2,012.5 = 1,378,390 + 76,475 = 1,454,865 µ$ for faq, + $8.10 for summary
    expect(p.base.months[1]!.optimizedPico).toBe(usd('1.454865') + usd('8.10'));
    // ... so the optimised cost grows less than the volume (sub-linearly).
    expect(p.base.months[1]!.optimizedPico < 2n * p.base.months[0]!.optimizedPico).toBe(true);
  });

  it('the printed month-by-month volume follows launch × (1 + growth)', () => {
    const s = { ...handScenario(), months: 4, volume: { launch: 1000, growth: [0.5, 0.1, -0.5] } };
    const p = project(loadScenario(tmp.scenario(s)));
    expect(p.base.months.map((m) => m.requests)).toEqual([1000, 1500, 1650, 825]);
    const listed = { ...handScenario(), months: undefined, volume: { monthly: [10, 20, 30] } };
    delete (listed as Record<string, unknown>)['months'];
    expect(project(loadScenario(tmp.scenario(listed, 'listed.yaml'))).base.months.map((m) => m.requests)).toEqual([10, 20, 30]);
  });

  it('the example scenario parses and its savings add up to naive − optimised in every month and scale', () => {
    const p = project(loadScenario('examples/scenario.yaml'));
    expect(p.scales.map((s) => s.scale)).toEqual([1, 3, 10]);
    for (const s of p.scales) {
      for (const m of s.months) {
        const sum = Object.values(m.savingsPico).reduce((a, b) => a + b, 0n);
        expect(sum).toBe(m.naivePico - m.optimizedPico);
      }
    }
  });
});
