// A response replayed as stream events and collected again is the same response.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { responseEvents } from '../../src/core/response-stream.js';
import { StreamCollector } from '../../src/core/stream-collect.js';
import type { CanonicalResponse } from '../../src/core/canonical.js';

const part = fc.oneof(
  fc.record({ type: fc.constant('text' as const), text: fc.string({ maxLength: 300 }) }),
  fc.record({
    type: fc.constant('tool_call' as const),
    id: fc.string({ minLength: 1, maxLength: 10 }),
    name: fc.string({ minLength: 1, maxLength: 10 }),
    arguments: fc.json(),
  }),
  fc.record({ type: fc.constant('thinking' as const), text: fc.string({ maxLength: 100 }), signature: fc.string({ minLength: 1, maxLength: 20 }) }),
);
const usage = fc.record({
  inputTokens: fc.nat(),
  cacheReadTokens: fc.nat(),
  cacheWrite5mTokens: fc.nat(),
  cacheWrite1hTokens: fc.nat(),
  outputTokens: fc.nat(),
  reasoningTokens: fc.nat(),
});
const response = fc.record({
  id: fc.string(),
  model: fc.string(),
  content: fc.array(part, { maxLength: 5 }),
  stopReason: fc.constantFrom('end_turn', 'max_tokens', 'stop_sequence', 'tool_use' as const),
  stopSequence: fc.option(fc.string(), { nil: null }),
  usage,
  created: fc.nat(),
}) as fc.Arbitrary<CanonicalResponse>;

describe('responseEvents ⇄ StreamCollector', () => {
  it('property: collect(replay(r)) equals r', () => {
    fc.assert(
      fc.property(response, (r) => {
        const c = new StreamCollector();
        for (const e of responseEvents(r)) c.add(e);
        expect(c.result()).toEqual(r);
      }),
      { numRuns: 300 },
    );
  });

  it('an unfinished stream collects to nothing', () => {
    const c = new StreamCollector();
    const events = responseEvents({
      id: 'a',
      model: 'm',
      content: [{ type: 'text', text: 'hi' }],
      stopReason: 'end_turn',
      stopSequence: null,
      usage: { inputTokens: 1, cacheReadTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, outputTokens: 1, reasoningTokens: 0 },
      created: 1,
    });
    for (const e of events.slice(0, -1)) c.add(e);
    expect(c.result()).toBeUndefined();
  });
});
