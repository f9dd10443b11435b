// The history budget (`historyBudget: {maxTokens}`): the rewrite with one token per character, the
// elision gate's arithmetic for it by hand, and the policy through the gateway with the official
// OpenAI SDK — applied when the tokens dropped outweigh the cache reads lost, left alone when not,
// with the removed tokens billed exactly and kept on the ledger row.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type OpenAI from 'openai';
import { emptyRequest, type CanonicalMessage, type CanonicalRequest } from '../../src/core/canonical.js';
import { elisionNetPico, keepHistoryBudget } from '../../src/promptcache/optimize/index.js';
import { expectedPico, ledger, type TestEnv } from '../helpers/env.js';
import { BACKENDS, startEnvOn } from '../helpers/backend-env.js';

const chars = (text: string): number => text.length;
const note = (messages: number, tokens: number) => `[${messages} earlier messages (${tokens} tokens) dropped by costwise to keep the history budget]`;

describe('keepHistoryBudget', () => {
  const text = (role: 'user' | 'assistant', t: string): CanonicalMessage => ({ role, content: [{ type: 'text', text: t }] });
  const call = (id: string): CanonicalMessage => ({ role: 'assistant', content: [{ type: 'tool_call', id, name: 'f', arguments: '{}' }] });
  const result = (id: string, t: string): CanonicalMessage => ({
    role: 'user',
    content: [{ type: 'tool_result', toolCallId: id, content: [{ type: 'text', text: t }] }],
  });
  // Sizes (one token per character): system 4; messages 4, 3, 400, 3, 300, 3, 50, 4, 5 — 776 in all.
  const messages = [text('user', 'task'), call('a'), result('a', 'x'.repeat(400)), call('b'), result('b', 'y'.repeat(300))];
  messages.push(call('c'), result('c', 'z'.repeat(50)), text('assistant', 'done'), text('user', 'more?'));
  const req: CanonicalRequest = { ...emptyRequest('openai'), model: 'm', system: [{ type: 'text', text: 'abcd' }], messages };

  it('drops the oldest messages after the first, at an assistant message, until the prompt fits', () => {
    // Cut before message 3: 776 − 403 + 80 = 453 > 400. Before message 5: 776 − 706 + 80 = 150 ≤ 400.
    const b = keepHistoryBudget(req, 400, chars)!;
    expect(note(4, 706)).toHaveLength(80);
    expect(b.request.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'task' },
          { type: 'text', text: note(4, 706) },
        ],
      },
      ...messages.slice(5),
    ]);
    expect(b.removedTokens).toBe(706 - 80);
    expect(b.firstEditAt).toBe(4 + 4); // system + the first message
    expect(b.elided).toBe(4);
    expect(b.request.system).toBe(req.system);
  });

  it('when nothing fits, keeps only the first message and the last turn; within the budget, does nothing', () => {
    const b = keepHistoryBudget(req, 10, chars)!;
    expect(b.request.messages.slice(1)).toEqual(messages.slice(7));
    expect(b.removedTokens).toBe(3 + 400 + 3 + 300 + 3 + 50 - note(6, 759).length);
    expect(keepHistoryBudget(req, 776, chars)).toBeUndefined();
    expect(keepHistoryBudget({ ...req, messages: messages.slice(0, 3) }, 10, chars)).toBeUndefined();
  });
});

describe('elision gate on a history budget', () => {
  // gpt-4.1-mini in pico-dollars per token: input 0.4e6, read 0.1e6, no write premium.
  const MINI = { input: 400_000, cacheRead: 100_000, write: { '5m': 400_000, '1h': 400_000 } };
  // Sonnet 4.5: input 3e6, read 0.3e6, 5m write 3.75e6.
  const SONNET = { input: 3_000_000, cacheRead: 300_000, write: { '5m': 3_750_000, '1h': 6_000_000 } };

  it('dropping most of a cached history pays when it removes enough of it', () => {
    // 31,000 of the 47,000 cached tokens after the first message: 31,000×0.5e6 − 47,000×0.3e6 = 1.4e9.
    expect(elisionNetPico({ removedTokens: 31_000, firstEditAt: 1_000, cachedPrefixTokens: 48_000, prices: MINI })).toBe(1_400_000_000);
  });

  it('dropping a little of a long cached history does not', () => {
    // 1,600 of 8,800: 1,600×0.5e6 − 8,800×0.3e6 = 0.8e9 − 2.64e9.
    expect(elisionNetPico({ removedTokens: 1_600, firstEditAt: 200, cachedPrefixTokens: 9_000, prices: MINI })).toBe(-1_840_000_000);
    // With a write premium the prefix kept is written again: 3,000×3.3e6 − 4,000×2.7e6 − 1,000×0.75e6.
    expect(elisionNetPico({ removedTokens: 3_000, firstEditAt: 1_000, cachedPrefixTokens: 5_000, prices: SONNET })).toBe(-1_650_000_000);
  });
});

describe.each(BACKENDS)('historyBudget through the gateway (OpenAI SDK, %s ledger)', (backend) => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await startEnvOn(backend, {
      config: {
        promptOptimization: {
          mode: { lossless: false, historyBudget: { maxTokens: 2_000 } },
          rules: [
            { name: 'raw', match: { tags: 'raw' }, mode: 'off' },
            { name: 'wide', match: { tags: 'wide' }, mode: { lossless: false, historyBudget: { maxTokens: 7_500 } } },
          ],
        },
      },
    });
  });
  afterAll(() => env.close());

  const model = 'gpt-4.1-mini';
  /** A labelled text of about `words` tokens. */
  const block = (label: string, words: number) => `${label}: ${'plan '.repeat(words)}`;
  const pair = (label: string, words: number): OpenAI.ChatCompletionMessageParam[] => [
    { role: 'assistant', content: block(`${label}a`, words) },
    { role: 'user', content: block(`${label}u`, words) },
  ];
  const end: OpenAI.ChatCompletionMessageParam[] = [
    { role: 'assistant', content: 'Anything else?' },
    { role: 'user', content: 'Summarise the plan.' },
  ];
  const send = (messages: OpenAI.ChatCompletionMessageParam[], tags: string) =>
    env.openai.chat.completions
      .create({ model, messages }, { headers: { 'x-costwise-tags': tags, 'x-costwise-cache': 'no-store', 'x-emulator-output-tokens': '6' } })
      .withResponse();

  it('drops a long middle of the history when that outweighs the reads lost, billed and recorded exactly', async () => {
    // ~10k tokens between the first and the last turns: dropping them (R ≈ 10k) forfeits ≈ 10k believed cached.
    const messages = [{ role: 'user' as const, content: 'Plan a trip to Porto.' }, ...[1, 2, 3, 4, 5].flatMap((i) => pair(`big${i}x`, 1_000)), ...end];
    const raw = await send(messages, 'raw,hb-raw');
    const opt = await send(messages, 'hb-opt');
    const removed = Number(opt.response.headers.get('x-costwise-prompt-optimization')?.replace('removed=', ''));
    expect(removed).toBeGreaterThan(9_000);
    expect(raw.data.usage!.prompt_tokens - opt.data.usage!.prompt_tokens).toBe(removed);
    expect(opt.data.usage!.prompt_tokens).toBeLessThan(2_000);
    const row = await vi.waitFor(
      async () => {
        const r = (await ledger(env)).find((x) => x.tags.includes('hb-opt'));
        if (!r) throw new Error('no row yet');
        return r;
      },
      { timeout: 5_000, interval: 20 },
    );
    expect(row.promptTokensRemoved).toBe(removed);
    expect(row.technique).toBe('prompt_optimization');
    expect(BigInt(row.costPico)).toBe(expectedPico(model, { input: opt.data.usage!.prompt_tokens, output: 6 }));
    expect(BigInt(row.baselinePico)).toBe(expectedPico(model, { input: raw.data.usage!.prompt_tokens, output: 6 }));
  });

  it('leaves the history when the cut would forfeit more cached tokens than it removes', async () => {
    // ~8.6k tokens; fitting 7,500 drops the small early turns and the first large pair (≈ 2.6k of ≈ 8.6k cached).
    const messages = [
      { role: 'user' as const, content: 'Plan a trip to Porto.' },
      ...[1, 2, 3].flatMap((i) => pair(`small${i}x`, 100)),
      ...[1, 2, 3, 4].flatMap((i) => pair(`large${i}x`, 1_000)),
      ...end,
    ];
    const raw = await send(messages, 'raw,hb-wide-raw');
    const kept = await send(messages, 'wide');
    expect(raw.data.usage!.prompt_tokens).toBeGreaterThan(7_500);
    expect(kept.response.headers.get('x-costwise-prompt-optimization')).toBeNull();
    expect(kept.data.usage!.prompt_tokens).toBe(raw.data.usage!.prompt_tokens);
  });
});
