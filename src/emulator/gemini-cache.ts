// Gemini `cachedContents` REST resource: `POST|GET /v1beta/cachedContents` (create, list) and
// `GET|PATCH|DELETE /v1beta/cachedContents/{id}`. The rules live in ./gemini-cache-store.ts.
import { badRequest, EmuError } from './errors.js';
import type { Exchange } from './exchange.js';
import { optionalContents, systemInstruction, toolChoice, tools } from './gemini-parse.js';
import { DEFAULT_CACHE_TTL_MS, GeminiCacheStore, type CachedContentEntry } from './gemini-cache-store.js';
import { isKnownModel } from './models.js';
import * as v from './parse-util.js';
import type { EmulatorState } from './state.js';

/** The shape of a route in ./server.ts. */
export interface CacheRoute {
  provider: 'gemini';
  body: boolean;
  run(ex: Exchange, body: unknown): Promise<void> | void;
}

// One store per emulator, kept beside its state (its clock and id source).
const stores = new WeakMap<EmulatorState, GeminiCacheStore>();

export function geminiCacheStore(state: EmulatorState): GeminiCacheStore {
  let store = stores.get(state);
  if (!store) {
    store = new GeminiCacheStore(state.now, () => state.nextId());
    stores.set(state, store);
  }
  return store;
}

const COLLECTION = /^\/v1beta\/cachedContents$/;
const ITEM = /^\/v1beta\/cachedContents\/([A-Za-z0-9_-]+)$/;

export function geminiCacheRoute(method: string, path: string, query: string): CacheRoute | null {
  if (COLLECTION.test(path)) {
    if (method === 'POST') return { provider: 'gemini', body: true, run: handleCreate };
    if (method === 'GET') return { provider: 'gemini', body: false, run: (ex) => handleList(ex, query) };
    return null;
  }
  const id = ITEM.exec(path)?.[1];
  if (id === undefined) return null;
  switch (method) {
    case 'GET':
      return { provider: 'gemini', body: false, run: (ex) => ex.sendPlain(200, render(geminiCacheStore(ex.state).get(id))) };
    case 'PATCH':
      return { provider: 'gemini', body: true, run: (ex, body) => handlePatch(ex, id, body) };
    case 'DELETE':
      return {
        provider: 'gemini',
        body: false,
        run: (ex) => {
          geminiCacheStore(ex.state).delete(id);
          ex.sendPlain(200, {});
        },
      };
    default:
      return null;
  }
}

function handleCreate(ex: Exchange, raw: unknown): void {
  const b = v.requireObj(raw, 'body');
  const model = v.requireString(b.model, 'model').replace(/^models\//, '');
  if (!isKnownModel(model)) throw new EmuError(404, `models/${model} is not found for API version v1beta, or is not supported for createCachedContent.`);
  const now = ex.state.now();
  const entry = geminiCacheStore(ex.state).create(
    {
      model,
      system: systemInstruction(b.systemInstruction ?? b.system_instruction),
      tools: tools(b.tools),
      toolChoice: toolChoice(b.toolConfig ?? b.tool_config),
      messages: optionalContents(b.contents),
      displayName: v.optString(b.displayName, 'displayName'),
      expireTime: expiration(b, now) ?? now + DEFAULT_CACHE_TTL_MS,
    },
    now,
  );
  ex.sendPlain(200, render(entry));
}

const UPDATABLE = new Set(['ttl', 'expireTime', 'name']);

function handlePatch(ex: Exchange, id: string, raw: unknown): void {
  const b = v.requireObj(raw, 'body');
  const other = Object.keys(b).find((k) => !UPDATABLE.has(k));
  if (other !== undefined) throw badRequest(`Only the expiration (ttl or expireTime) of a CachedContent can be updated; got "${other}".`);
  const expireTime = expiration(b, ex.state.now());
  if (expireTime === undefined) throw badRequest('* UpdateCachedContentRequest: ttl or expireTime is required.');
  ex.sendPlain(200, render(geminiCacheStore(ex.state).setExpiry(id, expireTime)));
}

function handleList(ex: Exchange, query: string): void {
  const params = new URLSearchParams(query);
  const size = Math.min(1000, Math.max(1, Number(params.get('pageSize')) || 100));
  const offset = Number(params.get('pageToken')) || 0;
  const all = geminiCacheStore(ex.state).list();
  const page = all.slice(offset, offset + size);
  const body: Record<string, unknown> = {};
  if (page.length > 0) body.cachedContents = page.map(render);
  if (offset + size < all.length) body.nextPageToken = String(offset + size);
  ex.sendPlain(200, body);
}

/** `ttl: "300s"` or `expireTime` (RFC 3339) → absolute ms; undefined when neither is set. */
function expiration(b: v.Obj, now: number): number | undefined {
  if (b.ttl !== undefined && b.expireTime !== undefined) throw badRequest('* expiration: only one of ttl and expireTime may be set.');
  if (b.ttl !== undefined) {
    const m = typeof b.ttl === 'string' ? /^(\d+)(?:\.(\d{1,9}))?s$/.exec(b.ttl) : null;
    if (!m)
      throw badRequest(
        `Invalid value at 'cached_content.ttl' (type.googleapis.com/google.protobuf.Duration), Field 'ttl', Illegal duration format; duration must end with 's'`,
      );
    const ms = Number(m[1]) * 1000 + Math.floor(Number(`0.${m[2] ?? '0'}`) * 1000);
    if (ms <= 0) throw badRequest('* cached_content.ttl: ttl must be positive.');
    return now + ms;
  }
  if (b.expireTime !== undefined) {
    const t = typeof b.expireTime === 'string' ? Date.parse(b.expireTime) : NaN;
    if (Number.isNaN(t)) throw badRequest(`Invalid value at 'cached_content.expire_time' (type.googleapis.com/google.protobuf.Timestamp)`);
    if (t <= now) throw badRequest('* cached_content.expire_time: expire_time must be in the future.');
    return t;
  }
  return undefined;
}

export function render(e: CachedContentEntry): Record<string, unknown> {
  return {
    name: `cachedContents/${e.id}`,
    model: `models/${e.model}`,
    ...(e.displayName !== undefined ? { displayName: e.displayName } : {}),
    createTime: new Date(e.createTime).toISOString(),
    updateTime: new Date(e.updateTime).toISOString(),
    expireTime: new Date(e.expireTime).toISOString(),
    usageMetadata: { totalTokenCount: e.tokens },
  };
}
