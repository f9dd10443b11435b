// Gemini `streamGenerateContent?alt=sse` → canonical stream events. Each SSE data line is a whole
// GenerateContentResponse; there is no `[DONE]`: the stream ends when the body ends. Usage is
// cumulative in every chunk, so the last one seen is the request's usage.
import type { StreamEvent } from '../../core/canonical.js';
import { GatewayError } from '../../core/errors.js';
import type { SseEvent } from '../sse.js';
import { BlockWriter, generatedCallId } from './blocks.js';
import { parseGeminiError } from './errors.js';
import { mapFinishReason } from './finish-reason.js';
import { readChunk, type ReadUsage } from './read.js';
import { generatedResponseId } from './response.js';
import { mapUsage } from './usage.js';

/**
 * Emits `start` on the first chunk, block events as parts arrive and ONE `finish` at the end.
 * A stream that ends before any finishReason was cut short: it throws (an `upstream_error`)
 * rather than inventing a finish with partial usage. An `{"error":…}` chunk throws its error.
 */
export async function* geminiChunksToEvents(
  events: AsyncIterable<SseEvent>,
  requestedModel: string,
  options: { provider?: string } = {},
): AsyncGenerator<StreamEvent> {
  const provider = options.provider ?? 'gemini';
  const writer = new BlockWriter(generatedCallId);
  let started = false;
  let finishReason: string | undefined;
  let usage: ReadUsage | undefined;
  for await (const event of events) {
    const data = event.data.trim();
    if (data === '') continue;
    const json = parseData(data, provider);
    if (typeof json === 'object' && json !== null && 'error' in json) throw errorInStream(json, provider);
    const chunk = readChunk(json);
    if (!started) {
      started = true;
      yield {
        type: 'start',
        id: chunk.responseId ?? generatedResponseId(),
        model: chunk.modelVersion ?? requestedModel,
        created: Math.floor(Date.now() / 1000),
        usage: mapUsage(chunk.usage),
      };
    }
    for (const part of chunk.parts) yield* writer.push(part);
    if (chunk.finishReason !== undefined) finishReason = chunk.finishReason;
    if (chunk.usage !== undefined) usage = chunk.usage;
  }
  if (!started) throw cutShort(`the stream from ${provider} ended without any chunk`, provider);
  yield* writer.finish();
  if (finishReason === undefined) throw cutShort(`the stream from ${provider} ended before a finishReason`, provider);
  yield { type: 'finish', stopReason: mapFinishReason(finishReason, writer.hasToolCall), stopSequence: null, usage: mapUsage(usage) };
}

function parseData(data: string, provider: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    throw new GatewayError({ kind: 'upstream_error', message: `malformed stream from ${provider}: a chunk is not JSON`, provider });
  }
}

function errorInStream(body: object, provider: string): GatewayError {
  const code = (body as { error?: { code?: unknown } }).error?.code;
  const status = typeof code === 'number' && code >= 400 && code < 600 ? code : 500;
  return parseGeminiError(status, body, {}, provider);
}

function cutShort(message: string, provider: string): GatewayError {
  return new GatewayError({ kind: 'upstream_error', message, provider });
}
