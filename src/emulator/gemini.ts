// Gemini: `POST /v1beta/models/{model}:generateContent | :streamGenerateContent?alt=sse |
// :countTokens | :embedContent | :batchEmbedContents`.
import { badRequest, EmuError } from './errors.js';
import type { Exchange, Frame } from './exchange.js';
import { defaultDimensions, embedVector } from './embeddings.js';
import { parseGemini } from './gemini-parse.js';
import { geminiCacheStore } from './gemini-cache.js';
import { withCachedPrefix } from './gemini-cache-store.js';
import type { CanonicalRequest } from '../core/canonical.js';
import { isKnownModel } from './models.js';
import * as v from './parse-util.js';
import { analyzePrompt, replyFor, type Reply } from './reply.js';
import { countTextTokens } from '../tokens/count.js';

const PIECES_PER_CHUNK = 5;

function checkModel(model: string): void {
  if (!isKnownModel(model)) throw new EmuError(404, `models/${model} is not found for API version v1beta, or is not supported for generateContent.`);
}

function finishReason(r: Reply): string {
  return r.kind === 'text' && r.stop === 'max_tokens' ? 'MAX_TOKENS' : 'STOP';
}

export async function handleGenerate(ex: Exchange, body: unknown, model: string, stream: boolean): Promise<void> {
  checkModel(model);
  const { canon, cachedTokens } = withCachedContent(ex, body, parseGemini(body, model, stream), model);
  const prompt = analyzePrompt(canon, model);
  const r = replyFor(ex, canon, model, prompt);
  ex.admit(prompt.tokens, r.outputTokens);
  const usageMetadata = {
    promptTokenCount: prompt.tokens,
    candidatesTokenCount: r.outputTokens,
    totalTokenCount: prompt.tokens + r.outputTokens,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt.tokens }],
    ...(cachedTokens > 0 ? { cachedContentTokenCount: cachedTokens, cacheTokensDetails: [{ modality: 'TEXT', tokenCount: cachedTokens }] } : {}),
  };
  const responseId = ex.state.nextId();
  const candidate = (parts: unknown[], finish: string | null): Record<string, unknown> => {
    const c: Record<string, unknown> = { content: { parts, role: 'model' }, index: 0 };
    if (finish) c.finishReason = finish;
    return c;
  };
  if (!stream) {
    const parts = r.kind === 'text' ? [{ text: r.text }] : [{ functionCall: { name: r.name, args: JSON.parse(r.arguments) as unknown } }];
    return ex.sendJson({ candidates: [candidate(parts, finishReason(r))], usageMetadata, modelVersion: model, responseId }, r.outputTokens);
  }
  const frames: Frame[] = [];
  const push = (parts: unknown[], last: boolean, tokens: number): void => {
    const chunk: Record<string, unknown> = { candidates: [candidate(parts, last ? finishReason(r) : null)] };
    if (last) chunk.usageMetadata = usageMetadata;
    chunk.modelVersion = model;
    chunk.responseId = responseId;
    frames.push({ data: `data: ${JSON.stringify(chunk)}\r\n\r\n`, tokens });
  };
  if (r.kind === 'tool') {
    push([{ functionCall: { name: r.name, args: JSON.parse(r.arguments) as unknown } }], true, r.outputTokens);
  } else {
    const groups = Math.max(1, Math.ceil(r.pieces.length / PIECES_PER_CHUNK));
    for (let g = 0; g < groups; g++) {
      const text = r.pieces.slice(g * PIECES_PER_CHUNK, (g + 1) * PIECES_PER_CHUNK).join('');
      push([{ text }], g === groups - 1, r.outputTokens / groups);
    }
  }
  return ex.sendStream(frames);
}

export function handleCountTokens(ex: Exchange, body: unknown, model: string): void {
  checkModel(model);
  const b = v.requireObj(body, 'body');
  const inner = v.isObj(b.generateContentRequest) ? b.generateContentRequest : b;
  const { canon, cachedTokens } = withCachedContent(ex, inner, parseGemini(inner, model, false), model);
  const tokens = analyzePrompt(canon, model).tokens;
  ex.sendPlain(200, {
    totalTokens: tokens,
    ...(cachedTokens > 0 ? { cachedContentTokenCount: cachedTokens } : {}),
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: tokens }],
  });
}

const FIELDS_OWNED_BY_CACHE = ['systemInstruction', 'system_instruction', 'tools', 'toolConfig', 'tool_config'];

/**
 * A request naming `cachedContent` gets the cache's parts put in front of its own; it may not set
 * the parts the cache owns. Unknown and expired caches are a 403 (see ./gemini-cache-store.ts).
 */
function withCachedContent(ex: Exchange, body: unknown, canon: CanonicalRequest, model: string): { canon: CanonicalRequest; cachedTokens: number } {
  const name = v.isObj(body) ? (body.cachedContent ?? body.cached_content) : undefined;
  if (name === undefined || name === null) return { canon, cachedTokens: 0 };
  const resource = v.requireString(name, 'cachedContent');
  const id = /^cachedContents\/([A-Za-z0-9_-]+)$/.exec(resource)?.[1];
  if (id === undefined) throw badRequest(`* GenerateContentRequest.cached_content: invalid resource name "${resource}"`);
  if (FIELDS_OWNED_BY_CACHE.some((f) => (body as v.Obj)[f] !== undefined)) {
    throw badRequest(
      'CachedContent can not be used with GenerateContent request setting system_instruction, tools or tool_config.\n\nProposed fix: move those values to CachedContent from GenerateContent request.',
    );
  }
  const entry = geminiCacheStore(ex.state).get(id);
  if (entry.model !== model) {
    throw badRequest(`Model used by GenerateContent request (models/${model}) and CachedContent (models/${entry.model}) has to be the same.`);
  }
  return { canon: withCachedPrefix(entry, canon), cachedTokens: entry.tokens };
}

function embedOne(raw: unknown, model: string, param: string): { values: number[]; tokens: number } {
  const req = v.requireObj(raw, param);
  const content = v.requireObj(req.content, `${param}.content`);
  const texts = v.requireArray(content.parts ?? [], `${param}.content.parts`).map((p) => {
    const t = v.isObj(p) ? p.text : undefined;
    return typeof t === 'string' ? t : '';
  });
  const text = texts.join('\n');
  if (text.length === 0) throw badRequest(`* ${param}.content: contents must not be empty`);
  const full = defaultDimensions(model);
  const dims = v.optPositiveInt(req.outputDimensionality, `${param}.outputDimensionality`) ?? full;
  if (dims > full) throw badRequest(`* ${param}.outputDimensionality: must be at most ${full}`);
  return { values: Array.from(embedVector(model, text, dims)), tokens: countTextTokens(text, model) };
}

export async function handleEmbed(ex: Exchange, body: unknown, model: string, batch: boolean): Promise<void> {
  checkModel(model);
  const b = v.requireObj(body, 'body');
  if (!batch) {
    const e = embedOne(b, model, 'request');
    ex.admit(e.tokens, 0);
    return ex.sendJson({ embedding: { values: e.values } });
  }
  const requests = v.requireArray(b.requests, 'requests');
  const out = requests.map((r, i) => {
    const reqModel = v.isObj(r) && typeof r.model === 'string' ? r.model.replace(/^models\//, '') : model;
    checkModel(reqModel);
    return embedOne(r, reqModel, `requests[${i}]`);
  });
  ex.admit(
    out.reduce((n, e) => n + e.tokens, 0),
    0,
  );
  return ex.sendJson({ embeddings: out.map((e) => ({ values: e.values })) });
}
