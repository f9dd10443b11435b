// Hit rates that follow the traffic, checked against the real gateway: a day of requests whose
// questions repeat with a Zipf popularity is replayed (costwise replay: the real response cache on
// the simulated clock) at 3× the rate and, thinned to every third request on average, at 1×. The
// projection's derived response-cache hit rates must land within 3 points of the replayed ones,
// both from the popularity the trace was drawn with and from the popularity fitted on the 1×
// replay's own ledger (--from-ledger).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildCatalog } from '../../src/config/catalog.js';
import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import { loadConfig } from '../../src/config/load.js';
import { fitPopularity } from '../../src/projection/fit-popularity.js';
import { deriveScenario } from '../../src/projection/from-ledger.js';
import { parseScenario } from '../../src/projection/load.js';
import { SECONDS_PER_MONTH, ttlHitRate } from '../../src/projection/popularity.js';
import { project, cacheRates } from '../../src/projection/project.js';
import { loadPolicy, replay } from '../../src/replay/index.js';
import type { LedgerRow } from '../../src/storage/types.js';
import { TempDir } from './fixtures.js';
import { thinToOneThird, zipfArrivals, type Arrival } from './zipf-trace.js';

const T0 = Date.UTC(2026, 5, 1);
const SPAN_S = 23 * 3600; // under a day, so --from-ledger's month is 30 × this day
const RATE_3X = 0.045; // requests a second at 3×
const KEYS = 200;
const EXPONENT = 1;
const TTL_S = 600;
const MODEL = 'gpt-4.1-mini';

/** Poisson arrivals at RATE_3X with Zipf(EXPONENT) keys over KEYS questions. */
function arrivals(): Arrival[] {
  return zipfArrivals({ seed: 20, start: T0, spanSeconds: SPAN_S, ratePerSecond: RATE_3X, keys: KEYS, exponent: EXPONENT });
}

function traceText(list: readonly Arrival[]): string {
  return (
    list
      .map((a) =>
        JSON.stringify({
          timestamp: a.ts,
          body: { model: MODEL, temperature: 0, max_tokens: 16, messages: [{ role: 'user', content: `What is the office's answer to question ${a.key}?` }] },
          output_tokens: 8,
        }),
      )
      .join('\n') + '\n'
  );
}

let tmp: TempDir;
let at1: { rows: LedgerRow[]; hitRate: number; requests: number };
let at3: { rows: LedgerRow[]; hitRate: number; requests: number };

async function replayed(file: string, policyFile: string): Promise<{ rows: LedgerRow[]; hitRate: number; requests: number }> {
  const outcome = await replay({ file, policies: [loadPolicy(policyFile)], model: MODEL, speed: 'max', transport: 'direct', seed: 1, top: 0 });
  const rows = outcome.runs[0]!.rows.filter((r) => r.parentId === null && r.status === 200);
  return { rows, requests: rows.length, hitRate: rows.filter((r) => r.cache === 'hit-exact').length / rows.length };
}

beforeAll(async () => {
  tmp = new TempDir();
  const all = arrivals();
  const thinned = thinToOneThird(all, 3);
  const policy = tmp.scenario(stringify({ ...structuredClone(DEFAULT_CONFIG), cache: { ...DEFAULT_CONFIG.cache, ttlSeconds: TTL_S } }), 'policy.yaml');
  at3 = await replayed(tmp.scenario(traceText(all), 'trace-3x.jsonl'), policy);
  at1 = await replayed(tmp.scenario(traceText(thinned), 'trace-1x.jsonl'), policy);
}, 300_000);
afterAll(() => tmp.dispose());

/** The projected response-cache hit rate of month 1 at scale 1 and 3. */
function projected(scenario: ReturnType<typeof parseScenario>): [number, number] {
  const p = project(scenario, [1, 3]);
  return [cacheRates(p.scales[0]!.months.slice(0, 1)).hitRate, cacheRates(p.scales[1]!.months.slice(0, 1)).hitRate];
}

describe('response-cache hit rates that follow the traffic', () => {
  it('the replay sees more hits at 3× than at 1×', () => {
    expect(at3.requests).toBeGreaterThan(2.7 * at1.requests);
    expect(at3.hitRate).toBeGreaterThan(at1.hitRate + 0.08);
  });

  it('from the popularity the trace was drawn with: projected within 3 points of the replay at 1× and 3×', () => {
    const launch = (at1.requests / SPAN_S) * SECONDS_PER_MONTH;
    const scenario = parseScenario(
      {
        name: 'zipf questions',
        months: 1,
        volume: { launch },
        naive_model: MODEL,
        mix: [
          {
            name: 'questions',
            share: 1,
            input_tokens: 20,
            output_tokens: 8,
            serve: { model: MODEL },
            assumptions: { response_cache: { popularity: { zipf_exponent: EXPONENT, catalogue_size: KEYS, ttl_seconds: TTL_S } } },
          },
        ],
      },
      '',
    );
    const [one, three] = projected(scenario);
    expect(Math.abs(one - at1.hitRate), `1×: projected ${one}, replayed ${at1.hitRate}`).toBeLessThan(0.03);
    expect(Math.abs(three - at3.hitRate), `3×: projected ${three}, replayed ${at3.hitRate}`).toBeLessThan(0.03);
  });

  it('from the popularity fitted on the 1× replay ledger: projected within 3 points of the replay at 1× and 3×', () => {
    const catalog = buildCatalog(loadConfig(undefined).config, 'http://127.0.0.1:1');
    const derived = deriveScenario(at1.rows, { days: 30, months: 1, growth: 0, catalog, config: '', responseCacheTtlSeconds: TTL_S });
    const popularity = derived.input.mix[0]!.assumptions!.response_cache!.popularity;
    expect(popularity).toBeDefined();
    // The ledger's month is 30 × the observed day; the trace's day is 23 h, so its rate is 23/24 of the replay's.
    const scenario = parseScenario(derived.input, '');
    const [one, three] = projected(scenario);
    expect(Math.abs(one - at1.hitRate), `1×: projected ${one}, replayed ${at1.hitRate} (${JSON.stringify(popularity)})`).toBeLessThan(0.03);
    expect(Math.abs(three - at3.hitRate), `3×: projected ${three}, replayed ${at3.hitRate} (${JSON.stringify(popularity)})`).toBeLessThan(0.03);
  });
});

describe('the TTL-cache model', () => {
  it('large catalogues are summed in buckets within 0.1 point of the exact sum', () => {
    const exact = (s: number, n: number, lt: number): number => {
      let z = 0;
      for (let i = 1; i <= n; i++) z += Math.pow(i, -s);
      let h = 0;
      for (let i = 1; i <= n; i++) {
        const p = Math.pow(i, -s) / z;
        h += p * -Math.expm1(-lt * p);
      }
      return h;
    };
    for (const s of [0.6, 1, 1.3])
      for (const lt of [100, 10_000, 1_000_000]) {
        const pop = { zipfExponent: s, catalogueSize: 300_000 };
        expect(Math.abs(ttlHitRate(pop, lt, 1, 'refresh-on-hit') - exact(s, 300_000, lt))).toBeLessThan(0.001);
      }
  });

  it('too few events keep the stated rate', () => {
    expect(fitPopularity([{ ts: 0, hit: true }], { ttlSeconds: 60, kind: 'from-write' })).toBeNull();
  });
});

describe('popularity in a scenario', () => {
  const base = {
    name: 'p',
    months: 2,
    volume: { launch: 100_000, growth: 1 },
    naive_model: MODEL,
    mix: [{ name: 'q', share: 1, input_tokens: 500, output_tokens: 50, serve: { model: MODEL } }],
  };

  it('bad popularity values are refused with their exact paths', () => {
    const bad = {
      ...base,
      assumptions: {
        response_cache: { popularity: { zipf_exponent: 0, catalogue_size: 1.5, ttl_seconds: -1 } },
        prompt_cache: { popularity: { catalogue_size: 10, keys: 3 } },
      },
    };
    expect(() => parseScenario(bad, '')).toThrow(
      [
        'invalid scenario:',
        '  - assumptions.response_cache.popularity.zipf_exponent: must be greater than 0',
        '  - assumptions.response_cache.popularity.catalogue_size: must be a whole number of distinct keys',
        '  - assumptions.response_cache.popularity.ttl_seconds: must be greater than 0',
        '  - assumptions.prompt_cache.popularity.zipf_exponent: required',
        '  - assumptions.prompt_cache.popularity: unknown key "keys"',
      ].join('\n'),
    );
  });

  it('the hit rate rises month by month with the volume, and the report says what that saves at 3×', () => {
    const s = parseScenario(
      { ...base, scale_factors: [1, 3], assumptions: { response_cache: { popularity: { zipf_exponent: 0.9, catalogue_size: 50_000 } } } },
      '',
    );
    const p = project(s);
    const [m1, m2] = p.base.months.map((m) => cacheRates([m]).hitRate);
    expect(m2!).toBeGreaterThan(m1! + 0.02);
    const at3 = cacheRates(p.scales[1]!.months.slice(0, 1)).hitRate;
    expect(at3).toBeGreaterThan(m1! + 0.02);
    expect(p.ratesAt1x[1]!.total.optimizedPico).toBeGreaterThan(p.scales[1]!.total.optimizedPico);
  });
});
