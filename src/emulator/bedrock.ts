// Bedrock runtime: `POST /model/{modelId}/converse` (JSON) and `/converse-stream` (AWS binary
// event stream). Cache points are planned by the same prompt-cache rules as Anthropic's and
// reported as `cacheReadInputTokens` / `cacheWriteInputTokens`, apart from `inputTokens`.
import { encodeEvent, EVENT_STREAM_TYPE } from '../wire/bedrock/event-stream.js';
import type { CacheUsage } from '../providers/anthropic-cache-rules.js';
import { planCache } from './anthropic.js';
import { parseConverse } from './bedrock-parse.js';
import { EmuError } from './errors.js';
import type { Exchange, Frame } from './exchange.js';
import { analyzePrompt, messagesStopReason, replyFor, tokensPerPiece } from './reply.js';

/** `us.anthropic.claude-…-v1:0` → `claude-…-v1:0`: the model the reply engine plays. */
export function emulatedModel(modelId: string): string {
  const bare = modelId.replace(/^(us|eu|apac|global|us-gov|jp|au|ca)\./, '');
  const dot = bare.indexOf('.');
  return dot < 0 ? bare : bare.slice(dot + 1);
}

const MODEL_ID = /^(?:(?:us|eu|apac|global|us-gov|jp|au|ca)\.)?[a-z0-9-]+\.[A-Za-z0-9._:-]+$/;

/** `publisher.model` with an optional inference-profile prefix. */
export function isBedrockModelId(modelId: string): boolean {
  return MODEL_ID.test(modelId);
}

function usage(c: CacheUsage, outputTokens: number): Record<string, number> {
  const write = c.cacheWrite5mTokens + c.cacheWrite1hTokens;
  return {
    inputTokens: c.inputTokens,
    outputTokens,
    totalTokens: c.inputTokens + c.cacheReadTokens + write + outputTokens,
    cacheReadInputTokens: c.cacheReadTokens,
    cacheWriteInputTokens: write,
  };
}

export async function handleConverse(ex: Exchange, body: unknown, modelId: string, stream: boolean): Promise<void> {
  if (!isBedrockModelId(modelId)) throw new EmuError(400, 'The provided model identifier is invalid.', { code: 'ValidationException' });
  const model = emulatedModel(modelId);
  const canon = parseConverse(body, model);
  const prompt = analyzePrompt(canon, model);
  const plan = planCache(ex, model, prompt.segments, undefined, 'ValidationException');
  const r = replyFor(ex, canon, model, prompt);
  ex.admit(prompt.tokens, r.outputTokens);
  ex.onStart = () => plan.commit();
  const toolUseId = r.kind === 'tool' ? `tooluse_${r.idSuffix}` : '';
  const metrics = { latencyMs: 1 };
  if (!stream) {
    const content = r.kind === 'text' ? [{ text: r.text }] : [{ toolUse: { toolUseId, name: r.name, input: JSON.parse(r.arguments) as unknown } }];
    return ex.sendJson(
      { output: { message: { role: 'assistant', content } }, stopReason: messagesStopReason(r), usage: usage(plan.usage, r.outputTokens), metrics },
      r.outputTokens,
    );
  }
  const frames: Frame[] = [{ data: encodeEvent('messageStart', { role: 'assistant' }), tokens: 0 }];
  if (r.kind === 'text') {
    const per = tokensPerPiece(r.outputTokens, r.pieces.length);
    for (const text of r.pieces) frames.push({ data: encodeEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text } }), tokens: per });
  } else {
    frames.push({ data: encodeEvent('contentBlockStart', { contentBlockIndex: 0, start: { toolUse: { toolUseId, name: r.name } } }), tokens: 0 });
    const per = tokensPerPiece(r.outputTokens, r.argumentPieces.length);
    for (const input of r.argumentPieces)
      frames.push({ data: encodeEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input } } }), tokens: per });
  }
  frames.push(
    { data: encodeEvent('contentBlockStop', { contentBlockIndex: 0 }), tokens: 0 },
    { data: encodeEvent('messageStop', { stopReason: messagesStopReason(r) }), tokens: 0 },
    { data: encodeEvent('metadata', { usage: usage(plan.usage, r.outputTokens), metrics }), tokens: 0 },
  );
  return ex.sendStream(frames, EVENT_STREAM_TYPE);
}
