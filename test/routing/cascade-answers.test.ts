// Cascade checks on real answers, and shadow evaluation, through the live gateway and the official
// SDKs. The emulator answers with recorded responses (a small outcome CSV written here): Haiku,
// GPT-4.1-nano and Sonnet each have their own recorded answer to every prompt, so whether the two
// cheap models agree is decided by what they "said", not by generated words.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedPico, ledger, usdToPico, type TestEnv } from '../helpers/env.js';
import { BACKENDS, startEnvOn, type Backend } from '../helpers/backend-env.js';
import type { LedgerRowJson } from '../helpers/api-json.js';
import type { AdviceResponse } from '../../src/server/admin-api.js';

const PROMPTS = {
  agree: 'Which planet is largest?\nA) Mars\nB) Jupiter\nC) Venus\nAnswer:',
  split: 'Which metal is liquid at room temperature?\nA) Iron\nB) Copper\nC) Mercury\nAnswer:',
  vague: 'Which gas is most of the air?\nA) Oxygen\nB) Nitrogen\nC) Argon\nAnswer:',
  sum: 'Tom has 3 bags of 12 apples. How many apples?',
};
// prompt → [haiku, nano, sonnet] recorded answers
const ANSWERS: Record<keyof typeof PROMPTS, [string, string, string]> = {
  agree: ['The answer is B.', 'B) Jupiter', 'B'],
  split: ['A', 'C', 'C'],
  vague: ['It depends on how you look at it.', 'B', 'B'],
  sum: ['3 bags of 12 is 36 apples. #### 36', 'The answer is 36', '36'],
};

function outcomeCsv(): string {
  const cell = (s: string) => `"${s.replaceAll('"', '""')}"`;
  const head =
    'prompt,eval_name,haiku,nano,sonnet,haiku|model_response,nano|model_response,sonnet|model_response,haiku|total_cost,nano|total_cost,sonnet|total_cost';
  const lines = Object.entries(PROMPTS).map(([k, p]) => [cell(p), 't', 1, 1, 1, ...ANSWERS[k as keyof typeof PROMPTS].map(cell), 0, 0, 0].join(','));
  return [head, ...lines].join('\n') + '\n';
}

let env: TestEnv;
async function start(backend: Backend): Promise<TestEnv> {
  const file = join(mkdtempSync(join(tmpdir(), 'costwise-answers-')), 'answers.csv');
  writeFileSync(file, outcomeCsv());
  return startEnvOn(backend, {
    emulator: { outcomes: { files: [file], models: { 'claude-haiku-4-5': 'haiku', 'gpt-4.1-nano': 'nano', 'claude-sonnet-4-5': 'sonnet' } } },
    config: {
      routing: {
        routers: {
          consistent: {
            kind: 'cascade',
            steps: ['claude-haiku-4-5', 'claude-sonnet-4-5'],
            checks: [
              { kind: 'answer', extract: 'choice' },
              { kind: 'consistency', model: 'gpt-4.1-nano', extract: 'choice' },
            ],
          },
        },
      },
      advisor: { shadow: { sample: 1, candidates: ['gpt-4.1-nano'] } },
    },
  });
}

const rowsOf = async (id: string | null): Promise<LedgerRowJson[]> => (await ledger(env)).filter((r) => r['requestId'] === id || r['parentId'] === id);

async function ask(prompt: string, model = 'router/consistent') {
  const { data, response } = await env.anthropic.messages.create({ model, max_tokens: 100, messages: [{ role: 'user', content: prompt }] }).withResponse();
  return { data, route: response.headers.get('x-costwise-route'), id: response.headers.get('x-costwise-request-id') };
}

/** Shadow rows come after the answer: wait until the request has `n` rows in all. */
async function settled(id: string | null, n: number): Promise<LedgerRowJson[]> {
  for (let i = 0; i < 100; i++) {
    const rows = await rowsOf(id);
    if (rows.length >= n) return rows;
    await new Promise((r) => setTimeout(r, 50));
  }
  return rowsOf(id);
}

// The three parts share one gateway, in this order: the advice reads the shadow rows of the others.
describe.each(BACKENDS)('on a %s ledger', (backend) => {
  beforeAll(async () => {
    env = await start(backend);
  });
  afterAll(() => env.close());

  describe('cascade checks on recorded answers', () => {
    it('keeps the cheap answer when a second cheap model gives the same letter, and bills that second call', async () => {
      const { data, route, id } = await ask(PROMPTS.agree);
      expect(data.content[0]).toMatchObject({ type: 'text', text: 'The answer is B.' });
      expect(route).toBe('cascade:consistent:accepted->claude-haiku-4-5');
      // own row + the consistency call + the shadow of the served Haiku answer on nano
      const rows = await settled(id, 3);
      const second = rows.find((r) => r['requestId'] === `${id}.judge1`)!;
      expect(second['servedModel']).toBe('gpt-4.1-nano');
      expect(second['route']).toBe('cascade:consistent:consistency->gpt-4.1-nano');
      expect(usdToPico(second['cost_usd'])).toBe(expectedPico('gpt-4.1-nano', { input: second['inputTokens'], output: second['outputTokens'] }));
    });

    it('escalates when the two cheap models disagree', async () => {
      const { data, route, id } = await ask(PROMPTS.split);
      expect(data.content[0]).toMatchObject({ type: 'text', text: 'C' });
      expect(route).toBe('cascade:consistent:escalated->claude-sonnet-4-5');
      const rows = await settled(id, 4);
      expect(rows.find((r) => r['requestId'] === `${id}.step1`)!['route']).toBe('cascade:consistent:rejected(consistency)->claude-haiku-4-5');
    });

    it('escalates without asking the second model when the answer states no choice', async () => {
      const { route, id } = await ask(PROMPTS.vague);
      expect(route).toBe('cascade:consistent:escalated->claude-sonnet-4-5');
      const rows = await settled(id, 3);
      expect(rows.some((r) => r['requestId'] === `${id}.judge1`)).toBe(false);
      expect(rows.find((r) => r['requestId'] === `${id}.step1`)!['route']).toBe('cascade:consistent:rejected(answer)->claude-haiku-4-5');
    });
  });

  describe('shadow evaluation', () => {
    it('sends the served request to the candidate after answering, compares final numbers, and bills it with no saving', async () => {
      const { data, id } = await ask(PROMPTS.sum, 'claude-sonnet-4-5');
      expect(data.content[0]).toMatchObject({ type: 'text', text: '36' });
      const rows = await settled(id, 2);
      const shadow = rows.find((r) => r['parentId'] === id)!;
      expect(shadow['technique']).toBe('shadow');
      expect(shadow['servedModel']).toBe('gpt-4.1-nano');
      expect(shadow['route']).toBe('shadow:claude-sonnet-4-5->gpt-4.1-nano:agree(number)');
      expect(shadow['baseline_usd']).toBe(shadow['cost_usd']);
      expect(usdToPico(shadow['cost_usd'])).toBe(expectedPico('gpt-4.1-nano', { input: shadow['inputTokens'], output: shadow['outputTokens'] }));
    });

    it('records a disagreement', async () => {
      const { id } = await ask(PROMPTS.split, 'claude-haiku-4-5');
      const rows = await settled(id, 2);
      expect(rows.find((r) => r['parentId'] === id)!['route']).toBe('shadow:claude-haiku-4-5->gpt-4.1-nano:disagree(choice)');
    });
  });

  describe('GET /api/advice', () => {
    it('turns a cheaper model down while the shadow evidence is too thin, and says why', async () => {
      const res = await fetch(`${env.gateway.url}/api/advice?days=30`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as AdviceResponse;
      expect(body.rows_read).toBeGreaterThan(0);
      expect(body.recommendations.filter((r) => r.kind === 'model')).toEqual([]);
      const nano = body.rejected.find((x) => x.candidate_model === 'gpt-4.1-nano' && x.current_model === 'claude-sonnet-4-5')!;
      expect(nano.scope).toMatch(/^key:/);
      expect(nano.evidence.shadow_samples).toBeGreaterThan(0);
      expect(nano.reason).toMatch(/could lose up to .* accuracy \(limit 2%\)/);
    });

    it('names the field of a bad window', async () => {
      const res = await fetch(`${env.gateway.url}/api/advice?days=-1`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { param: string } }).error.param).toBe('days');
    });
  });
});
