// Anthropic Messages: `POST /v1/messages` (JSON and named-event SSE) and
// `POST /v1/messages/count_tokens`.
import { parseAnthropic } from './anthropic-parse.js';
import { badRequest, EmuError } from './errors.js';
import type { Exchange, Frame } from './exchange.js';
import { isKnownModel } from './models.js';
import type { CacheControl } from '../core/canonical.js';
import { CacheRuleViolation, type CachePlan, type CacheUsage } from '../providers/anthropic-cache-rules.js';
import type { PromptSegment } from '../tokens/count.js';
import { analyzePrompt, messagesStopReason, replyFor, tokensPerPiece, type Reply } from './reply.js';

function notFound(model: string): EmuError {
  return new EmuError(404, `model: ${model}`);
}

function usageBody(c: CacheUsage, outputTokens: number): Record<string, unknown> {
  return {
    input_tokens: c.inputTokens,
    cache_creation_input_tokens: c.cacheWrite5mTokens + c.cacheWrite1hTokens,
    cache_read_input_tokens: c.cacheReadTokens,
    cache_creation: { ephemeral_5m_input_tokens: c.cacheWrite5mTokens, ephemeral_1h_input_tokens: c.cacheWrite1hTokens },
    output_tokens: outputTokens,
    service_tier: 'standard',
  };
}

function contentBlock(r: Reply): Record<string, unknown> {
  if (r.kind === 'text') return { type: 'text', text: r.text };
  return { type: 'tool_use', id: `toolu_${r.idSuffix}`, name: r.name, input: JSON.parse(r.arguments) as unknown };
}

/** How a Messages stream's events are framed: SSE from Anthropic and Vertex; Bedrock's InvokeModel wraps each in an event-stream `chunk`. */
export interface MessagesFraming {
  encode(event: Record<string, unknown> & { type: string }): string | Uint8Array;
  contentType: string;
}

const SSE_FRAMING: MessagesFraming = {
  encode: (event) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`,
  contentType: 'text/event-stream; charset=utf-8',
};

export async function handleAnthropicMessages(ex: Exchange, body: unknown, framing: MessagesFraming = SSE_FRAMING): Promise<void> {
  const frame = (event: string, data: Record<string, unknown>, tokens = 0): Frame => ({ data: framing.encode({ type: event, ...data }), tokens });
  const canon = parseAnthropic(body);
  const model = canon.model;
  if (!isKnownModel(model)) throw notFound(model);
  const prompt = analyzePrompt(canon, model);
  const plan = planCache(ex, model, prompt.segments, canon.cacheControl);
  const r = replyFor(ex, canon, model, prompt);
  ex.admit(prompt.tokens, r.outputTokens);
  ex.onStart = () => plan.commit();
  const id = `msg_${ex.state.nextId()}`;
  const stop_sequence = r.kind === 'text' ? r.stopSequence : null;
  if (!canon.stream) {
    return ex.sendJson(
      {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [contentBlock(r)],
        stop_reason: messagesStopReason(r),
        stop_sequence,
        usage: usageBody(plan.usage, r.outputTokens),
      },
      r.outputTokens,
    );
  }
  const frames: Frame[] = [
    frame('message_start', {
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: usageBody(plan.usage, Math.min(1, r.outputTokens)),
      },
    }),
    frame('ping', {}),
  ];
  if (r.kind === 'text') {
    frames.push(frame('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }));
    const per = tokensPerPiece(r.outputTokens, r.pieces.length);
    for (const text of r.pieces) frames.push(frame('content_block_delta', { index: 0, delta: { type: 'text_delta', text } }, per));
  } else {
    frames.push(frame('content_block_start', { index: 0, content_block: { type: 'tool_use', id: `toolu_${r.idSuffix}`, name: r.name, input: {} } }));
    const per = tokensPerPiece(r.outputTokens, r.argumentPieces.length);
    for (const partial_json of r.argumentPieces) {
      frames.push(frame('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json } }, per));
    }
  }
  const { service_tier: _tier, cache_creation: _cc, ...finalUsage } = usageBody(plan.usage, r.outputTokens);
  frames.push(
    frame('content_block_stop', { index: 0 }),
    frame('message_delta', { delta: { stop_reason: messagesStopReason(r), stop_sequence }, usage: finalUsage }),
    frame('message_stop', {}),
  );
  return ex.sendStream(frames, framing.contentType);
}

export function handleAnthropicCountTokens(ex: Exchange, body: unknown): void {
  const canon = parseAnthropic(body, true);
  if (!isKnownModel(canon.model)) throw notFound(canon.model);
  ex.sendPlain(200, { input_tokens: analyzePrompt(canon, canon.model).tokens });
}

/** The provider's cache plan for the prompt (Anthropic's rules, on Bedrock and Vertex too); a request that breaks them gets a 400 with `errorCode`. */
export function planCache(
  ex: Exchange,
  model: string,
  segments: readonly PromptSegment[],
  topLevel: CacheControl | undefined,
  errorCode: string | null = null,
): CachePlan {
  try {
    return ex.state.anthropicCache.plan(model, segments, topLevel);
  } catch (err) {
    if (err instanceof CacheRuleViolation) throw badRequest(err.message, null, errorCode);
    throw err;
  }
}
