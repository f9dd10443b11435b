// Online verification of the semantic cache against the emulator's recorded answers: the recorded
// world decides which rewordings share an answer, and the namespace's threshold has to find it
// from a deliberately bad start.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ledger, type TestEnv } from '../helpers/env.js';
import { BACKENDS, startEnvOn, type Backend } from '../helpers/backend-env.js';
import { fetchJson } from '../helpers/json.js';

const TOPICS = [
  'renew my parking permit',
  'reset my library card PIN',
  'book a tennis court',
  'report a broken street light',
  'pay my water bill',
  'register a newborn child',
  'apply for a building permit',
  'request a bulky waste pickup',
  'change my address on the voter roll',
  'get a copy of my marriage certificate',
];

const base = (t: string): string => `How do I ${t}?`;
const close = (t: string): string => `How can I ${t}?`;
const loose = (t: string): string => `What is the way to ${t}?`;

/** Recorded answers (RouterBench layout) for the questions, one answer per question as given. */
function outcomesFile(rows: ReadonlyArray<[prompt: string, answer: string]>): string {
  const dir = mkdtempSync(join(tmpdir(), 'costwise-verify-'));
  const file = join(dir, 'answers.csv');
  const quote = (s: string): string => `"${s.replace(/"/g, '""')}"`;
  writeFileSync(file, ['prompt,recorded|model_response', ...rows.map(([p, a]) => `${quote(p)},${quote(a)}`)].join('\n') + '\n');
  return file;
}

const Status = z.object({
  semantic: z.object({
    max_wrong_hit_rate: z.number(),
    verify_sample_rate: z.number().nullable(),
    namespaces: z.array(
      z.object({
        namespace: z.string(),
        threshold: z.number(),
        samples: z.number(),
        samples_at_threshold: z.number(),
        wrong_hit_rate: z.number().nullable(),
        wrong_hit_rate_ci: z.tuple([z.number(), z.number()]).nullable(),
      }),
    ),
  }),
});

let env: TestEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

async function start(
  backend: Backend,
  opts: { threshold: number; sampleRate: number; margin: number; answers: ReadonlyArray<[string, string]> },
): Promise<TestEnv> {
  env = await startEnvOn(backend, {
    emulator: { outcomes: { files: [outcomesFile(opts.answers)], models: { 'gpt-4.1-mini': 'recorded' } } },
    config: {
      cache: {
        semantic: {
          enabled: true,
          threshold: opts.threshold,
          maxWrongHitRate: 0.05,
          verify: { sampleRate: opts.sampleRate, nearMissMargin: opts.margin, minSamples: 5, floor: 0.5, ceiling: 1 },
        },
      },
    },
  });
  return env;
}

async function ask(e: TestEnv, content: string): Promise<{ cache: string | null; id: string | null; text: string }> {
  const r = await e.openai.chat.completions.create({ model: 'gpt-4.1-mini', temperature: 0, messages: [{ role: 'user', content }] }).withResponse();
  await new Promise((resolve) => setTimeout(resolve, 30)); // the index is written after the answer is stored
  return {
    cache: r.response.headers.get('x-costwise-cache'),
    id: r.response.headers.get('x-costwise-request-id'),
    text: r.data.choices[0]!.message.content ?? '',
  };
}

async function status(e: TestEnv): Promise<z.infer<typeof Status>['semantic']> {
  return (await fetchJson(`${e.gateway.url}/api/cache`, Status)).semantic;
}

describe.each(BACKENDS)('semantic cache online verification (%s ledger)', (backend) => {
  it('from a threshold far too low, wrong hits found upstream raise it until the measured wrong-hit rate meets the target', async () => {
    // The recorded world: "How can I …" shares the answer of "How do I …"; "What is the way to …" does not.
    const answers: [string, string][] = TOPICS.flatMap((t, i): [string, string][] => [
      [base(t), `Procedure ${i}: fill in form ${100 + i} at the service desk.`],
      [close(t), `Procedure ${i}: fill in form ${100 + i} at the service desk.`],
      [loose(t), `That depends on your district; the office for case ${500 + i} decides.`],
    ]);
    const e = await start(backend, { threshold: 0.5, sampleRate: 1, margin: 0.05, answers });
    for (const t of TOPICS) expect((await ask(e, base(t))).cache).toBe('miss');
    const trajectory: number[] = [];
    for (const t of TOPICS) {
      const r = await ask(e, loose(t));
      // every would-be hit is checked (sampleRate 1): it went upstream and got its own recorded answer
      expect(r.cache).toBe('miss');
      expect(r.text).toMatch(/depends on your district/);
      trajectory.push((await status(e)).namespaces[0]?.threshold ?? 0.5);
    }
    // five wrong hits in (minSamples) and no threshold keeps 5%: it jumps to the ceiling
    expect(trajectory[3]).toBe(0.5);
    expect(trajectory[4]).toBe(1);
    // near misses just below the ceiling are checked for free; the right ones bring it back down
    for (const t of TOPICS) await ask(e, close(t));
    const s = await status(e);
    expect(s.namespaces).toHaveLength(1);
    const ns = s.namespaces[0]!;
    expect(ns.namespace).toMatch(/\/gpt-4\.1-mini$/);
    expect(ns.threshold).toBeGreaterThan(0.9);
    expect(ns.threshold).toBeLessThan(1);
    expect(ns.samples).toBe(20);
    expect(ns.samples_at_threshold).toBeGreaterThanOrEqual(5);
    expect(ns.wrong_hit_rate).toBeLessThanOrEqual(0.05);
    const [lo, hi] = ns.wrong_hit_rate_ci!;
    expect(lo).toBe(0);
    expect(hi).toBeGreaterThan(0.05); // a handful of samples: the interval is honest about it
    expect(s.max_wrong_hit_rate).toBe(0.05);

    // the checked would-be hits were billed upstream calls under their own technique
    const rows = await ledger(e);
    const verifyRows = rows.filter((r) => r['technique'] === 'cache_verify');
    expect(verifyRows.length).toBeGreaterThanOrEqual(5);
    for (const r of verifyRows) expect(r['costPico']).toBeGreaterThan(0);
  });

  it('from a threshold far too high, agreeing near misses lower it until paraphrases are served', async () => {
    const answers: [string, string][] = TOPICS.flatMap((t, i): [string, string][] => [
      [base(t), `Procedure ${i}: fill in form ${100 + i} at the service desk.`],
      [close(t), `Procedure ${i}: fill in form ${100 + i} at the service desk.`],
    ]);
    const e = await start(backend, { threshold: 1, sampleRate: 0.5, margin: 0.05, answers });
    for (const t of TOPICS) await ask(e, base(t));
    // below 1, every paraphrase is a near miss: it goes upstream, and is checked for free
    for (const t of TOPICS.slice(0, 5)) expect((await ask(e, close(t))).cache).toBe('miss');
    const learned = (await status(e)).namespaces[0]!;
    expect(learned.threshold).toBeLessThan(0.995);
    expect(learned.samples).toBe(5);
    expect(learned.wrong_hit_rate).toBe(0);
    // now paraphrases are served, and every second would-be hit is still checked upstream
    const later = [];
    for (const t of TOPICS.slice(5)) later.push({ t, ...(await ask(e, close(t))) });
    const hits = later.filter((r) => r.cache === 'hit-semantic');
    expect(hits.length).toBeGreaterThanOrEqual(1);
    for (const h of hits) expect(h.text).toBe(answers.find(([p]) => p === base(h.t))![1]);
    const rows = await ledger(e);
    const byId = new Map(rows.map((r) => [r['requestId'], r]));
    expect(hits.map((h) => byId.get(h.id ?? '')!['technique'])).toEqual(hits.map(() => 'cache_semantic'));
    expect(rows.filter((r) => r['technique'] === 'cache_verify').length).toBeGreaterThanOrEqual(1);
  });
});
