// renderChatCompletionJson writes the chat.completion JSON directly for common answers: it must
// give exactly JSON.stringify(renderChatCompletion(...)) for every answer, common or not.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CanonicalResponse, StopReason } from '../../src/core/canonical.js';
import { renderChatCompletion, renderChatCompletionJson } from '../../src/wire/openai/response.js';

const text = fc.string({ maxLength: 20, unit: 'binary' });
const count = fc.nat({ max: 1_000_000 });
const STOP: StopReason[] = ['end_turn', 'max_tokens', 'stop_sequence', 'tool_use', 'refusal', 'pause_turn'];

const response: fc.Arbitrary<CanonicalResponse> = fc
  .record(
    {
      id: fc.oneof(fc.constant('chatcmpl-abc'), text),
      model: text,
      content: fc.array(
        fc.oneof(
          { weight: 5, arbitrary: fc.record({ type: fc.constant('text' as const), text }) },
          { weight: 1, arbitrary: fc.record({ type: fc.constant('thinking' as const), text }) },
          { weight: 1, arbitrary: fc.record({ type: fc.constant('tool_call' as const), id: text, name: text, arguments: text }) },
        ),
        { maxLength: 3 },
      ),
      stopReason: fc.constantFrom(...STOP),
      stopSequence: fc.constant(null),
      usage: fc.record({
        inputTokens: count,
        cacheReadTokens: count,
        cacheWrite5mTokens: fc.oneof(fc.constant(0), count),
        cacheWrite1hTokens: fc.oneof(fc.constant(0), count),
        outputTokens: count,
        reasoningTokens: count,
      }),
      created: fc.nat(),
      refusal: text,
    },
    { requiredKeys: ['id', 'model', 'content', 'stopReason', 'stopSequence', 'usage', 'created'] },
  )
  .map((r) => r as CanonicalResponse);

describe('renderChatCompletionJson', () => {
  it('is JSON.stringify(renderChatCompletion(...)) for every answer', () => {
    fc.assert(
      fc.property(response, text, text, (resp, model, requestId) => {
        expect(renderChatCompletionJson(resp, model, requestId)).toBe(JSON.stringify(renderChatCompletion(resp, model, requestId)));
      }),
      { numRuns: 2000 },
    );
  });
});
