import { afterEach, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { z } from 'zod';
import { registerRouterCommands } from '../../src/cli/router.js';
import { loadRouterModel } from '../../src/routing/learned/model.js';
import { defaultRouterModelPath } from '../../src/routing/routers/compile.js';
import { sharedData, skipWithoutSharedData } from '../helpers/shared-data.js';
import { parseJson } from '../helpers/json.js';

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
    // The schema checks the numbers; strict objects have exactly the keys named.
    const point = { accuracy: z.number(), cost_usd: z.number() };
    const r = parseJson(
      out,
      z.object({
        models: z.array(z.strictObject({ name: z.string(), ...point })),
        curve: z.array(z.object({ knob: z.number(), ...point })),
        default: z.object({ knob: z.number(), ...point }),
        oracle: z.strictObject(point),
        apgr: z.number(),
        cpt50: z.number(),
        cpt80: z.number(),
      }),
    );
    expect(r.models.map((m) => m.name)).toEqual(['mistralai/Mixtral-8x7B-Instruct-v0.1', 'gpt-4-1106-preview']);
    expect(r.curve.length).toBeGreaterThan(10);
    expect(r.curve[0]?.knob).toBe(0);
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
