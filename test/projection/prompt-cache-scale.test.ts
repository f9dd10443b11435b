// Prompt-cache reuse that follows the traffic, checked against the real gateway: requests whose
// system prompts are shared prefixes drawn with a Zipf popularity, each marked for caching by the
// caller, are replayed (costwise replay: the emulator's Anthropic prompt cache, 5-minute TTL
// refreshed on every read, on the simulated clock) at 3× the rate and, thinned to every third
// request on average, at 1×. The projection's prompt_cache_reuse_rate, derived from the same
// popularity, must land within 3 points of the share of requests that read their prefix.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import { parseScenario } from '../../src/projection/load.js';
import { SECONDS_PER_MONTH } from '../../src/projection/popularity.js';
import { cacheRates, project } from '../../src/projection/project.js';
import { loadPolicy, replay } from '../../src/replay/index.js';
import { TempDir } from './fixtures.js';
import { prng, thinToOneThird, zipfArrivals, type Arrival } from './zipf-trace.js';

const T0 = Date.UTC(2026, 6, 1);
const SPAN_S = 8 * 3600;
const RATE_3X = 0.12; // requests a second at 3×
const PREFIXES = 200;
const EXPONENT = 1;
const MODEL = 'claude-sonnet-4-5'; // caches prefixes from 1,024 tokens
const PREFIX_NUMBERS = 1_300; // three-digit numbers per shared prefix: above the minimum on every count

/** Shared prefix k: a system prompt of its own numbers, the same text every time k is drawn. */
function prefixText(k: number): string {
  const rnd = prng(1_000 + k);
  const words = Array.from({ length: PREFIX_NUMBERS }, () => String(100 + Math.floor(rnd() * 900)));
  return `Handbook ${k}: ${words.join(' ')}`;
}

function traceText(list: readonly Arrival[]): string {
  const prefixes = new Map<number, string>();
  const prefix = (k: number): string => prefixes.get(k) ?? (prefixes.set(k, prefixText(k)), prefixes.get(k)!);
  return (
    list
      .map((a, i) =>
        JSON.stringify({
          timestamp: a.ts,
          body: {
            model: MODEL,
            max_tokens: 16,
            messages: [
              // The caller's marker: every request caches its prefix, as the projection assumes.
              { role: 'system', content: [{ type: 'text', text: prefix(a.key), cache_control: { type: 'ephemeral' } }] },
              { role: 'user', content: `Question ${i} about handbook ${a.key}?` },
            ],
          },
          output_tokens: 8,
        }),
      )
      .join('\n') + '\n'
  );
}

interface Replayed {
  upstream: number;
  reads: number;
  writes: number;
}

async function replayed(file: string, policyFile: string): Promise<Replayed> {
  const outcome = await replay({ file, policies: [loadPolicy(policyFile)], model: MODEL, speed: 'max', transport: 'direct', seed: 1, top: 0 });
  const rows = outcome.runs[0]!.rows.filter((r) => r.parentId === null && r.status === 200 && r.cache !== 'hit-exact' && r.cache !== 'hit-semantic');
  return {
    upstream: rows.length,
    reads: rows.filter((r) => r.cacheReadTokens > 0).length,
    writes: rows.filter((r) => r.cacheWrite5mTokens > 0).length,
  };
}

let tmp: TempDir;
let at1: Replayed;
let at3: Replayed;

beforeAll(async () => {
  tmp = new TempDir();
  const all = zipfArrivals({ seed: 21, start: T0, spanSeconds: SPAN_S, ratePerSecond: RATE_3X, keys: PREFIXES, exponent: EXPONENT });
  const policy = tmp.scenario(stringify({ ...structuredClone(DEFAULT_CONFIG), cache: { policy: 'never' } }), 'policy.yaml');
  at3 = await replayed(tmp.scenario(traceText(all), 'trace-3x.jsonl'), policy);
  at1 = await replayed(tmp.scenario(traceText(thinToOneThird(all, 4)), 'trace-1x.jsonl'), policy);
}, 600_000);
afterAll(() => tmp.dispose());

/** The projected prompt-cache reuse of month 1 at scale 1 and 3, for the 1× replay's request rate. */
function projected(requests1x: number): [number, number] {
  const scenario = parseScenario(
    {
      name: 'zipf prefixes',
      months: 1,
      volume: { launch: (requests1x / SPAN_S) * SECONDS_PER_MONTH },
      naive_model: MODEL,
      mix: [
        {
          name: 'handbook questions',
          share: 1,
          input_tokens: 1_320,
          output_tokens: 8,
          serve: { model: MODEL },
          assumptions: { prompt_cache: { prefix_share: 0.98, ttl: '5m', popularity: { zipf_exponent: EXPONENT, catalogue_size: PREFIXES } } },
        },
      ],
    },
    '',
  );
  const p = project(scenario, [1, 3]);
  return [cacheRates(p.scales[0]!.months.slice(0, 1)).reuseRate, cacheRates(p.scales[1]!.months.slice(0, 1)).reuseRate];
}

describe('prompt-cache reuse that follows the traffic', () => {
  it('every replayed request reads or writes its prefix, and reads more at 3× than at 1×', () => {
    for (const r of [at1, at3]) expect(r.reads + r.writes).toBe(r.upstream);
    expect(at3.upstream).toBeGreaterThan(2.7 * at1.upstream);
    expect(at3.reads / at3.upstream).toBeGreaterThan(at1.reads / at1.upstream + 0.08);
  });

  it('from the popularity the prefixes were drawn with: projected within 3 points of the replay at 1× and 3×', () => {
    const [one, three] = projected(at1.upstream);
    const replayed1 = at1.reads / at1.upstream;
    const replayed3 = at3.reads / at3.upstream;
    expect(Math.abs(one - replayed1), `1×: projected ${one}, replayed ${replayed1} of ${at1.upstream}`).toBeLessThan(0.03);
    expect(Math.abs(three - replayed3), `3×: projected ${three}, replayed ${replayed3} of ${at3.upstream}`).toBeLessThan(0.03);
  });
});
