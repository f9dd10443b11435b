// Cache-aware elision of old tool results: the gate's arithmetic by hand, the rewrite, the agent
// trace (elision + planner never costs more than the planner alone; cache-blind elision does), and
// the policy through the gateway with the official OpenAI SDK.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type OpenAI from 'openai';
import { emptyRequest, type CanonicalRequest } from '../../src/core/canonical.js';
import { buildCatalog } from '../../src/config/catalog.js';
import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import { parseConfig } from '../../src/config/load.js';
import { evaluateElision } from '../../src/promptcache/eval/agent-elision.js';
import { capMessageTokens, elideOldToolResults, elisionNetPico } from '../../src/promptcache/optimize/index.js';
import { startTestEnv, type TestEnv } from '../helpers/env.js';

// Sonnet 4.5 in pico-dollars per token: input 3e6, read 0.3e6, 5m write 3.75e6.
const SONNET = { input: 3_000_000, cacheRead: 300_000, write: { '5m': 3_750_000, '1h': 6_000_000 } };

describe('elision gate', () => {
  it('an edit after the cached prefix pays: R × (in + cr)', () => {
    expect(elisionNetPico({ removedTokens: 1000, firstEditAt: 5000, cachedPrefixTokens: 4000, prices: SONNET })).toBe(1000 * 3_300_000);
  });
  it('an edit inside it pays only when the tokens removed outweigh the reads lost', () => {
    // lost 3000 tokens of cache: 1000×3.3e6 − 3000×2.7e6 − 2000×0.75e6 = 3.3e9 − 8.1e9 − 1.5e9 < 0
    expect(elisionNetPico({ removedTokens: 1000, firstEditAt: 1000, cachedPrefixTokens: 4000, prices: SONNET })).toBe(-6_300_000_000);
    // 2900 of the 3000 removed: 2900×3.3e6 − 3000×2.7e6 − 100×0.75e6 = 9.57e9 − 8.1e9 − 0.075e9
    expect(elisionNetPico({ removedTokens: 2900, firstEditAt: 1000, cachedPrefixTokens: 4000, prices: SONNET })).toBe(1_395_000_000);
  });
});

describe('elideOldToolResults', () => {
  const result = (id: string, text: string) => ({
    role: 'user' as const,
    content: [{ type: 'tool_result' as const, toolCallId: id, content: [{ type: 'text' as const, text }] }],
  });
  const call = (id: string) => ({ role: 'assistant' as const, content: [{ type: 'tool_call' as const, id, name: 'f', arguments: '{}' }] });
  const req: CanonicalRequest = {
    ...emptyRequest('openai'),
    model: 'm',
    system: [{ type: 'text', text: 'abcd' }],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'go' }] }, call('a'), result('a', 'x'.repeat(400)), call('b'), result('b', 'y'.repeat(40))],
  };
  const chars = (t: string) => t.length;

  it('replaces all but the last N tool-result turns with a stub saying what was removed', () => {
    const e = elideOldToolResults(req, 1, chars)!;
    const stub = '[tool result elided by costwise: 400 tokens]';
    expect(e.elided).toBe(1);
    expect(e.removedTokens).toBe(400 - stub.length);
    expect(e.firstEditAt).toBe(4 + 2 + 3); // system, "go", the call ("f" + "{}")
    expect(e.request.messages[2]).toEqual(result('a', stub));
    expect(e.request.messages[4]).toBe(req.messages[4]);
    expect(elideOldToolResults(req, 2, chars)).toBeUndefined();
  });
});

describe('capMessageTokens', () => {
  const chars = (t: string) => t.length;
  const big = 'a'.repeat(500) + 'b'.repeat(500);
  const req: CanonicalRequest = {
    ...emptyRequest('openai'),
    model: 'm',
    messages: [
      { role: 'user', content: [{ type: 'text', text: big }] },
      { role: 'assistant', content: [{ type: 'text', text: 'ok' }] },
      { role: 'user', content: [{ type: 'text', text: big }] },
    ],
  };

  it('keeps the head and tail of an oversized message, never the last one', () => {
    const c = capMessageTokens(req, 200, chars)!;
    const text = `${'a'.repeat(100)}\n[… 800 tokens cut by costwise …]\n${'b'.repeat(100)}`;
    expect(c.request.messages[0]!.content).toEqual([{ type: 'text', text }]);
    expect(c.request.messages[2]).toBe(req.messages[2]);
    expect(c.removedTokens).toBe(1000 - text.length);
    expect(c.firstEditAt).toBe(0);
    expect(capMessageTokens(req, 1000, chars)).toBeUndefined();
  });
});

describe('elision on the agent trace', () => {
  const d = buildCatalog(parseConfig(structuredClone(DEFAULT_CONFIG), 'test', {}).config, 'http://127.0.0.1:1').get('claude-sonnet-4-5')!;
  const opts = { model: d.upstreamModel, pricing: d.pricing, minCacheableTokens: 1024, mode: 'auto' as const, olderThanSteps: 2 };

  it('cache-aware elision + planner costs no more than the planner alone; cache-blind elision costs more', () => {
    const gated = evaluateElision({ seed: 1, sessions: 120 }, opts);
    expect(gated.elided).toBeGreaterThan(0);
    expect(gated.refused).toBeGreaterThan(0);
    expect(gated.withElision.costPico).toBeLessThanOrEqual(gated.plannerAlone.costPico);
    const blind = evaluateElision({ seed: 1, sessions: 120 }, { ...opts, ungated: true });
    expect(blind.plannerAlone.costPico).toBe(gated.plannerAlone.costPico);
    expect(blind.withElision.costPico).toBeGreaterThan(gated.plannerAlone.costPico);
  });
});

describe('elision through the gateway (OpenAI SDK)', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await startTestEnv({ config: { promptOptimization: { mode: { lossless: false, elideToolResults: { olderThanSteps: 1 } } } } });
  });
  afterAll(() => env.close());

  const turn = (id: string, content: string): OpenAI.ChatCompletionMessageParam[] => [
    { role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name: 'fetch', arguments: '{}' } }] },
    { role: 'tool', tool_call_id: id, content },
  ];
  const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'fetch', parameters: { type: 'object', properties: {} } } }];
  const send = (messages: OpenAI.ChatCompletionMessageParam[]) =>
    env.openai.chat.completions
      .create({ model: 'gpt-4.1-mini', messages, tools }, { headers: { 'x-costwise-cache': 'no-store', 'x-emulator-output-tokens': '5' } })
      .withResponse();
  const page = Array.from({ length: 300 }, (_, i) => `line ${i}: status ok`).join('\n');

  it('elides a large old result when it outweighs the cache reads lost', async () => {
    const messages = [{ role: 'user' as const, content: 'Check both pages.' }, ...turn('c1', page), ...turn('c2', 'done')];
    const r = await send(messages);
    const removed = Number(r.response.headers.get('x-costwise-prompt-optimization')?.replace('removed=', ''));
    expect(removed).toBeGreaterThan(1500);
  });

  it('caps an oversized earlier message when that pays', async () => {
    const capEnv = await startTestEnv({ config: { promptOptimization: { mode: { lossless: false, capMessageTokens: { maxTokens: 200 } } } } });
    try {
      const r = await capEnv.openai.chat.completions
        .create(
          {
            model: 'gpt-4.1-mini',
            messages: [
              { role: 'user', content: page },
              { role: 'assistant', content: 'Read.' },
              { role: 'user', content: 'Summarise it.' },
            ],
          },
          { headers: { 'x-costwise-cache': 'no-store', 'x-emulator-output-tokens': '5' } },
        )
        .withResponse();
      const removed = Number(r.response.headers.get('x-costwise-prompt-optimization')?.replace('removed=', ''));
      expect(removed).toBeGreaterThan(1500);
    } finally {
      await capEnv.close();
    }
  });

  it('leaves a small old result when the edit would forfeit more cached tokens than it removes', async () => {
    // The old result (~80 tokens, several times its stub) sits before a long message believed cached.
    const medium = Array.from({ length: 40 }, () => 'status ok').join(' ');
    const messages = [
      { role: 'user' as const, content: 'Check both pages.' },
      ...turn('c1', medium),
      { role: 'user' as const, content: page },
      ...turn('c2', 'done'),
    ];
    const r = await send(messages);
    expect(r.response.headers.get('x-costwise-prompt-optimization')).toBeNull();
  });
});
