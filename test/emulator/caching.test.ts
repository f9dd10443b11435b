import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { countTextTokens } from '../../src/tokens/count.js';
import { longText } from './helpers.js';

const MIN = 60_000;
let clock = 1_800_000_000_000;
let emu: RunningEmulator;
let oa: OpenAI;
let an: Anthropic;
beforeAll(async () => {
  emu = await startEmulator({ now: () => clock });
  oa = new OpenAI({ apiKey: 'x', baseURL: `${emu.url}/v1`, maxRetries: 0 });
  an = new Anthropic({ apiKey: 'x', baseURL: emu.url, maxRetries: 0 });
});
afterAll(() => emu.close());

const t = (s: string): number => countTextTokens(s, 'gpt-4o');
/** Tokens of a message header in the layout: 3 + the role word. */
const HEADER = 4;
const PRIMING = 3;
const boundary = (n: number): number => (n < 1024 ? 0 : 1024 + Math.floor((n - 1024) / 128) * 128);

describe('OpenAI automatic prompt caching', () => {
  const system = longText(1500, 'openai-cache');
  const ask = (user: string, extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {}) =>
    oa.chat.completions.create({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: user },
      ],
      ...extra,
    });

  it('caches prompts of >= 1024 tokens in 128-token steps', async () => {
    const first = await ask('Zebra crossing');
    expect(first.usage!.prompt_tokens_details!.cached_tokens).toBe(0);
    const second = await ask('Zebra crossing');
    const total = second.usage!.prompt_tokens;
    expect(total).toBe(HEADER + t(system) + HEADER + t('Zebra crossing') + PRIMING);
    const cached = second.usage!.prompt_tokens_details!.cached_tokens!;
    expect(cached).toBe(boundary(total));
    expect(cached % 128).toBe(0);
    expect(cached).toBeGreaterThanOrEqual(1024);

    // Only the shared prefix (everything before the last user text) can hit.
    const third = await ask('apple pie');
    const shared = HEADER + t(system) + HEADER;
    expect(third.usage!.prompt_tokens_details!.cached_tokens).toBe(boundary(shared));
  });

  it('gives 0 below 1024 tokens, and separates prompt_cache_key scopes', async () => {
    const short = () => oa.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'short prompt' }] });
    await short();
    expect((await short()).usage!.prompt_tokens_details!.cached_tokens).toBe(0);
    const keyed = await ask('Zebra crossing', { prompt_cache_key: 'tenant-b' });
    expect(keyed.usage!.prompt_tokens_details!.cached_tokens).toBe(0);
    const keyed2 = await ask('Zebra crossing', { prompt_cache_key: 'tenant-b' });
    expect(keyed2.usage!.prompt_tokens_details!.cached_tokens).toBeGreaterThanOrEqual(1024);
  });

  it('expires entries after 10 minutes of inactivity', async () => {
    await ask('expiry probe');
    clock += 9 * MIN;
    expect((await ask('expiry probe')).usage!.prompt_tokens_details!.cached_tokens).toBeGreaterThan(0);
    clock += 11 * MIN;
    expect((await ask('expiry probe')).usage!.prompt_tokens_details!.cached_tokens).toBe(0);
  });
});

describe('Anthropic explicit prompt caching', () => {
  const MODEL = 'claude-sonnet-4-0'; // minimum 1024
  type Params = Anthropic.MessageCreateParamsNonStreaming;
  const send = (p: Partial<Params>) => an.messages.create({ model: MODEL, max_tokens: 50, messages: [{ role: 'user', content: 'question' }], ...p });
  const tail = HEADER + t('question') + PRIMING;

  it('writes with 5m, then reads', async () => {
    const sys = longText(1500, 'anthropic-5m');
    const p = { system: [{ type: 'text' as const, text: sys, cache_control: { type: 'ephemeral' as const } }] };
    const pos = HEADER + t(sys);
    const w = await send(p);
    expect(w.usage).toMatchObject({
      input_tokens: tail,
      cache_creation_input_tokens: pos,
      cache_read_input_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: pos, ephemeral_1h_input_tokens: 0 },
    });
    const r = await send(p);
    expect(r.usage).toMatchObject({ input_tokens: tail, cache_creation_input_tokens: 0, cache_read_input_tokens: pos });
  });

  it('bills mixed 1h + 5m breakpoints as read A, 1h B-A, 5m C-B', async () => {
    const tool = { name: 'kb', description: longText(1200, 'tool-desc'), input_schema: { type: 'object' as const, properties: {} } };
    const toolTokens = t(JSON.stringify({ name: tool.name, description: tool.description, parameters: tool.input_schema }));
    const sysA = longText(600, 'sys-a');
    const p = (sys: string): Partial<Params> => ({
      tools: [{ ...tool, cache_control: { type: 'ephemeral', ttl: '1h' } }],
      system: [{ type: 'text', text: sys, cache_control: { type: 'ephemeral', ttl: '5m' } }],
    });
    const c = toolTokens + HEADER + t(sysA);
    const first = await send(p(sysA));
    expect(first.usage.cache_creation).toEqual({ ephemeral_1h_input_tokens: toolTokens, ephemeral_5m_input_tokens: c - toolTokens });
    expect(first.usage.cache_read_input_tokens).toBe(0);
    expect(first.usage.input_tokens).toBe(tail);

    const again = await send(p(sysA));
    expect(again.usage.cache_read_input_tokens).toBe(c);
    expect(again.usage.cache_creation_input_tokens).toBe(0);

    // A new system prompt: the tools entry (1h) still hits; only the system part is written.
    const sysB = longText(700, 'sys-b');
    const c2 = toolTokens + HEADER + t(sysB);
    const changed = await send(p(sysB));
    expect(changed.usage.cache_read_input_tokens).toBe(toolTokens);
    expect(changed.usage.cache_creation).toEqual({ ephemeral_1h_input_tokens: 0, ephemeral_5m_input_tokens: c2 - toolTokens });
  });

  it('caches nothing below the model minimum; the minimum is overridable', async () => {
    const sys = longText(2000, 'haiku');
    const p: Partial<Params> = { model: 'claude-haiku-4-5', system: [{ type: 'text', text: sys, cache_control: { type: 'ephemeral' } }] };
    await send(p);
    const r = await send(p);
    expect(r.usage).toMatchObject({ cache_creation_input_tokens: 0, cache_read_input_tokens: 0, input_tokens: HEADER + t(sys) + tail });

    const other = await startEmulator({ anthropicMinCacheTokens: { 'claude-haiku-4-5': 1024 } });
    try {
      const c = new Anthropic({ apiKey: 'x', baseURL: other.url, maxRetries: 0 });
      const w = await c.messages.create({ max_tokens: 10, messages: [{ role: 'user', content: 'question' }], ...p } as Params);
      expect(w.usage.cache_creation_input_tokens).toBe(HEADER + t(sys));
    } finally {
      await other.close();
    }
  });

  it('rejects more than 4 breakpoints and a 1h breakpoint after a 5m one', async () => {
    const blocks = Array.from({ length: 5 }, (_, i) => ({ type: 'text' as const, text: `block ${i}`, cache_control: { type: 'ephemeral' as const } }));
    const err = await send({ system: blocks }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    // Four explicit + the automatic one is also five.
    const auto = await send({ system: blocks.slice(0, 4), cache_control: { type: 'ephemeral' } }).catch((e: unknown) => e);
    expect(auto).toBeInstanceOf(Anthropic.BadRequestError);
    const order = await send({
      system: [
        { type: 'text', text: 'a', cache_control: { type: 'ephemeral', ttl: '5m' } },
        { type: 'text', text: 'b', cache_control: { type: 'ephemeral', ttl: '1h' } },
      ],
    }).catch((e: unknown) => e);
    expect(order).toBeInstanceOf(Anthropic.BadRequestError);
    expect((order as Error).message).toContain('1h');
  });

  it('top-level cache_control puts a breakpoint on the last cacheable block', async () => {
    const text = longText(1300, 'auto');
    const p = { cache_control: { type: 'ephemeral' }, messages: [{ role: 'user', content: text }] } as Partial<Params>;
    const pos = HEADER + t(text);
    expect((await send(p)).usage).toMatchObject({ cache_creation_input_tokens: pos, input_tokens: PRIMING });
    expect((await send(p)).usage).toMatchObject({ cache_read_input_tokens: pos, input_tokens: PRIMING });
  });

  it('expires 5m entries, refreshes them on each hit, keeps 1h entries for an hour', async () => {
    const sys = longText(1100, 'ttl');
    const p5 = { system: [{ type: 'text' as const, text: sys, cache_control: { type: 'ephemeral' as const } }] };
    await send(p5);
    clock += 4 * MIN;
    expect((await send(p5)).usage.cache_read_input_tokens).toBeGreaterThan(0); // refreshed to +5m
    clock += 4 * MIN;
    expect((await send(p5)).usage.cache_read_input_tokens).toBeGreaterThan(0);
    clock += 5 * MIN + 1;
    const expired = await send(p5);
    expect(expired.usage.cache_read_input_tokens).toBe(0);
    expect(expired.usage.cache_creation_input_tokens).toBeGreaterThan(0);

    const sys1h = longText(1100, 'ttl-1h');
    const p1h = { system: [{ type: 'text' as const, text: sys1h, cache_control: { type: 'ephemeral' as const, ttl: '1h' as const } }] };
    expect((await send(p1h)).usage.cache_creation?.ephemeral_1h_input_tokens).toBeGreaterThan(0);
    clock += 30 * MIN;
    expect((await send(p1h)).usage.cache_read_input_tokens).toBeGreaterThan(0);
    clock += 61 * MIN;
    expect((await send(p1h)).usage.cache_read_input_tokens).toBe(0);
  });

  it('looks back at most 20 blocks from a breakpoint', async () => {
    const blocks = (sys: string, n: number, ccAt: number): Partial<Params> => ({
      system: sys,
      messages: [
        {
          role: 'user',
          content: Array.from({ length: n }, (_, i) => ({
            type: 'text' as const,
            text: `b${i}`,
            ...(i === ccAt ? { cache_control: { type: 'ephemeral' as const } } : {}),
          })),
        },
      ],
    });
    const within = longText(1100, 'lookback-in');
    const pos2 = (sys: string) => HEADER + t(sys) + HEADER + t('b0') + t('b1') + t('b2');
    await send(blocks(within, 3, 2)); // entry at b2 (block #3, after the system block)
    const hit = await send(blocks(within, 22, 21)); // breakpoint 19 blocks later
    expect(hit.usage.cache_read_input_tokens).toBe(pos2(within));

    const beyond = longText(1100, 'lookback-out');
    await send(blocks(beyond, 3, 2));
    const miss = await send(blocks(beyond, 23, 22)); // 20 blocks later: out of reach
    expect(miss.usage.cache_read_input_tokens).toBe(0);
  });

  it('makes an entry usable only once the writing response has started', async () => {
    const slow = await startEmulator({ latency: { ttftMs: 150, perTokenMs: 0 } });
    try {
      const c = new Anthropic({ apiKey: 'x', baseURL: slow.url, maxRetries: 0 });
      const sys = longText(1100, 'concurrent');
      const p = {
        model: MODEL,
        max_tokens: 5,
        system: [{ type: 'text' as const, text: sys, cache_control: { type: 'ephemeral' as const } }],
        messages: [{ role: 'user' as const, content: 'q' }],
      };
      const [a, b] = await Promise.all([c.messages.create(p), c.messages.create(p)]);
      expect(a.usage.cache_creation_input_tokens).toBeGreaterThan(0);
      expect(b.usage.cache_creation_input_tokens).toBeGreaterThan(0);
      expect((await c.messages.create(p)).usage.cache_read_input_tokens).toBe(a.usage.cache_creation_input_tokens);
      expect(slow.cacheSizes().anthropic).toBe(1);
    } finally {
      await slow.close();
    }
  });
});
