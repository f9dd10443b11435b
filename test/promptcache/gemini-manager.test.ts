// The context-cache manager on an injected clock, against a real emulator over HTTP (same clock),
// plus its pure economics.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { lookupPricing, type ModelPricing } from '../../src/cost/prices.js';
import { breakEvenReads, judge, storagePico } from '../../src/promptcache/gemini/decide.js';
import { httpContextCacheApi, type ContextCacheApi } from '../../src/promptcache/gemini/api.js';
import { GeminiContextCache, type StorageCharge } from '../../src/promptcache/gemini/manager.js';
import type { ProviderConfig } from '../../src/providers/types.js';
import { createGeminiAdapter } from '../../src/providers/gemini.js';
import { createContextCaches } from '../../src/promptcache/gemini/accounts.js';
import type { CanonicalRequest, StreamEvent } from '../../src/core/canonical.js';
import { longText, postJson } from '../emulator/helpers.js';
import { shaped } from '../helpers/json.js';
import { GeminiReply } from '../helpers/wire-json.js';

let emu: RunningEmulator;
let clock = Date.parse('2026-03-01T12:00:00Z');
const now = () => clock;
let provider: ProviderConfig;
beforeAll(async () => {
  emu = await startEmulator({ now });
  provider = { name: 'gemini', kind: 'gemini', baseUrl: emu.url, apiKey: 'k', headers: {}, timeoutMs: 10_000, connections: 4 };
});
afterAll(() => emu.close());

const FLASH = lookupPricing('gemini', 'gemini-2.5-flash')!;
const PRO = lookupPricing('gemini', 'gemini-2.5-pro')!;
const FLASH_STORAGE = 1_000_000; // $1.00 / MTok / h in pico-dollars per token-hour
const DOC = longText(2000, 'manager-doc');
const user = (text: string) => ({ role: 'user', parts: [{ text }] });
const model = (text: string) => ({ role: 'model', parts: [{ text }] });

function manager(charges: StorageCharge[] = [], api: ContextCacheApi = httpContextCacheApi(provider)) {
  return new GeminiContextCache({ api, now, onCharge: (c) => charges.push(c) });
}

function prepare(m: GeminiContextCache, body: Record<string, unknown>, pricing: ModelPricing = FLASH, id = 'gemini-2.5-flash') {
  return m.prepare({ scope: 'test', model: id, pricing, body });
}

const generate = (body: unknown, id = 'gemini-2.5-flash') => postJson(`${emu.url}/v1beta/models/${id}:generateContent`, body, { 'x-goog-api-key': 'k' });
const usageOf = (answer: { json: unknown }) => shaped(answer.json, GeminiReply).usageMetadata;

describe('cache economics', () => {
  it('pays only when expected reads × saving beat storage for the TTL (strictly)', () => {
    const flash = { tokens: 2000, inputPrice: 300_000, cacheReadPrice: 30_000, storagePicoPerTokenHour: FLASH_STORAGE, creationPicoPerToken: 0 };
    // 2,000 tokens × $1/MTok/h × 5 min = $0.000166667; one read saves 2,000 × $0.27/MTok = $0.00054.
    expect(storagePico(2000, FLASH_STORAGE, 300_000)).toBe(166_666_667);
    expect(judge(flash, 0, 300_000, true).pays).toBe(false);
    expect(judge(flash, 1, 300_000, true)).toEqual({ pays: true, savingPico: 540_000_000, costPico: 166_666_667 });
    expect(breakEvenReads(flash, 300_000)).toBe(1);
    // 2.5 Pro kept an hour: $4.50/MTok/h vs $1.125/MTok saved per read → 4 reads only break even.
    const pro = { tokens: 2000, inputPrice: 1_250_000, cacheReadPrice: 125_000, storagePicoPerTokenHour: 4_500_000, creationPicoPerToken: 0 };
    expect(judge(pro, 4, 3_600_000, true).pays).toBe(false);
    expect(judge(pro, 5, 3_600_000, true).pays).toBe(true);
    expect(breakEvenReads(pro, 3_600_000)).toBe(5);
    expect(judge({ ...flash, creationPicoPerToken: 300_000 }, 1, 300_000, true).pays).toBe(false);
  });
});

describe('GeminiContextCache against the emulator', () => {
  it('creates once on the second sighting (single flight), charges storage exactly, and reads match a full request', async () => {
    const charges: StorageCharge[] = [];
    const m = manager(charges);
    const body = (q: string) => ({ systemInstruction: { parts: [{ text: DOC }] }, contents: [user(q)], generationConfig: { maxOutputTokens: 50 } });
    const first = await prepare(m, body('q0'));
    expect(first.cache).toBeUndefined();
    expect(first.body).toEqual(body('q0'));

    clock += 1000;
    const concurrent = await Promise.all([1, 2, 3, 4, 5].map((i) => prepare(m, body(`q${i}`))));
    const names = new Set(concurrent.map((p) => p.cache));
    expect(names.size).toBe(1);
    expect([...names][0]).toMatch(/^cachedContents\//);
    expect(emu.stats().byPath['/v1beta/cachedContents']).toBe(1);
    const snap = m.snapshot();
    expect(snap.created).toBe(1);
    expect(snap.reads).toBe(5);
    const tokens = snap.live[0]!.tokens;
    expect(charges).toEqual([
      { cache: [...names][0], model: 'gemini-2.5-flash', tokens, reason: 'create', ms: 300_000, pico: storagePico(tokens, FLASH_STORAGE, 300_000) },
    ]);
    expect(concurrent.filter((p) => p.charges.length === 1)).toHaveLength(1);

    const sent = concurrent[0]!.body;
    expect(sent.systemInstruction).toBeUndefined();
    expect(sent.generationConfig).toEqual({ maxOutputTokens: 50 });
    const viaCache = await generate(sent);
    const full = await generate(body('q1'));
    expect(usageOf(viaCache).cachedContentTokenCount).toBe(tokens);
    expect(usageOf(viaCache).promptTokenCount).toBe(usageOf(full).promptTokenCount);
    await m.close();
  });

  it('caches the history before the last user turn, and a grown conversation falls back to the head', async () => {
    const m = manager();
    const tools = [
      { functionDeclarations: [{ name: 'lookup', description: 'Looks a word up.', parameters: { type: 'OBJECT', properties: { word: { type: 'STRING' } } } }] },
    ];
    const history = [user(DOC), model('Read it.')];
    const body = (q: string) => ({
      systemInstruction: { parts: [{ text: 'You answer questions about the document.' }] },
      tools,
      contents: [...history, user(q)],
    });
    await prepare(m, body('first?'));
    clock += 1000;
    const p = await prepare(m, body('second?'));
    expect(p.cache).toBeDefined();
    expect(p.body.contents).toEqual([user('second?')]);
    expect(p.body.tools).toBeUndefined();
    const res = await generate(p.body);
    expect(res.status).toBe(200);
    expect(usageOf(res).promptTokenCount).toBe(usageOf(await generate(body('second?'))).promptTokenCount);
    // The head (system + tools) is far below the minimum: a new history is not served from a cache.
    const grown = await prepare(m, { ...body('third?'), contents: [...history, model('More.'), user('third?')] });
    expect(grown.cache).toBeUndefined();
    await m.close();
  });

  it('extends a cache in use once half its TTL is gone (PATCH), and refunds the rest on close', async () => {
    const charges: StorageCharge[] = [];
    const m = manager(charges);
    const body = (q: string) => ({ systemInstruction: { parts: [{ text: `${DOC} extend` }] }, contents: [user(q)] });
    await prepare(m, body('a'));
    clock += 1000;
    const created = await prepare(m, body('b'));
    const name = created.cache!;
    const tokens = m.snapshot().live[0]!.tokens;

    clock += 100_000; // 200 s left: no extension yet
    await prepare(m, body('c'));
    clock += 100_000; // 100 s left: extend to now + 300 s (200 s more)
    const used = await prepare(m, body('d'));
    expect(used.cache).toBe(name);
    await vi.waitFor(() => expect(charges.map((c) => c.reason)).toEqual(['create', 'extend']));
    expect(charges[1]).toMatchObject({ ms: 200_000, pico: storagePico(tokens, FLASH_STORAGE, 200_000) });
    const got = await fetch(`${emu.url}/v1beta/${name}`, { headers: { 'x-goog-api-key': 'k' } }).then((r) => r.json() as Promise<{ expireTime: string }>);
    expect(Date.parse(got.expireTime)).toBe(clock + 300_000);

    clock += 100_000; // past the first expiry: the local view moved too
    expect((await prepare(m, body('e'))).cache).toBe(name);
    await m.close();
    expect(charges.map((c) => c.reason)).toEqual(['create', 'extend', 'delete']);
    expect(charges[2]).toMatchObject({ ms: -200_000, pico: -storagePico(tokens, FLASH_STORAGE, 200_000) });
    expect(m.snapshot().storagePico).toBe(charges.reduce((s, c) => s + c.pico, 0));
    expect((await fetch(`${emu.url}/v1beta/${name}`, { headers: { 'x-goog-api-key': 'k' } })).status).toBe(403);
  });

  it('does not cache below the model minimum, without a storage price, or after the provider refused', async () => {
    const m = manager();
    const pro = (q: string) => ({ systemInstruction: { parts: [{ text: DOC }] }, contents: [user(q)] });
    await prepare(m, pro('a'), PRO, 'gemini-2.5-pro');
    clock += 1000;
    expect((await prepare(m, pro('b'), PRO, 'gemini-2.5-pro')).cache).toBeUndefined(); // 2,000 < 4,096

    let creates = 0;
    const refusing: ContextCacheApi = {
      create: () => {
        creates++;
        return Promise.reject(new Error('400 too small'));
      },
      extend: () => Promise.reject(new Error('unused')),
      remove: () => Promise.resolve(),
    };
    const r = manager([], refusing);
    const flash = (q: string) => ({ systemInstruction: { parts: [{ text: DOC }] }, contents: [user(q)] });
    for (let i = 0; i < 5; i++) {
      clock += 1000;
      expect((await prepare(r, flash(`q${i}`))).cache).toBeUndefined();
    }
    expect(creates).toBe(1);
    clock += 301_000; // blocked for one TTL; then two fresh sightings are needed again
    await prepare(r, flash('later'));
    expect(creates).toBe(1);
    clock += 1000;
    await prepare(r, flash('later still'));
    expect(creates).toBe(2);

    const unknown = manager();
    await prepare(unknown, flash('x'), FLASH, 'gemini-9-experimental');
    expect((await prepare(unknown, flash('y'), FLASH, 'gemini-9-experimental')).cache).toBeUndefined();
    expect(unknown.snapshot().trackedPrefixes).toBe(0);
  });
});

describe('the Gemini adapter with context caching', () => {
  const request = (q: string, stream = false): CanonicalRequest => ({
    model: 'gemini-2.5-flash',
    system: [{ type: 'text', text: `${DOC} adapter` }],
    messages: [{ role: 'user', content: [{ type: 'text', text: q }] }],
    stream,
    streamUsage: true,
    passthrough: { format: 'openai', fields: {} },
  });
  const creates = () => emu.stats().byPath['/v1beta/cachedContents'] ?? 0;

  it('is off without context caches', async () => {
    const adapter = createGeminiAdapter({});
    const target = { provider, upstreamModel: 'gemini-2.5-flash' };
    const before = creates();
    for (const q of ['one', 'two', 'three']) {
      const { response } = await adapter.complete(target, request(q), [], {});
      expect(response.usage.cacheReadTokens).toBe(0);
    }
    expect(creates()).toBe(before);
  });

  it('reports storage charges with the provider, and a stream falls back when the cache has expired upstream', async () => {
    const charges: Array<StorageCharge & { provider: string }> = [];
    let local = clock; // the adapter's own clock: it does not see the provider's time jump
    const adapter = createGeminiAdapter({ contextCaches: createContextCaches({ now: () => local, onStorageCharge: (c) => charges.push(c) }) });
    const target = { provider, upstreamModel: 'gemini-2.5-flash' };
    await adapter.complete(target, request('warm up'), [], {});
    local += 1000;
    const cached = await adapter.complete(target, request('now cached'), [], {});
    expect(cached.response.usage.cacheReadTokens).toBeGreaterThan(2000);
    expect(cached.response.usage.inputTokens).toBeLessThan(50);
    expect(charges).toHaveLength(1);
    expect(charges[0]).toMatchObject({ provider: 'gemini', reason: 'create', tokens: cached.response.usage.cacheReadTokens });

    const path = '/v1beta/models/gemini-2.5-flash:streamGenerateContent';
    const streamsBefore = emu.stats().byPath[path] ?? 0;
    clock += 2 * 3_600_000;
    const { events } = await adapter.stream(target, request('streamed', true), [], {});
    const all: StreamEvent[] = [];
    for await (const e of events) all.push(e);
    const finish = all.at(-1);
    expect(finish?.type).toBe('finish');
    expect(finish?.type === 'finish' && finish.usage.cacheReadTokens).toBe(0);
    expect(finish?.type === 'finish' && finish.usage.inputTokens).toBeGreaterThan(2000);
    expect((emu.stats().byPath[path] ?? 0) - streamsBefore).toBe(2);
    await adapter.close();
  });
});
