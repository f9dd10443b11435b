import { afterEach, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { registerRouterCommands } from '../../src/cli/router.js';
import { loadRouterModel } from '../../src/routing/learned/model.js';
import { defaultRouterModelPath } from '../../src/routing/routers/compile.js';
import { sharedData, skipWithoutSharedData } from '../helpers/shared-data.js';

const mmlu = (subject: string): string => sharedData('routing', 'routellm-mmlu', `mmlu_${subject}.csv`);
const rb = (name: string): string => sharedData('routing', 'routerbench', `${name}_train.csv`);

async function runCli(args: string[]): Promise<string> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  });
  try {
    const program = new Command().exitOverride();
    registerRouterCommands(program);
    await program.parseAsync(['node', 'costwise', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out;
}

afterEach(() => vi.restoreAllMocks());

// The shared data sits beside the checkout on developer machines and in CI: never skipped in CI.
describe.skipIf(skipWithoutSharedData(mmlu('global_facts'), rb('mbpp')))('router eval on real outcome data (small slice)', () => {
  it('prints exactly one JSON object with models, curve, default, oracle and RouteLLM metrics', async () => {
    const out = await runCli(['router', 'eval', '--train', mmlu('global_facts'), mmlu('abstract_algebra'), '--test', mmlu('virology'), '--format', 'json']);
    expect(out.trim().split('\n')).toHaveLength(1);
    const r = JSON.parse(out) as Record<string, unknown>;
    const point = { accuracy: expect.any(Number), cost_usd: expect.any(Number) };
    expect(r.models).toEqual([
      { name: 'mistralai/Mixtral-8x7B-Instruct-v0.1', ...point },
      { name: 'gpt-4-1106-preview', ...point },
    ]);
    expect((r.curve as unknown[]).length).toBeGreaterThan(10);
    expect((r.curve as unknown[])[0]).toMatchObject({ knob: 0, ...point });
    expect(r.default).toMatchObject({ knob: expect.any(Number), ...point });
    expect(r.oracle).toEqual(point);
    for (const k of ['apgr', 'cpt50', 'cpt80']) expect(typeof r[k]).toBe('number');
  });

  it('holds out a stratified share of RouterBench rows when --test is absent', async () => {
    const out = await runCli(['router', 'eval', '--train', rb('mbpp'), '--holdout', '0.3', '--format', 'json']);
    const r = JSON.parse(out) as { rows: number; models: unknown[]; apgr?: number };
    expect(r.rows).toBe(Math.round(299 * 0.3));
    expect(r.models).toHaveLength(11);
    expect(r.apgr).toBeUndefined();
  });

  it('the shipped default model loads and decides', () => {
    const router = loadRouterModel(defaultRouterModelPath());
    const d = router.decide('What is the capital of France?\nA. Paris\nB. Rome\nC. Madrid\nD. Berlin\nAnswer:');
    expect(router.candidateNames).toContain(d.name);
    expect(d.probabilities).toHaveLength(2);
  });
});
