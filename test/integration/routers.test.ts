// Named routers through the live gateway and the official SDKs: the cascade's seed scenario
// ("score with Haiku, escalate ambiguous cases to Sonnet") with both attempts in the ledger and
// its net saving or loss attributed, cascades when streaming, a judge check, and the learned
// router with its knob, its catalog mapping and hard capability constraints.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { z } from 'zod';
import { expectedPico, ledger, usdToPico, type TestEnv } from '../helpers/env.js';
import { BACKENDS, startEnvOn, type Backend } from '../helpers/backend-env.js';
import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { defaultRouterModelPath } from '../../src/routing/routers/compile.js';
import { loadRouterModel } from '../../src/routing/learned/model.js';
import { sharedData, skipWithoutSharedData } from '../helpers/shared-data.js';
import { fetchJson } from '../helpers/json.js';
import type { LedgerRowJson } from '../helpers/api-json.js';
import { rejectionOf } from '../helpers/assert.js';

let env: TestEnv;
const echo = { 'x-emulator-echo': '1' };

type Row = LedgerRowJson;
const rowsOf = async (requestId: string | null): Promise<Row[]> =>
  (await ledger(env)).filter((r) => r['requestId'] === requestId || r['parentId'] === requestId);

/** The gateway of every test here: the named routers over the emulator. */
const start = (backend: Backend): Promise<TestEnv> =>
  startEnvOn(backend, {
    config: {
      routing: {
        routers: {
          score: {
            kind: 'cascade',
            steps: ['claude-haiku-4-5', 'claude-sonnet-4-5'],
            checks: [{ kind: 'truncation' }, { kind: 'refusal' }, { kind: 'score_band', ambiguous: [0.35, 0.65] }],
          },
          judged: { kind: 'cascade', steps: ['gpt-4.1-nano', 'gpt-4.1'], checks: [{ kind: 'judge', model: 'gpt-4.1-mini', min: 0.7 }] },
          learned: {
            kind: 'learned',
            candidates: { 'mistralai/Mixtral-8x7B-Instruct-v0.1': 'claude-haiku-4-5', 'gpt-4-1106-preview': 'claude-sonnet-4-5' },
          },
          thrifty: { kind: 'learned', quality: 0, candidates: { 'mistralai/Mixtral-8x7B-Instruct-v0.1': 'gpt-4o-mini', 'gpt-4-1106-preview': 'gpt-4.1' } },
        },
        rules: [{ name: 'triage', match: { tags: 'triage' }, route: { router: 'score' } }],
      },
      models: [
        ...DEFAULT_CONFIG.models.filter((m) => m.name !== 'gpt-4o-mini'),
        { name: 'gpt-4o-mini', provider: 'openai', tier: 'cheap', capabilities: { contextWindow: 128_000, tools: true, vision: false } },
      ],
    },
  });

describe.each(BACKENDS)('cascade: score with Haiku, escalate ambiguous cases to Sonnet (%s ledger)', (backend) => {
  beforeAll(async () => {
    env = await start(backend);
  });
  afterAll(() => env.close());

  it('a clear score is accepted from Haiku: one row, priced at Haiku, saving measured against Sonnet', async () => {
    const { data, response } = await env.anthropic.messages
      .create({ model: 'router/score', max_tokens: 50, messages: [{ role: 'user', content: 'Score: 0.92' }] }, { headers: echo })
      .withResponse();
    expect(data.content[0]).toMatchObject({ type: 'text', text: 'Score: 0.92' });
    expect(data.model).toBe('claude-haiku-4-5');
    expect(response.headers.get('x-costwise-route')).toBe('cascade:score:accepted->claude-haiku-4-5');
    const tokens = { input: data.usage.input_tokens, output: data.usage.output_tokens };
    expect(usdToPico(response.headers.get('x-costwise-cost-usd')!)).toBe(expectedPico('claude-haiku-4-5', tokens));
    expect(usdToPico(response.headers.get('x-costwise-baseline-usd')!)).toBe(expectedPico('claude-sonnet-4-5', tokens));
    const rows = await rowsOf(response.headers.get('x-costwise-request-id'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ technique: 'cascade', servedModel: 'claude-haiku-4-5', requestedModel: 'router/score' });
  });

  it('an ambiguous score escalates: both attempts in the ledger, the loss attributed to the cascade', async () => {
    const before = await spendByTechnique();
    const { data, response } = await env.openai.chat.completions
      .create({ model: 'router/score', max_completion_tokens: 50, messages: [{ role: 'user', content: 'Score: 0.5' }] }, { headers: echo })
      .withResponse();
    expect(data.model).toBe('claude-sonnet-4-5');
    expect(response.headers.get('x-costwise-route')).toBe('cascade:score:escalated->claude-sonnet-4-5');
    expect(response.headers.get('x-costwise-cascade')).toBe('claude-haiku-4-5:score_band:0.5 in [0.35,0.65]');
    const id = response.headers.get('x-costwise-request-id');
    const rows = await rowsOf(id);
    expect(rows).toHaveLength(2);
    const step = rows.find((r) => r['parentId'] === id)!;
    const main = rows.find((r) => r['requestId'] === id)!;
    expect(step).toMatchObject({ requestId: `${id}.step1`, servedModel: 'claude-haiku-4-5', technique: 'cascade', baselinePico: 0 });
    expect(step['route']).toBe('cascade:score:rejected(score_band)->claude-haiku-4-5');
    expect(main).toMatchObject({ servedModel: 'claude-sonnet-4-5', technique: 'cascade' });
    // hand-computed from the token classes of each row and the list prices
    const haiku = expectedPico('claude-haiku-4-5', { input: step['inputTokens'], output: step['outputTokens'] });
    const sonnet = expectedPico('claude-sonnet-4-5', { input: main['inputTokens'], output: main['outputTokens'] });
    expect(BigInt(step['costPico'])).toBe(haiku);
    expect(BigInt(main['costPico'])).toBe(sonnet);
    expect(BigInt(main['baselinePico'])).toBe(sonnet);
    // the cascade's net: it paid for Haiku's rejected answer on top of Sonnet's
    const after = await spendByTechnique();
    expect(after.saving - before.saving).toBe(-haiku);
    expect(after.requests - before.requests).toBe(1);
  });

  it('streaming callers get a real stream either way (accepted answer replayed, escalation streamed)', async () => {
    const accepted = await env.anthropic.messages
      .stream({ model: 'router/score', max_tokens: 50, messages: [{ role: 'user', content: 'Score: 0.1' }] }, { headers: echo })
      .finalMessage();
    expect(accepted.model).toBe('claude-haiku-4-5');
    expect(accepted.content[0]).toMatchObject({ type: 'text', text: 'Score: 0.1' });
    expect(accepted.usage.output_tokens).toBeGreaterThan(0);

    const chunks: string[] = [];
    const stream = await env.openai.chat.completions.create(
      { model: 'router/score', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Score: 0.6' }] },
      { headers: echo },
    );
    let usage: unknown;
    let model = '';
    for await (const chunk of stream) {
      chunks.push(chunk.choices[0]?.delta.content ?? '');
      if (chunk.usage) usage = chunk.usage;
      model = chunk.model;
    }
    expect(chunks.join('')).toBe('Score: 0.6');
    expect(model).toBe('claude-sonnet-4-5');
    expect(usage).toBeTruthy();
  });

  it('a rule can hand requests to the cascade; a refusal escalates', async () => {
    const { data, response } = await env.openai.chat.completions
      .create(
        { model: 'gpt-4.1', messages: [{ role: 'user', content: "I'm sorry, but I can't help with that request." }] },
        { headers: { ...echo, 'x-costwise-tags': 'triage' } },
      )
      .withResponse();
    expect(data.model).toBe('claude-sonnet-4-5');
    expect(response.headers.get('x-costwise-route')).toBe('rule:triage; cascade:score:escalated->claude-sonnet-4-5');
    expect(response.headers.get('x-costwise-cascade')).toMatch(/^claude-haiku-4-5:refusal/);
  });

  it('a judge check calls the judge model, bills it, and escalates on a poor or unreadable verdict', async () => {
    const { response } = await env.openai.chat.completions
      .create(
        { model: 'router/judged', messages: [{ role: 'user', content: 'Summarise the plot of Hamlet.' }] },
        { headers: { 'x-emulator-output-tokens': '12' } },
      )
      .withResponse();
    const id = response.headers.get('x-costwise-request-id');
    expect(response.headers.get('x-costwise-route')).toBe('cascade:judged:escalated->gpt-4.1');
    const rows = await rowsOf(id);
    expect(rows.map((r) => [r['requestId'], r['servedModel']]).sort()).toEqual(
      [
        [id, 'gpt-4.1'],
        [`${id}.judge1`, 'gpt-4.1-mini'],
        [`${id}.step1`, 'gpt-4.1-nano'],
      ].sort(),
    );
  });
});

const physics = sharedData('routing', 'routellm-mmlu', 'mmlu_college_physics.csv');
const withoutPhysics = skipWithoutSharedData(physics);

describe.skipIf(withoutPhysics).each(BACKENDS)('learned router (%s ledger)', (backend) => {
  beforeAll(async () => {
    env = await start(backend);
  });
  afterAll(() => env.close());

  // A skipped suite's body still runs to collect its tests.
  const prompts = (withoutPhysics ? '' : readFileSync(physics, 'utf8'))
    .split('\n')
    .slice(1, 400)
    .map((line) => /^"?(.{40,300}?)(?:"?,|$)/.exec(line)?.[1])
    .filter((p): p is string => Boolean(p))
    .slice(0, 16);
  const model = loadRouterModel(defaultRouterModelPath());

  it('routes each prompt as the shipped model decides, mapped onto catalog models; baseline = the strong model', async () => {
    expect(prompts.length).toBe(16);
    const served = new Set<string>();
    for (const prompt of prompts) {
      const { data, response } = await env.openai.chat.completions
        .create({ model: 'router/learned', messages: [{ role: 'user', content: prompt }] }, { headers: { 'x-emulator-output-tokens': '5' } })
        .withResponse();
      const decision = model.decide(prompt);
      const expected = decision.name === 'gpt-4-1106-preview' ? 'claude-sonnet-4-5' : 'claude-haiku-4-5';
      expect(data.model).toBe(expected);
      served.add(expected);
      // A prompt unlike the training prompts goes to the fallback (the strong model) instead.
      const why = decision.reason === 'out-of-domain' ? 'out-of-domain' : `q=${decision.probabilities[decision.index]!.toFixed(2)}`;
      expect(response.headers.get('x-costwise-route')).toBe(`learned:${why}->${expected}`);
      const tokens = { input: data.usage!.prompt_tokens, output: 5 };
      expect(usdToPico(response.headers.get('x-costwise-baseline-usd')!)).toBe(expectedPico('claude-sonnet-4-5', tokens));
    }
    expect([...served].sort()).toEqual(['claude-haiku-4-5', 'claude-sonnet-4-5']); // it really routes
  });

  it('the knob at 0 always takes the cheap model, except where it cannot serve (images need vision)', async () => {
    const text = await env.openai.chat.completions.create({ model: 'router/thrifty', messages: [{ role: 'user', content: prompts[0]! }] });
    expect(text.model).toBe('gpt-4o-mini');
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    const image = await env.openai.chat.completions.create({
      model: 'router/thrifty',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this picture?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
          ],
        },
      ],
    });
    expect(image.model).toBe('gpt-4.1');
  });

  it('an unknown router is a 404 naming the field; config errors name the exact path', async () => {
    const err = await rejectionOf(env.openai.chat.completions.create({ model: 'router/nope', messages: [{ role: 'user', content: 'x' }] }), OpenAI.APIError);
    expect(err.status).toBe(404);
    expect(err.error).toMatchObject({ param: 'model' });

    const bad = structuredClone(DEFAULT_CONFIG);
    bad.routing = {
      routers: {
        l: { kind: 'learned', model: 'default', candidates: { 'gpt-5-imaginary': 'claude-haiku-4-5', 'gpt-4-1106-preview': 'nope-model' } },
        c: { kind: 'cascade', steps: ['claude-haiku-4-5'], checks: [{ kind: 'truncation' }] },
      },
      rules: [{ name: 'r', match: { tags: 'x' }, route: { router: 'missing' } }],
    };
    const problems = problemsOf(bad);
    expect(problems).toContain('routing.routers.c.steps: Too small: expected array to have >=2 items');
    const again = structuredClone(bad);
    delete (again.routing!.routers as Record<string, unknown>)['c'];
    const second = problemsOf(again);
    expect(second).toContain('routing.rules[0].route.router: unknown router "missing" (known: "l")');
    expect(second).toContain('routing.routers.l.candidates.gpt-4-1106-preview: unknown model "nope-model"');
  });
});

async function spendByTechnique(): Promise<{ saving: bigint; requests: number }> {
  const body = await fetchJson(
    `${env.gateway.url}/api/spend?group_by=technique`,
    z.object({ data: z.array(z.object({ technique: z.string(), requests: z.number(), saving_usd: z.string() })) }),
  );
  const cascade = body.data.find((d) => d.technique === 'cascade');
  return { saving: cascade ? usdToPico(cascade.saving_usd) : 0n, requests: cascade?.requests ?? 0 };
}

function problemsOf(raw: unknown): string[] {
  try {
    parseConfig(raw, 'test', {});
    return [];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.problems;
  }
}
