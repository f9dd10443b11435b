// Gemini explicit context caching (`cachedContents`), as the public v1beta API documents it:
// - a CachedContent holds a model's systemInstruction, tools, toolConfig and leading contents;
// - it lives until `expireTime` (set by `ttl` or `expireTime`; default 1 hour) on the emulator's
//   clock, may only have its expiration changed (PATCH), and is gone once expired or deleted;
// - it is refused below the model's minimum size (GEMINI_MIN_CACHE_TOKENS);
// - a generateContent naming it gets its parts prepended and reports `cachedContentTokenCount`
//   (included in `promptTokenCount`).
// Token counts use the emulator's prompt layout (../tokens/layout.ts), so a request served from a
// cache reports exactly the prompt size of the same request sent in full.
import type { CanonicalMessage, CanonicalRequest, TextPart, ToolChoice, ToolDefinition } from '../core/canonical.js';
import { layoutPrompt, REPLY_PRIMING_TOKENS, sumTokens } from '../tokens/layout.js';
import { badRequest, EmuError } from './errors.js';
import { minCacheTokens } from '../providers/anthropic-cache-rules.js';

/**
 * Minimum cacheable size by model-id prefix (longest prefix wins; 1,024 otherwise). Source: the
 * Gemini API context-caching docs (ai.google.dev/gemini-api/docs/caching): 1,024 tokens for
 * 2.5 Flash, 4,096 for 2.5 Pro; PROVIDER_PROTOCOLS.md §6 gives "1024 (Flash) / 2048–4096 (Pro)".
 * Flash-Lite and 3.x are UNCONFIRMED and follow their family.
 */
export const GEMINI_MIN_CACHE_TOKENS: Record<string, number> = {
  'gemini-2.5-flash': 1024,
  'gemini-2.5-pro': 4096,
  'gemini-3-pro': 4096,
  'gemini-3-flash': 1024,
};

export const DEFAULT_CACHE_TTL_MS = 60 * 60_000;

export interface CachedContentInput {
  model: string;
  system: TextPart[];
  tools: ToolDefinition[] | undefined;
  toolChoice: ToolChoice | undefined;
  messages: CanonicalMessage[];
  displayName: string | undefined;
  /** Absolute expiry in emulator ms. */
  expireTime: number;
}

export interface CachedContentEntry extends CachedContentInput {
  id: string;
  tokens: number;
  createTime: number;
  updateTime: number;
}

export class GeminiCacheStore {
  private readonly entries = new Map<string, CachedContentEntry>();

  constructor(
    private readonly now: () => number,
    private readonly newId: () => string,
    private readonly minTable: Record<string, number> = GEMINI_MIN_CACHE_TOKENS,
  ) {}

  get size(): number {
    this.sweep();
    return this.entries.size;
  }

  /** `at`: the request's arrival on the emulator clock, the same instant its expiry was computed from. */
  create(input: CachedContentInput, at: number = this.now()): CachedContentEntry {
    const tokens = cachedTokens(input);
    const min = minCacheTokens(input.model, this.minTable);
    if (tokens < min) {
      throw badRequest(`Cached content is too small. total_token_count=${tokens}, min_total_token_count=${min}`);
    }
    const entry: CachedContentEntry = { ...input, id: this.newId(), tokens, createTime: at, updateTime: at };
    this.entries.set(entry.id, entry);
    return entry;
  }

  /** The live entry, or a 403 (Gemini answers unknown and expired caches alike). */
  get(id: string): CachedContentEntry {
    const entry = this.entries.get(id);
    if (!entry || entry.expireTime <= this.now()) {
      if (entry) this.entries.delete(id);
      throw notFound(id);
    }
    return entry;
  }

  setExpiry(id: string, expireTime: number): CachedContentEntry {
    const entry = this.get(id);
    entry.expireTime = expireTime;
    entry.updateTime = this.now();
    return entry;
  }

  delete(id: string): void {
    this.get(id);
    this.entries.delete(id);
  }

  list(): CachedContentEntry[] {
    this.sweep();
    return [...this.entries.values()];
  }

  clear(): void {
    this.entries.clear();
  }

  private sweep(): void {
    const t = this.now();
    for (const [id, e] of this.entries) if (e.expireTime <= t) this.entries.delete(id);
  }
}

export function notFound(id: string): EmuError {
  return new EmuError(403, `CachedContent not found (or permission denied): cachedContents/${id}`);
}

/** The request the cache stands for, followed by `tail` (the request's own contents). */
export function withCachedPrefix(entry: CachedContentEntry, req: CanonicalRequest): CanonicalRequest {
  const merged: CanonicalRequest = { ...req, system: entry.system, messages: [...entry.messages, ...req.messages] };
  if (entry.tools) merged.tools = entry.tools;
  if (entry.toolChoice) merged.toolChoice = entry.toolChoice;
  return merged;
}

/** Tokens of the cached prefix: the prompt layout of its parts, without the reply priming. */
function cachedTokens(input: CachedContentInput): number {
  const req: CanonicalRequest = {
    model: input.model,
    system: input.system,
    messages: input.messages,
    stream: false,
    streamUsage: false,
    passthrough: { format: 'gemini', fields: {} },
  };
  if (input.tools) req.tools = input.tools;
  return sumTokens(layoutPrompt(req, input.model)) - REPLY_PRIMING_TOKENS;
}
