// Gemini `generateContent` response → canonical response.
import { randomUUID } from 'node:crypto';
import type { CanonicalResponse, StreamEvent } from '../../core/canonical.js';
import { GatewayError } from '../../core/errors.js';
import { BlockWriter, foldContent, generatedCallId } from './blocks.js';
import { mapFinishReason } from './finish-reason.js';
import { readChunk } from './read.js';
import { mapUsage } from './usage.js';

/**
 * Reads candidates[0] only (the gateway never asks for more). Parts Gemini can return that the
 * canonical shape cannot carry (inline images, executable code) are dropped.
 */
export function parseGenerateContentResponse(body: unknown, requestedModel: string): CanonicalResponse {
  const chunk = readChunk(body);
  if (!chunk.hasCandidate) {
    throw new GatewayError({ kind: 'upstream_error', message: 'malformed gemini response: no candidates' });
  }
  const writer = new BlockWriter(generatedCallId);
  const events: StreamEvent[] = [];
  for (const part of chunk.parts) events.push(...writer.push(part));
  events.push(...writer.finish());
  return {
    id: chunk.responseId ?? generatedResponseId(),
    model: chunk.modelVersion ?? requestedModel,
    content: foldContent(events),
    stopReason: mapFinishReason(chunk.finishReason, writer.hasToolCall),
    stopSequence: null,
    usage: mapUsage(chunk.usage),
    created: Math.floor(Date.now() / 1000),
  };
}

export function generatedResponseId(): string {
  return `gemini-${randomUUID()}`;
}
