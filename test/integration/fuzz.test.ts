// Random and malformed input: always a 4xx in the route's own error shape, never a crash.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { startTestEnv, type TestEnv } from '../helpers/env.js';
import { shaped } from '../helpers/json.js';
import { AnthropicErrorBody } from '../helpers/wire-json.js';

let env: TestEnv;
beforeAll(async () => {
  env = await startTestEnv();
});
afterAll(() => env.close());

const ROUTES = ['/v1/chat/completions', '/v1/messages', '/v1/messages/count_tokens', '/v1/embeddings'] as const;

// Bodies that look roughly like requests, with fields of the wrong types and shapes.
const anyValue = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.anything(), { maxLength: 3 }),
  fc.object({ maxDepth: 2 }),
);
const message = fc.record(
  {
    role: fc.oneof(fc.constantFrom('user', 'assistant', 'system', 'tool', 'developer'), anyValue),
    content: fc.oneof(
      fc.string(),
      anyValue,
      fc.array(fc.record({ type: fc.oneof(fc.constantFrom('text', 'image', 'image_url', 'tool_use', 'tool_result'), anyValue), text: anyValue }), {
        maxLength: 3,
      }),
    ),
  },
  { requiredKeys: [] },
);
const body = fc.record(
  {
    model: fc.oneof(fc.constantFrom('gpt-4.1-mini', 'claude-haiku-4-5', 'gemini-2.5-flash', 'text-embedding-3-small'), anyValue),
    messages: fc.oneof(fc.array(message, { maxLength: 4 }), anyValue),
    max_tokens: fc.oneof(fc.integer({ min: -5, max: 100 }), anyValue),
    input: anyValue,
    tools: anyValue,
    tool_choice: anyValue,
    temperature: anyValue,
    stream: fc.oneof(fc.boolean(), anyValue),
    system: anyValue,
  },
  { requiredKeys: [] },
);

describe('fuzzed input', () => {
  it('never produces a 5xx or kills the gateway', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        fc.oneof(
          body.map((b) => JSON.stringify(b)),
          fc.string(),
        ),
        async (route, payload) => {
          const res = await fetch(`${env.gateway.url}${route}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
            body: payload,
          });
          const text = await res.text();
          expect(res.status, `${route} ${payload} → ${text}`).toBeLessThan(500);
          if (res.status >= 400) {
            const parsed = JSON.parse(text) as Record<string, unknown>;
            if (route === '/v1/chat/completions' || route === '/v1/embeddings') expect(parsed).toHaveProperty('error.message');
            else expect(shaped(parsed, AnthropicErrorBody).type).toBe('error'); // error.type and error.message are strings
          }
        },
      ),
      { numRuns: 300 },
    );
    const health = await fetch(`${env.gateway.url}/health`);
    expect(health.status).toBe(200);
  });
});
