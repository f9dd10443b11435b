import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CanonicalMessage, CanonicalRequest, ContentPart } from '../../src/core/canonical.js';
import { toGenerateContentBody } from '../../src/wire/gemini/request.js';
import { parseGenerateContentResponse } from '../../src/wire/gemini/response.js';
import type { GeminiContent } from '../../src/wire/gemini/types.js';

// Requests in a subset Gemini can carry without loss: system text, user/assistant text turns,
// assistant tool calls and the user's tool results for them.

const name = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,20}$/);
const args = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });

const step = fc.record({
  userText: fc.string(),
  assistantText: fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
  calls: fc.array(fc.record({ name, args, result: fc.string() }), { maxLength: 3 }),
  reverseResults: fc.boolean(),
});

const request = fc
  .record({
    system: fc.array(fc.string({ minLength: 1 }), { maxLength: 2 }),
    steps: fc.array(step, { minLength: 1, maxLength: 5 }),
  })
  .map(({ system, steps }): CanonicalRequest => {
    const messages: CanonicalMessage[] = [];
    steps.forEach((s, i) => {
      messages.push({ role: 'user', content: [{ type: 'text', text: s.userText }] });
      const calls = s.calls.map((c, k) => ({ ...c, id: `call_${i}_${k}` }));
      const assistant: ContentPart[] = [];
      if (s.assistantText !== undefined) assistant.push({ type: 'text', text: s.assistantText });
      for (const c of calls) assistant.push({ type: 'tool_call', id: c.id, name: c.name, arguments: JSON.stringify(c.args) });
      if (assistant.length > 0) messages.push({ role: 'assistant', content: assistant });
      const results = s.reverseResults ? [...calls].reverse() : calls;
      if (results.length > 0) {
        messages.push({
          role: 'user',
          content: results.map((c) => ({ type: 'tool_result', toolCallId: c.id, content: [{ type: 'text', text: c.result }] })),
        });
      }
    });
    return {
      model: 'gemini-2.5-flash',
      system: system.map((text) => ({ type: 'text', text })),
      messages,
      stream: false,
      streamUsage: false,
      passthrough: { format: 'openai', fields: {} },
    };
  });

type Item =
  { role: string; text: string } | { role: string; call: string; id: string; args: unknown } | { role: string; result: string; id: string; content: unknown };

/** The canonical conversation as a flat sequence, tool results labelled with their call's name. */
function canonicalItems(req: CanonicalRequest): Item[] {
  const names = new Map<string, string>();
  return req.messages.flatMap((m) => {
    const role = m.role === 'user' ? 'user' : 'model';
    return m.content.flatMap((p): Item[] => {
      if (p.type === 'text') return [{ role, text: p.text }];
      if (p.type === 'tool_call') {
        names.set(p.id, p.name);
        return [{ role, call: p.name, id: p.id, args: JSON.parse(p.arguments) }];
      }
      if (p.type === 'tool_result') {
        const text = p.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
        return [{ role, result: names.get(p.toolCallId) ?? '?', id: p.toolCallId, content: text }];
      }
      return [];
    });
  });
}

/** The Gemini contents read back as the same flat sequence. */
function geminiItems(contents: GeminiContent[]): Item[] {
  return contents.flatMap((c) =>
    c.parts.flatMap((p): Item[] => {
      if ('text' in p) return [{ role: c.role, text: p.text }];
      if ('functionCall' in p) return [{ role: c.role, call: p.functionCall.name, id: p.functionCall.id ?? '', args: p.functionCall.args }];
      if ('functionResponse' in p) {
        const r = p.functionResponse;
        return [{ role: c.role, result: r.name, id: r.id ?? '', content: r.response.content }];
      }
      return [];
    }),
  );
}

describe('gemini request mapping (property)', () => {
  it('preserves system text, turn texts, tool names, ids, args and results', () => {
    fc.assert(
      fc.property(request, (req) => {
        const warnings: string[] = [];
        const body = toGenerateContentBody(req, warnings);
        expect(warnings).toEqual([]);
        const contents = body.contents as GeminiContent[];
        expect(geminiItems(contents)).toEqual(canonicalItems(req));
        // Roles alternate after merging, as Gemini expects.
        contents.forEach((c, i) => expect(c.role).not.toBe(contents[i - 1]?.role));
        const system = body.systemInstruction as { parts: Array<{ text: string }> } | undefined;
        expect(system?.parts.map((p) => p.text) ?? []).toEqual(req.system.map((p) => p.text));
      }),
      { numRuns: 300 },
    );
  });

  it('a model turn written by the mapper parses back to the same assistant content', () => {
    fc.assert(
      fc.property(request, (req) => {
        const contents = toGenerateContentBody(req, []).contents as GeminiContent[];
        const assistants = req.messages.filter((m) => m.role === 'assistant');
        const models = contents.filter((c) => c.role === 'model');
        expect(models).toHaveLength(assistants.length);
        models.forEach((content, i) => {
          const parsed = parseGenerateContentResponse({ candidates: [{ content, finishReason: 'STOP' }] }, 'm');
          const expected = (assistants[i]?.content ?? []).map((p) =>
            p.type === 'tool_call' ? { ...p, arguments: JSON.stringify(JSON.parse(p.arguments)) } : p,
          );
          expect(parsed.content).toEqual(expected);
          expect(parsed.stopReason).toBe(expected.some((p) => p.type === 'tool_call') ? 'tool_use' : 'end_turn');
        });
      }),
      { numRuns: 300 },
    );
  });
});
