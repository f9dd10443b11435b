// A bad scenario is refused with the exact path and reason of every problem.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadScenario, ScenarioError } from '../../src/projection/load.js';
import { TempDir, handScenario, type HandScenario } from './fixtures.js';

let tmp: TempDir;
beforeEach(() => (tmp = new TempDir()));
afterEach(() => tmp.dispose());

function problemsOf(mutate: (s: HandScenario) => void): string[] {
  const s = structuredClone(handScenario());
  mutate(s);
  try {
    loadScenario(tmp.scenario(s));
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return err instanceof ScenarioError ? err.problems : [];
  }
  throw new Error('the scenario was accepted');
}

describe('scenario validation', () => {
  it('negative volume', () => {
    expect(problemsOf((s) => (s.volume.launch = -5))).toEqual(['volume.launch: must not be negative (requests per month)']);
    expect(problemsOf((s) => (s.volume = { monthly: [100, -1] }))).toContain('volume.monthly[1]: must not be negative (requests per month)');
  });

  it('shares that do not sum to 1', () => {
    expect(problemsOf((s) => (s.mix[1].share = 0.3))).toEqual(['mix: shares sum to 0.9, not 1 (±1e-6)']);
    // within the tolerance is accepted
    const s = structuredClone(handScenario());
    s.mix[1].share = 0.4 + 5e-7;
    expect(() => loadScenario(tmp.scenario(s))).not.toThrow();
  });

  it('a share sum that is off is reported together with other problems', () => {
    expect(
      problemsOf((s) => {
        s.mix[1].share = 0.3;
        // @ts-expect-error -- deliberately removes a required field: it must be reported
        delete s.mix[1].output_tokens;
      }),
    ).toEqual(['mix[1].output_tokens: required', 'mix: shares sum to 0.9, not 1 (±1e-6)']);
  });

  it('unknown models, with the known ones listed', () => {
    const problems = problemsOf((s) => {
      s.mix[1].naive_model = 'gpt-9';
      s.mix[1].serve = { model: 'tiny' };
    });
    expect(problems).toEqual(['mix[1].naive_model: unknown model "gpt-9" (known: big, small)', 'mix[1].serve.model: unknown model "tiny" (known: big, small)']);
    expect(problemsOf((s) => (s.models = ['small', 'huge']))).toEqual([
      'models[1]: unknown model "huge" (known: big, small)',
      'mix[1].serve.model: "big" is not in models (the models available for routing)',
    ]);
  });

  it('a tier no available model has', () => {
    expect(
      problemsOf((s) => {
        s.models = ['small'];
        s.mix[0].serve = { tier: 'mid' };
        s.mix[1].serve = { tier: 'cheap' };
      }),
    ).toEqual(['mix[0].serve.tier: no available model has tier "mid" or a higher one']);
    // @ts-expect-error -- deliberately a tier that does not exist: it must be reported
    expect(problemsOf((s) => (s.mix[0].serve = { tier: 'premium' }))).toEqual(['mix[0].serve.tier: must be "cheap", "mid" or "frontier"']);
  });

  it('a serve.model outside the models routing may use', () => {
    expect(problemsOf((s) => (s.models = ['small']))).toEqual(['mix[1].serve.model: "big" is not in models (the models available for routing)']);
  });

  it('missing fields and unknown keys', () => {
    const problems = problemsOf((s) => {
      // @ts-expect-error -- deliberately removes a required field: it must be reported
      delete s.mix[0].input_tokens;
      // @ts-expect-error -- deliberately a misspelt key: it must be reported
      s.mix[1].inptu_tokens = 5;
      // @ts-expect-error -- deliberately removes a required field: it must be reported
      delete s.name;
    });
    expect(problems).toEqual(expect.arrayContaining(['name: required', 'mix[0].input_tokens: required', 'mix[1]: unknown key "inptu_tokens"']));
    expect(problemsOf((s) => delete s.mix[0].naive_model && delete s.naive_model)).toEqual([
      'mix[0].naive_model: required (no top-level naive_model to default to)',
      'mix[1].naive_model: required (no top-level naive_model to default to)',
    ]);
  });

  it('impossible rates and counts', () => {
    expect(problemsOf((s) => (s.mix[0].assumptions.prompt_cache.reuse_rate = 1.5))).toEqual([
      'mix[0].assumptions.prompt_cache.reuse_rate: must be between 0 and 1',
    ]);
    expect(problemsOf((s) => (s.mix[0].assumptions.response_cache = { exact_hit_rate: 0.7, semantic_hit_rate: 0.5 }))).toEqual([
      'mix[0].assumptions.response_cache: exact_hit_rate + semantic_hit_rate must not exceed 1',
    ]);
    expect(problemsOf((s) => (s.mix[0].input_tokens = 10.5))).toEqual(['mix[0].input_tokens: must be a whole number of tokens']);
    expect(problemsOf((s) => (s.mix[0].serve = { tier: 'cheap', model: 'small' }))).toEqual(['mix[0].serve: give exactly one of tier or model']);
    expect(problemsOf((s) => (s.scale_factors = [1, 0]))).toEqual(['scale_factors[1]: must be greater than 0']);
  });

  it('volume shapes that contradict the months', () => {
    expect(problemsOf((s) => (s.volume = { launch: 10, growth: [0.1, 0.2] }))).toEqual([
      'volume.growth: lists 2 rates; 2 months need 1 (one per month after the first)',
    ]);
    expect(problemsOf((s) => (s.volume = { monthly: [1, 2, 3] }))).toEqual(['months: is 2 but volume.monthly lists 3 months']);
    expect(problemsOf((s) => (s.volume = { launch: 10, growth: -1 }))).toEqual([
      'volume.growth: must be greater than -1 (a month cannot lose all its traffic and more)',
    ]);
    expect(problemsOf((s) => (s.volume = { launch: 10, monthly: [1, 2] }))).toEqual(['volume: give either monthly or launch (and growth), not both']);
  });

  it('an unreadable file and bad YAML', () => {
    expect(() => loadScenario(tmp.path('missing.yaml'))).toThrow(/cannot read file/);
    const bad = tmp.scenario('name: [unclosed\n', 'bad.yaml');
    expect(() => loadScenario(bad)).toThrow(/YAML syntax/);
  });

  it('the error message lists every problem with the file name', () => {
    const s = structuredClone(handScenario());
    s.volume.launch = -1;
    const file = tmp.scenario(s);
    expect(() => loadScenario(file)).toThrow(`invalid scenario in ${file}:\n  - volume.launch: must not be negative (requests per month)`);
  });
});
