// Replay of an outcome file: every recorded prompt through the real gateway under each policy,
// answered by the emulator with the recorded response of the model actually served, and scored with
// that model's label. Accuracies below are counted by hand from test/fixtures/outcomes-small.csv.
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { decodePythonStringList } from '../../src/routing/learned/pyrepr.js';
import { loadRouterModel } from '../../src/routing/learned/model.js';
import { defaultRouterModelPath } from '../../src/routing/routers/compile.js';
import { parseOutcomeText } from '../../src/routing/learned/data.js';
import { loadPolicy, readTrace, replay, type ReplayOutcome } from '../../src/replay/index.js';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BIN } from '../helpers/process.js';
import { writeTrace } from './helpers.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/outcomes-small.csv', import.meta.url));
const WEAK = 'mistralai/mixtral-8x7b-chat';
const STRONG = 'gpt-4-1106-preview';
// Labels per row (weak, strong) and tags, as in the fixture.
const LABELS: Array<[number, number]> = [
  [1, 1],
  [0, 1],
  [1, 1],
  [1, 1],
  [0, 1],
  [0, 0],
];
const TAGS = ['arc', 'arc', 'arc', 'gsm', 'gsm', 'gsm'];

function policy(name: string, routing: ConfigInput['routing']): string {
  const config: ConfigInput = {
    ...structuredClone(DEFAULT_CONFIG),
    routing: { ...structuredClone(DEFAULT_CONFIG.routing), ...routing },
    emulator: { outcomes: { models: { 'claude-haiku-4-5': WEAK, 'claude-sonnet-4-5': STRONG } } },
  };
  return writeTrace(`${name}.yaml`, stringify(config));
}

const toRouter = (router: string) => ({ rules: [{ name: `all-to-${router}`, match: { model: 'claude-sonnet-4-5' }, route: { router } }] });

describe('replay of an outcome file', () => {
  let out: ReplayOutcome;
  beforeAll(async () => {
    const routers = {
      ...structuredClone(DEFAULT_CONFIG.routing!.routers),
      // Haiku's answer is kept only when it states a final answer ("#### 7", "answer is B").
      checked: {
        kind: 'cascade' as const,
        steps: ['claude-haiku-4-5', 'claude-sonnet-4-5'],
        checks: [{ kind: 'regex' as const, pattern: '#### \\d+|answer is [A-D]' }],
      },
    };
    const policies = [
      loadPolicy(policy('strongest', {})),
      loadPolicy(policy('learned', { ...toRouter('learned'), routers })),
      loadPolicy(policy('cascade', { ...toRouter('checked'), routers })),
    ];
    out = await replay({ file: FIXTURE, policies, model: 'claude-sonnet-4-5', speed: 'max', transport: 'http', seed: 1, top: 3 });
  });

  it('reads the file as an outcome trace with tags and no broken rows', () => {
    expect(out.report.trace).toMatchObject({ format: 'outcomes', requests: 6, broken_count: 0 });
    expect(out.report.policies.map((p) => p.requests.failed)).toEqual([0, 0, 0]);
  });

  it('always the strongest: the strong labels', () => {
    const p = out.report.policies[0]!;
    expect(p.accuracy).toBeCloseTo(5 / 6, 12);
    expect(p.quality!.served).toEqual({ [STRONG]: 6 });
    expect(p.quality!.by_tag.map((t) => [t.tag, t.requests, t.accuracy])).toEqual([
      ['arc', 3, 1],
      ['gsm', 3, 2 / 3],
    ]);
    expect(p.cost_usd).toBe(p.baseline_usd);
  });

  it('the cascade: the label of the step whose answer passed the check', () => {
    // Haiku passes on rows 1, 4, 5 (labels 1, 1, 0); Sonnet answers rows 2, 3, 6 (labels 1, 1, 0).
    const p = out.report.policies[2]!;
    expect(p.accuracy).toBeCloseTo(4 / 6, 12);
    expect(p.quality!.served).toEqual({ [WEAK]: 3, [STRONG]: 3 });
    expect(p.quality!.by_tag.map((t) => [t.tag, t.accuracy])).toEqual([
      ['arc', 1],
      ['gsm', 1 / 3],
    ]);
    expect(p.sub_calls.rows).toBe(3);
  });

  it('the learned router: the label of the candidate `router eval` would pick for each prompt', () => {
    const router = loadRouterModel(defaultRouterModelPath());
    const ds = parseOutcomeText(readFileSync(FIXTURE, 'utf8'), 'fixture');
    let expected = 0;
    let weak = 0;
    ds.rows.forEach((r, i) => {
      const strong = router.decide(r.prompt).name === 'gpt-4-1106-preview';
      expected += LABELS[i]![strong ? 1 : 0];
      if (!strong) weak++;
    });
    const p = out.report.policies[1]!;
    expect(p.accuracy).toBeCloseTo(expected / 6, 12);
    expect(p.quality!.served[WEAK] ?? 0).toBe(weak);
  });

  it('per-tag costs add up to the policy cost, sub-calls included', () => {
    for (const p of out.report.policies) {
      const sum = p.quality!.by_tag.reduce((a, t) => a + Number(t.cost_usd), 0);
      expect(sum).toBeCloseTo(Number(p.cost_usd), 12);
      expect(p.quality!.by_tag.map((t) => t.tag)).toEqual([...new Set(TAGS)]);
    }
    expect(out.report.comparison.map((c) => c.accuracy)).toEqual(out.report.policies.map((p) => p.accuracy));
  });

  it('sends prompts, never labels, to the gateway', () => {
    const trace = readTrace(FIXTURE, { model: 'claude-sonnet-4-5' });
    const first = trace.requests[0]!.build();
    expect(JSON.parse(String(first.body))).toEqual({
      model: 'claude-sonnet-4-5',
      messages: [
        {
          role: 'user',
          content: decodePythonStringList("['Which gas do plants absorb?\\nA. Oxygen\\nB. Carbon dioxide\\nC. Nitrogen\\nD. Helium\\nAnswer:']"),
        },
      ],
    });
    expect(first.headers).toEqual({ 'x-costwise-tags': 'arc' });
  });
});

describe('costwise replay --trace <outcome file> --format json', () => {
  const built = existsSync(join(import.meta.dirname, '..', '..', 'dist', 'src', 'cli', 'replay.js'));
  it.skipIf(!built)('reports accuracy and per-tag quality next to cost for each policy', async () => {
    const strongest = policy('cli-strongest', {});
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'replay', '--trace', FIXTURE, '--policy', strongest, '--format', 'json']);
    const report = JSON.parse(stdout) as {
      trace: { format: string };
      policies: Array<{ accuracy: number; cost_usd: string; baseline_usd: string; quality: { by_tag: Array<{ tag: string; accuracy: number }> } }>;
      comparison: Array<{ accuracy: number }>;
    };
    expect(report.trace.format).toBe('outcomes');
    const p = report.policies[0]!;
    expect(p.accuracy).toBeCloseTo(5 / 6, 12);
    expect(p.cost_usd).toBe(p.baseline_usd);
    expect(p.quality.by_tag.map((t) => [t.tag, t.accuracy])).toEqual([
      ['arc', 1],
      ['gsm', 2 / 3],
    ]);
    expect(report.comparison[0]!.accuracy).toBe(p.accuracy);
  });
});
