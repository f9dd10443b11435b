// Response-cache and max_tokens advice from the ledger: tagged traffic through the OpenAI SDK to the
// gateway and its embedded emulator, then GET /api/advice. The ledger's prompt hash (the exact-cache
// key) tells repeats apart, its max_tokens and stop reason tell cut answers and missing caps.
//
//   faq          60 requests cycling 20 questions, temperature unset: the default cache policy
//                (deterministic) never consults the cache, so 40 repeats were paid for
//   lookup       30 requests cycling 10 questions at temperature 0: the cache is on and answers them
//   cut         100 answers of 50 tokens asked with max_tokens 8: every one stopped at the cap
//   open        100 requests with no cap, answers of 10–49 tokens
//   roomy       100 requests capped at 4,000 with short answers: far below the cap costs nothing
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import { parseConfig } from '../../src/config/load.js';
import type { AdviceResponse } from '../../src/server/admin-api.js';
import { ledger, startTestEnv, type TestEnv } from '../helpers/env.js';

describe('response-cache and max_tokens advice', () => {
  let env: TestEnv;
  let advice: AdviceResponse;
  let rows: Awaited<ReturnType<typeof ledger>>;

  const ask = (tag: string, content: string, extra: { temperature?: number; max_tokens?: number; outputTokens?: number } = {}) =>
    env.openai.chat.completions.create(
      {
        model: 'gpt-4.1-mini',
        messages: [{ role: 'user', content }],
        ...(extra.temperature !== undefined ? { temperature: extra.temperature } : {}),
        // eslint-disable-next-line @typescript-eslint/no-deprecated -- the cap most clients still send is the one the advice is about
        ...(extra.max_tokens !== undefined ? { max_tokens: extra.max_tokens } : {}),
      },
      { headers: { 'x-costwise-tags': tag, 'x-emulator-output-tokens': String(extra.outputTokens ?? 12) } },
    );

  beforeAll(async () => {
    env = await startTestEnv();
    for (let i = 0; i < 60; i++) await ask('faq', `What are your opening hours for branch ${i % 20}?`);
    for (let i = 0; i < 30; i++) await ask('lookup', `Country code of region ${i % 10}?`, { temperature: 0 });
    for (let i = 0; i < 100; i++) await ask('cut', `Write a long essay on topic ${i}`, { max_tokens: 8, outputTokens: 50 });
    for (let i = 0; i < 100; i++) await ask('open', `Summarise ticket ${i}`, { outputTokens: 10 + (i % 40) });
    for (let i = 0; i < 100; i++) await ask('roomy', `Classify message ${i}`, { max_tokens: 4000, outputTokens: 3 });
    await env.gateway.deps.store.flush();
    rows = await ledger(env);
    advice = (await (await fetch(`${env.gateway.url}/api/advice?days=30`)).json()) as AdviceResponse;
  }, 120_000);
  afterAll(() => env.close());

  const of = (kind: string) => advice.recommendations.filter((r) => r.kind === kind);

  it('records the prompt hash, the cap asked for and how each answer ended', () => {
    const faq = rows.filter((r) => r.tags[0] === 'faq');
    expect(new Set(faq.map((r) => r.promptHash)).size).toBe(20);
    expect(faq.every((r) => r.promptHash?.length === 32 && r.cache === null && r.maxTokens === null && r.stopReason === 'end_turn')).toBe(true);
    const cut = rows.filter((r) => r.tags[0] === 'cut');
    expect(cut.every((r) => r.maxTokens === 8 && r.stopReason === 'max_tokens' && r.outputTokens === 8)).toBe(true);
  });

  it('proposes the response cache for the tag whose exact repeats it never saw, saving exactly what the repeats cost', () => {
    const recs = of('response_cache');
    expect(recs.map((r) => r.scope)).toEqual(['tag:faq']);
    const rec = recs[0]!;
    expect(rec.evidence.repeats).toEqual({ uncached_requests: 60, exact_repeats: 40, repeat_share: 0.6667, ttl_seconds: 3600 });
    // Window and month are both 30 days: the saving is the repeats' own cost, to the pico-dollar.
    const faq = rows.filter((r) => r.tags[0] === 'faq').sort((a, b) => a.ts - b.ts || a.requestId.localeCompare(b.requestId));
    const seen = new Set<string>();
    let repeats = 0n;
    for (const r of faq) {
      if (seen.has(r.promptHash!)) repeats += BigInt(r.costPico);
      seen.add(r.promptHash!);
    }
    expect(rec.monthly_saving_usd).toBe(usd(repeats));
    const rule = parse(rec.rule) as unknown[];
    const config = parseConfig({ ...structuredClone(DEFAULT_CONFIG), cache: { rules: rule } }, 'advice').config;
    expect(config.cache.rules).toEqual([{ name: 'cache-faq', match: { tags: 'faq' }, policy: 'always', ttlSeconds: 3600 }]);
  });

  it('notes the tag whose answers are cut at the cap, and the tag with no cap, but not the roomy one', () => {
    const notes = new Map(of('max_tokens').map((r) => [r.scope, r]));
    expect([...notes.keys()].sort()).toEqual(['tag:cut', 'tag:open']);
    expect(notes.get('tag:cut')!.evidence.output).toMatchObject({ answers: 100, truncated: 100, truncated_share: 1, median_cap_tokens: 8 });
    expect(notes.get('tag:cut')!.rule).toMatch(/^# Callers of tag cut: 100% of answers are cut at max_tokens 8\./);
    // Outputs 10–49 tokens: p99 (nearest rank) 49; a cap of 49 · 1.25, rounded up to 16: 64.
    expect(notes.get('tag:open')!.evidence.output).toMatchObject({ answers: 100, truncated: 0, output_p99_tokens: 49, uncapped: 100, median_cap_tokens: null });
    expect(notes.get('tag:open')!.rule).toBe("# Callers of tag open: set max_tokens: 64 (p99 of the answers' output is 49 tokens).\n");
    for (const r of notes.values()) expect(r.monthly_saving_usd).toBe('0');
  });
});

function usd(pico: bigint): string {
  const whole = pico / 1_000_000_000_000n;
  const frac = (pico % 1_000_000_000_000n).toString().padStart(12, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : String(whole);
}
