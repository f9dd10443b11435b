// The lossless rewrite: what it removes, what it must keep byte for byte, determinism, and the
// equivalence check catching a rewrite that changed content.
import { describe, expect, it } from 'vitest';
import { emptyRequest, type CanonicalRequest } from '../../src/core/canonical.js';
import { compactJson, collapseWhitespace, losslessEquivalent, optimizeLossless } from '../../src/promptcache/optimize/index.js';

const KEEP = { cachedPrefix: 'keep' } as const;

function request(over: Partial<CanonicalRequest>): CanonicalRequest {
  return { ...emptyRequest('anthropic'), model: 'claude-sonnet-4-5', ...over };
}

describe('compactJson', () => {
  it('removes whitespace between tokens and keeps every literal byte for byte', () => {
    const text = '{\n  "a": [1.50, 2e3,  -0],\n  "big": 12345678901234567890123,\n  "s": "two  spaces\\n \\"q\\" "\n}';
    expect(compactJson(text)).toBe('{"a":[1.50,2e3,-0],"big":12345678901234567890123,"s":"two  spaces\\n \\"q\\" "}');
  });
  it('leaves text that is not a JSON object or array', () => {
    expect(compactJson('42')).toBeUndefined();
    expect(compactJson('{ not json }')).toBeUndefined();
    expect(compactJson('plain  text')).toBeUndefined();
  });
});

describe('collapseWhitespace', () => {
  it('collapses runs in prose, keeps indentation, tabs, code fences, <pre> and inline code', () => {
    const text = 'Hello   world.  \n\n\n\nList:\n  - item   one\ncol\t\tcol\n```py\nx  =  1   # aligned\n```\nthen `a  b` and\n<pre>  keep   this </pre>';
    expect(collapseWhitespace(text)).toBe(
      'Hello world.\n\nList:\n  - item one\ncol\t\tcol\n```py\nx  =  1   # aligned\n```\nthen `a  b` and\n<pre>  keep   this </pre>',
    );
  });
  it('returns the same string when there is nothing to do', () => {
    const s = 'already tidy\ntext';
    expect(collapseWhitespace(s)).toBe(s);
  });
});

describe('optimizeLossless', () => {
  const pretty = JSON.stringify(
    {
      results: [
        { id: 1, title: 'a  b' },
        { id: 2, title: 'c' },
      ],
    },
    null,
    2,
  );
  const tool = { name: 'search', description: 'Search   the web.', parameters: { type: 'object', properties: { q: { type: 'string', description: '' } } } };
  const req = request({
    system: [
      { type: 'text', text: 'You are   terse.' },
      { type: 'text', text: '' },
    ],
    tools: [tool, structuredClone(tool)],
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'Find  it.' }] },
      { role: 'assistant', content: [{ type: 'tool_call', id: 't1', name: 'search', arguments: '{ "q" : "x" }' }] },
      {
        role: 'user',
        content: [
          { type: 'tool_result', toolCallId: 't1', content: [{ type: 'text', text: pretty }] },
          { type: 'text', text: '' },
        ],
      },
    ],
  });

  it('rewrites whitespace, JSON, duplicate tools and empty fields', () => {
    const out = optimizeLossless(req, KEEP);
    expect(out.system).toEqual([{ type: 'text', text: 'You are terse.' }]);
    expect(out.tools).toEqual([{ name: 'search', description: 'Search the web.', parameters: { type: 'object', properties: { q: { type: 'string' } } } }]);
    expect(out.messages[0]!.content).toEqual([{ type: 'text', text: 'Find it.' }]);
    expect(out.messages[1]!.content).toEqual([{ type: 'tool_call', id: 't1', name: 'search', arguments: '{"q":"x"}' }]);
    expect(out.messages[2]!.content).toEqual([
      { type: 'tool_result', toolCallId: 't1', content: [{ type: 'text', text: '{"results":[{"id":1,"title":"a  b"},{"id":2,"title":"c"}]}' }] },
    ]);
    expect(losslessEquivalent(req, out)).toBe(true);
    expect(req.messages[2]!.content).toHaveLength(2); // the input is not mutated
  });

  it('is deterministic: the same input gives byte-identical output, and a second pass changes nothing', () => {
    const a = optimizeLossless(structuredClone(req), KEEP);
    const b = optimizeLossless(structuredClone(req), KEEP);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(optimizeLossless(a, KEEP)).toBe(a);
  });

  it('never touches the caller’s cache_control prefix unless told to', () => {
    const marked = structuredClone(req);
    marked.messages[1]!.content = [{ type: 'tool_call', id: 't1', name: 'search', arguments: '{ "q" : "x" }', cacheControl: { type: 'ephemeral' } }];
    const out = optimizeLossless(marked, KEEP);
    expect(out.system).toEqual(marked.system);
    expect(out.tools).toEqual(marked.tools);
    expect(out.messages[0]).toEqual(marked.messages[0]);
    expect(out.messages[1]).toEqual(marked.messages[1]);
    expect(out.messages[2]!.content).toHaveLength(1); // after the marker: rewritten
    expect(optimizeLossless({ ...req, cacheControl: { type: 'ephemeral' } }, KEEP)).toEqual({ ...req, cacheControl: { type: 'ephemeral' } });
    const all = optimizeLossless(marked, { cachedPrefix: 'optimize' });
    expect(all.system).toEqual([{ type: 'text', text: 'You are terse.' }]);
  });

  it('leaves non-JSON tool results byte-exact (an agent edits files by exact match)', () => {
    const file = 'def f():\n    return  1   # two spaces\n\n\n\n';
    const r = request({ messages: [{ role: 'user', content: [{ type: 'tool_result', toolCallId: 'a', content: [{ type: 'text', text: file }] }] }] });
    expect(optimizeLossless(r, KEEP)).toBe(r);
  });
});

describe('losslessEquivalent', () => {
  it('catches a changed word, a changed JSON value and a dropped tool', () => {
    const base = request({ tools: [{ name: 'a', parameters: {} }], messages: [{ role: 'user', content: [{ type: 'text', text: 'hello  world' }] }] });
    expect(losslessEquivalent(base, { ...base, messages: [{ role: 'user', content: [{ type: 'text', text: 'hello word' }] }] })).toBe(false);
    expect(losslessEquivalent(base, { ...base, tools: [] })).toBe(false);
    const json = (t: string): CanonicalRequest =>
      request({ messages: [{ role: 'user', content: [{ type: 'tool_result', toolCallId: 'x', content: [{ type: 'text', text: t }] }] }] });
    expect(losslessEquivalent(json('{ "a": 1 }'), json('{"a":1}'))).toBe(true);
    expect(losslessEquivalent(json('{ "a": 1 }'), json('{"a":2}'))).toBe(false);
  });
});
