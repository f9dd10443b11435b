// The learned router out of its training domain: prompts unlike the training prompts are detected
// (familiarity below a threshold calibrated on held-out in-domain prompts) and sent to the declared
// fallback, so a router whose lessons invert on new data does no worse than a coin there.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutcomeDataset } from '../../src/routing/learned/data.js';
import { evaluateRouter } from '../../src/routing/learned/evaluate.js';
import { LearnedRouter, saveRouterModel } from '../../src/routing/learned/model.js';
import { trainRouter } from '../../src/routing/learned/train.js';
import { startTestEnv, type TestEnv } from '../helpers/env.js';

const WEAK = 'weak-model';
const STRONG = 'strong-model';
const CITIES = ['Paris', 'Lima', 'Oslo', 'Cairo', 'Quito', 'Hanoi', 'Dakar', 'Riga', 'Sofia', 'Accra', 'Bern', 'Doha'];
const TOPICS = ['population', 'river', 'founding year', 'mayor', 'oldest bridge', 'main square', 'climate', 'airport'];
const TASKS = ['reverse a list', 'merge two dicts', 'parse a CSV line', 'count vowels', 'flatten nested lists', 'compute a checksum'];
const STYLES = ['recursion', 'a generator', 'list comprehension', 'a while loop', 'itertools', 'a class'];

/**
 * Trivia about cities (the training domain): the weak model is right exactly on "easy" questions.
 * Code tasks (never seen in training) invert that: there the weak model fails exactly on "easy" ones.
 */
function trivia(n: number, offset = 0): OutcomeDataset {
  const rows = Array.from({ length: n }, (_, k) => {
    const i = k + offset;
    const easy = i % 2 === 0;
    const prompt = `${easy ? 'Easy question' : 'Question'} about ${CITIES[i % CITIES.length]}: what is the ${TOPICS[(i * 5) % TOPICS.length]} of the city (${i})?`;
    return { prompt, group: 'trivia', scores: [easy ? 1 : 0, 1], costs: [0.0001, 0.003] };
  });
  return { models: [WEAK, STRONG], rows };
}

function code(n: number): OutcomeDataset {
  const rows = Array.from({ length: n }, (_, i) => {
    const easy = i % 2 === 0;
    const prompt = `Write a Python function to ${TASKS[i % TASKS.length]} using ${STYLES[(i * 7) % STYLES.length]}${easy ? ', easy' : ''}; include tests #${i}.`;
    return { prompt, group: 'code', scores: [easy ? 0 : 1, 1], costs: [0.0001, 0.003] };
  });
  return { models: [WEAK, STRONG], rows };
}

let guarded: LearnedRouter;
let unguarded: LearnedRouter;
beforeAll(() => {
  const data = trivia(400);
  guarded = new LearnedRouter(trainRouter(data, { version: 1, dim: 4096, seed: 3 }));
  unguarded = new LearnedRouter(trainRouter(data, { version: 1, dim: 4096, seed: 3, domain: false }));
});

describe('out-of-domain detection', () => {
  it('stores a calibrated detector in the model file', () => {
    const d = guarded.model.domain!;
    expect(d.falseAlarmRate).toBe(0.005);
    expect(d.centroids.length).toBeGreaterThan(1);
    expect(unguarded.model.domain).toBeUndefined();
  });

  it('keeps new in-domain prompts and flags prompts of another kind', () => {
    const inDomain = trivia(100, 10_000).rows.filter((r) => guarded.estimate(r.prompt).outOfDomain).length;
    expect(inDomain).toBeLessThanOrEqual(10);
    const outside = code(60).rows.filter((r) => guarded.estimate(r.prompt).outOfDomain).length;
    expect(outside).toBe(60);
    const d = guarded.decide(code(1).rows[0]!.prompt, 0);
    expect(d).toMatchObject({ name: STRONG, reason: 'out-of-domain' });
    expect(guarded.decide(trivia(1, 20_001).rows[0]!.prompt, 0).reason).not.toBe('out-of-domain');
  });

  it('without the detector, the router is worse than a coin where its lesson inverts; with it, a coin', () => {
    const test = code(240);
    const before = evaluateRouter(unguarded, test);
    const after = evaluateRouter(guarded, test);
    expect(before.apgr!).toBeLessThan(0.3);
    expect(after.out_of_domain_share).toBe(1);
    // Out-of-domain prompts are one unordered block: exactly a coin's straight line.
    expect(after.apgr!).toBeCloseTo(0.5, 12);
    // The fallback at every knob: the strong model's accuracy, never below it.
    for (const p of after.curve) expect(p.strong_share).toBe(1);
  });

  it('leaves in-domain routing as it was on prompts it recognises', () => {
    const test = trivia(200, 50_000);
    const a = evaluateRouter(guarded, test);
    const b = evaluateRouter(unguarded, test);
    expect(a.out_of_domain_share).toBeLessThan(0.05);
    expect(a.apgr!).toBeGreaterThan(0.6);
    expect(Math.abs(a.apgr! - b.apgr!)).toBeLessThan(0.05);
  });
});

describe('the gateway falls back for out-of-domain prompts', () => {
  let env: TestEnv | undefined;
  let file: string;
  const routers = (fallback: unknown) => ({
    learned: { kind: 'learned', model: file, quality: 0.5, candidates: { [WEAK]: 'claude-haiku-4-5', [STRONG]: 'claude-sonnet-4-5' }, fallback },
  });
  beforeAll(() => {
    file = join(mkdtempSync(join(tmpdir(), 'costwise-ood-')), 'router.json');
    saveRouterModel(file, guarded.model);
  });
  afterAll(() => env?.close());

  async function route(fallback: unknown, prompt: string): Promise<{ model: string; route: string }> {
    await env?.close();
    const started = await startTestEnv({ config: { routing: { routers: routers(fallback) as never } } });
    env = started;
    const { data, response } = await started.openai.chat.completions
      .create({ model: 'router/learned', messages: [{ role: 'user', content: prompt }] })
      .withResponse();
    return { model: data.model, route: response.headers.get('x-costwise-route') ?? '' };
  }

  it('sends a code prompt to the strongest candidate, to a named model, or (none) lets the model decide', async () => {
    const prompt = code(1).rows[0]!.prompt;
    expect(await route('strong', prompt)).toEqual({ model: 'claude-sonnet-4-5', route: 'learned:out-of-domain->claude-sonnet-4-5' });
    expect(await route({ model: 'gpt-4.1' }, prompt)).toEqual({ model: 'gpt-4.1', route: 'learned:out-of-domain->gpt-4.1' });
    const trusted = await route('none', prompt);
    expect(trusted.route).toMatch(/^learned:q=/);
  });

  it('routes in-domain questions by the prediction', async () => {
    const easy = trivia(1, 30_000).rows[0]!.prompt;
    const hard = trivia(2, 30_000).rows[1]!.prompt;
    const expected = (p: string): string => (guarded.decide(p, 0.5).name === WEAK ? 'claude-haiku-4-5' : 'claude-sonnet-4-5');
    expect(guarded.estimate(easy).outOfDomain || guarded.estimate(hard).outOfDomain).toBe(false);
    expect(new Set([expected(easy), expected(hard)]).size).toBe(2);
    for (const p of [easy, hard]) {
      const r = await route('strong', p);
      expect(r.model).toBe(expected(p));
      expect(r.route).toMatch(/^learned:q=/);
    }
  });
});
