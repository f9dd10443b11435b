import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPromptCacheEval } from '../../src/cli/promptcache.js';

// claude-sonnet-4-5 from the default catalog: input 3, read 0.30, 5m write 3.75 µ$/token; min 1024.
// r1 t=0     2048 tok, blocks [1,2,3,4]       r2 t=60s 2148 tok, [1,2,3,4,5] (last block 100)
// r3 t=120s  1500 tok, [9,10,11], never seen again
// baseline: 5696 × 3                                                    = 17088   µ$
// naive:    r1 write 2048×3.75 = 7680; r2 read 2048×0.3 + write 100×3.75 = 989.4;
//           r3 write 1500×3.75 = 5625                                   = 14294.4 µ$
// planner:  no history yet, default prior P(reuse in 5m) = 0.3 → E = 0.43 reads, 0.43×2.7 > 0.75:
//           writes like naive on all three                              = 14294.4 µ$
// oracle:   r1 write 7680; r2 reads 2048 (614.4) + 100 input (300); r3 nothing (4500) = 13094.4 µ$
// repeat oracle: first arrivals of r1's size bucket (2k–4k) at distance 0 from the end were followed
//           within 5m once in two (r1's block 4 yes, r2's block 5 no), at distances 1–3 always; r3's
//           bucket never. So r1 writes all 2048 (7680); r2 reads 2048 (614.4) and writes its new
//           100-token block at 0.5 × 2.7 > 0.75 (375); r3 nothing (4500)  = 13169.4 µ$
// bound:    r1 6144; r2 614.4 + one 5m premium on the 2048 reused tokens (1536) + 300; r3 4500
//                                                                       = 13094.4 µ$
const TRACE = [
  { timestamp: 0, input_length: 2048, output_length: 5, hash_ids: [1, 2, 3, 4] },
  { timestamp: 60_000, input_length: 2148, output_length: 5, hash_ids: [1, 2, 3, 4, 5] },
  { timestamp: 120_000, input_length: 1500, output_length: 5, hash_ids: [9, 10, 11] },
];

describe('promptcache eval', () => {
  it('reports the input-side costs of every policy to the micro-dollar', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pc-eval-'));
    const file = join(dir, 'trace.jsonl');
    writeFileSync(file, TRACE.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const report = runPromptCacheEval({ trace: file, model: 'claude-sonnet-4-5', format: 'json', mode: 'auto' });
    const json = JSON.parse(JSON.stringify(report)) as Record<string, unknown>;
    expect(json).toMatchObject({
      requests: 3,
      baseline_cost_usd: 0.017088,
      naive_cost_usd: 0.0142944,
      planned_cost_usd: 0.0142944,
      oracle_cost_usd: 0.0130944,
      repeat_oracle_cost_usd: 0.0131694,
      lower_bound_cost_usd: 0.0130944,
      captured_share_of_oracle_saving: 0.6995, // 2793.6 / 3993.6
      planner_beats_naive: false,
    });
    expect(json.repeat_oracle_share_of_oracle_saving).toBe(0.9812); // 3918.6 / 3993.6
    expect(typeof json.oracle_method).toBe('string');
    expect(typeof json.repeat_oracle_method).toBe('string');
  });

  it('--replicas 3: every split and sharing over one provider cache; here each decides as the single planner', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pc-eval-'));
    const file = join(dir, 'trace.jsonl');
    writeFileSync(file, TRACE.map((r) => JSON.stringify(r)).join('\n'));
    const report = runPromptCacheEval({ trace: file, model: 'claude-sonnet-4-5', format: 'json', mode: 'auto', replicas: 3, stalenessMs: 0 });
    // r2 lands on another replica than r1 (round-robin), which plans it as new with the prior and
    // writes its last block; the provider still reads r1's 2048 tokens within the lookback.
    expect(report.replicas).toMatchObject({ replicas: 3, staleness_ms: 0 });
    expect(report.replicas!.rows.map((r) => `${r.assign}/${r.sharing}`)).toEqual(
      ['round-robin', 'sticky'].flatMap((a) => ['isolated', 'stats', 'tracker', 'shared'].map((s) => `${a}/${s}`)),
    );
    for (const row of report.replicas!.rows) expect(row).toMatchObject({ planned_cost_usd: 0.0142944, captured_share_of_oracle_saving: 0.6995 });
    expect(runPromptCacheEval({ trace: file, model: 'claude-sonnet-4-5', format: 'json', mode: 'auto' }).replicas).toBeUndefined();
  });

  it('honours --limit and rejects a non-Claude model', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pc-eval-'));
    const file = join(dir, 'trace.jsonl');
    writeFileSync(file, TRACE.map((r) => JSON.stringify(r)).join('\n'));
    expect(runPromptCacheEval({ trace: file, model: 'claude-sonnet-4-5', format: 'json', mode: 'auto', limit: 1 })).toMatchObject({
      requests: 1,
      baseline_cost_usd: 0.006144,
      oracle_cost_usd: 0.006144,
    });
    // --from 1: r2 and r3 replayed cold (r2's prefix is new again), --limit counts from there.
    expect(runPromptCacheEval({ trace: file, model: 'claude-sonnet-4-5', format: 'json', mode: 'auto', from: 1 })).toMatchObject({
      requests: 2,
      first_request: 1,
      baseline_cost_usd: 0.010944,
    });
    expect(runPromptCacheEval({ trace: file, model: 'claude-sonnet-4-5', format: 'json', mode: 'auto', from: 1, limit: 1 })).toMatchObject({
      requests: 1,
      baseline_cost_usd: 0.006444,
    });
    expect(() => runPromptCacheEval({ trace: file, model: 'gpt-4.1', format: 'json', mode: 'auto' })).toThrow(/not a Claude model/);
  });
});
