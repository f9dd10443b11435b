// Anthropic prompt caching planned by costwise, through the official SDKs in both formats: a long
// system prompt that is reused gets a breakpoint (a write, then reads), priced by token class to
// the pico-dollar; the caller's own markers are left alone; nothing below the minimum length.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedPico, ledger, usdToPico, type TestEnv } from '../helpers/env.js';
import { BACKENDS, startEnvOn } from '../helpers/backend-env.js';

let env: TestEnv;

const policy = (topic: string) =>
  Array.from({ length: 150 }, (_, i) => `Rule ${i} for ${topic}: cite the bylaw, stay polite and never guess opening hours or fees.`).join('\n');
const OUT = { 'x-emulator-output-tokens': '10' };

interface Seen {
  input: number;
  write5m: number;
  write1h: number;
  read: number;
  cost: bigint;
  plan: string | null;
}

async function viaAnthropic(system: string, question: string, headers: Record<string, string> = {}): Promise<Seen> {
  const { data, response } = await env.anthropic.messages
    .create({ model: 'claude-sonnet-4-5', max_tokens: 50, system, messages: [{ role: 'user', content: question }] }, { headers: { ...OUT, ...headers } })
    .withResponse();
  const u = data.usage;
  return {
    input: u.input_tokens,
    write5m: u.cache_creation?.ephemeral_5m_input_tokens ?? 0,
    write1h: u.cache_creation?.ephemeral_1h_input_tokens ?? 0,
    read: u.cache_read_input_tokens ?? 0,
    cost: usdToPico(response.headers.get('x-costwise-cost-usd')!),
    plan: response.headers.get('x-costwise-prompt-cache'),
  };
}

const priced = (s: Seen) => expectedPico('claude-sonnet-4-5', { input: s.input, write5m: s.write5m, write1h: s.write1h, cacheRead: s.read, output: 10 });

describe.each(BACKENDS)('planned Anthropic breakpoints (%s ledger)', (backend) => {
  beforeAll(async () => {
    env = await startEnvOn(backend, { config: { promptCache: { rules: [{ name: 'no-planning', match: { tags: 'raw' }, mode: 'off' }] } } });
  });
  afterAll(() => env.close());

  it('Anthropic format: a long system prompt sent twice is written, then read at 0.1x; priced by class to the pico-dollar', async () => {
    const system = policy('waste collection');
    const first = await viaAnthropic(system, 'When is bulky waste collected?');
    const second = await viaAnthropic(system, 'Can I put glass in the green bin?');
    expect(first.plan).toMatch(/^planned:5m/);
    expect(first.write5m).toBeGreaterThan(3000);
    expect(first.read).toBe(0);
    expect(second.read).toBeGreaterThan(3000); // the system prompt, written by the first request
    expect(second.read).toBeLessThan(first.write5m); // …not the first request's question
    for (const s of [first, second]) expect(s.cost).toBe(priced(s));
    // the read costs a tenth: well under the first request
    expect(second.cost * 2n).toBeLessThan(first.cost);
  });

  it('OpenAI format to a Claude model: the same planning, cached_tokens reported, exact cost', async () => {
    const system = policy('parking permits');
    const ask = (q: string) =>
      env.openai.chat.completions
        .create(
          {
            model: 'claude-sonnet-4-5',
            messages: [
              { role: 'system', content: system },
              { role: 'user', content: q },
            ],
          },
          { headers: OUT },
        )
        .withResponse();
    await ask('How do I renew my permit?');
    const { data, response } = await ask('Can visitors park overnight?');
    const cached = data.usage!.prompt_tokens_details!.cached_tokens!;
    expect(cached).toBeGreaterThan(3000);
    expect(response.headers.get('x-costwise-prompt-cache')).toMatch(/^planned:/);
    // OpenAI's usage has no field for cache writes: the ledger row keeps every class; the
    // caller's figures and the cost agree with it to the pico-dollar
    const row = (await ledger(env)).find((r) => r['requestId'] === response.headers.get('x-costwise-request-id'))!;
    expect(row['cacheReadTokens']).toBe(cached);
    expect(row['inputTokens'] + row['cacheReadTokens'] + row['cacheWrite5mTokens']).toBe(data.usage!.prompt_tokens);
    const cost = usdToPico(response.headers.get('x-costwise-cost-usd')!);
    expect(cost).toBe(expectedPico('claude-sonnet-4-5', { input: row['inputTokens'], write5m: row['cacheWrite5mTokens'], cacheRead: cached, output: 10 }));
  });

  it("the caller's own markers win: nothing is planned and the caller's breakpoint (1h) is what is written", async () => {
    const system = policy('libraries');
    const { data, response } = await env.anthropic.messages
      .create(
        {
          model: 'claude-sonnet-4-5',
          max_tokens: 50,
          system: [{ type: 'text', text: system, cache_control: { type: 'ephemeral', ttl: '1h' } }],
          messages: [{ role: 'user', content: 'Opening hours?' }],
        },
        { headers: OUT },
      )
      .withResponse();
    expect(response.headers.get('x-costwise-prompt-cache')).toBeNull();
    expect(data.usage.cache_creation?.ephemeral_1h_input_tokens).toBeGreaterThan(3000);
    expect(data.usage.cache_creation?.ephemeral_5m_input_tokens).toBe(0);
  });

  it('no breakpoint below the minimum cacheable length; a route with mode off is left alone', async () => {
    const short = await viaAnthropic('You are a helpful assistant.', 'Hello?');
    const again = await viaAnthropic('You are a helpful assistant.', 'Hello again?');
    for (const s of [short, again]) {
      expect(s.write5m + s.write1h + s.read).toBe(0);
      expect(s.plan).toBe('planned:none');
    }
    const system = policy('swimming pools');
    const raw1 = await viaAnthropic(system, 'Prices?', { 'x-costwise-tags': 'raw' });
    const raw2 = await viaAnthropic(system, 'Hours?', { 'x-costwise-tags': 'raw' });
    for (const s of [raw1, raw2]) {
      expect(s.plan).toBeNull();
      expect(s.write5m + s.read).toBe(0);
    }
  });
});
