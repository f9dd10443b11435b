import { describe, expect, it } from 'vitest';
import type { CanonicalRequest } from '../../src/core/canonical.js';
import { emptyRequest } from '../../src/core/canonical.js';
import { applyBreakpoints, hasCallerCacheControl } from '../../src/promptcache/apply.js';
import { blocksOfRequest } from '../../src/promptcache/blocks.js';
import { planBreakpoints } from '../../src/promptcache/planner.js';
import { SONNET, fixedReuse } from './helpers.js';

const words = (n: number, seed: string): string => Array.from({ length: n }, (_, i) => `${seed}${i}`).join(' ');
/** One token per word, so sizes are easy to reason about. */
const count = (t: string): number => (t.length === 0 ? 0 : t.split(' ').length);

function request(user: string): CanonicalRequest {
  const req = emptyRequest('anthropic');
  req.model = 'claude-sonnet-4-5';
  req.tools = [{ name: 'lookup', description: words(300, 'd'), parameters: { type: 'object' } }];
  req.system = [{ type: 'text', text: words(900, 's') }];
  req.messages = [
    { role: 'user', content: [{ type: 'text', text: words(400, 'q') }] },
    {
      role: 'assistant',
      content: [
        { type: 'thinking', text: 'hmm', signature: 'sig' },
        { type: 'text', text: words(50, 'a') },
      ],
    },
    {
      role: 'user',
      content: [
        { type: 'text', text: '' },
        { type: 'text', text: user },
      ],
    },
  ];
  return req;
}

describe('blocksOfRequest', () => {
  it('lists tools, then system, then message parts, with prefix-cumulative hashes', () => {
    const a = blocksOfRequest(request('first question'), count);
    const b = blocksOfRequest(request('another question'), count);
    expect(a.map((x) => x.kind)).toEqual(['tools', 'system', 'message', 'message', 'message', 'message', 'message']);
    expect(a.map((x) => x.cacheable)).toEqual([true, true, true, false, true, false, true]);
    expect(a[1]!.tokens).toBe(900);
    // Same prefix up to the last part, different from there on.
    expect(a.slice(0, 6).map((x) => x.hash)).toEqual(b.slice(0, 6).map((x) => x.hash));
    expect(a[6]!.hash).not.toBe(b[6]!.hash);
    expect(new Set(a.map((x) => x.hash)).size).toBe(a.length);
  });

  it('changes every later hash when the tools change', () => {
    const req = request('q');
    const other = request('q');
    other.tools = [{ name: 'lookup2', parameters: {} }];
    const a = blocksOfRequest(req, count);
    const b = blocksOfRequest(other, count);
    a.forEach((blk, i) => expect(blk.hash).not.toBe(b[i]!.hash));
  });
});

describe('applyBreakpoints', () => {
  const plan = (req: CanonicalRequest) => {
    const blocks = blocksOfRequest(req, count);
    return planBreakpoints(blocks, { pricing: SONNET, minCacheableTokens: 1024, mode: 'auto', now: 0, stats: fixedReuse(1, 1), namespace: 'n' });
  };

  it('marks the planned part and leaves the input untouched', () => {
    const req = request('what next');
    const p = plan(req);
    expect(p.breakpoints).toEqual([{ blockIndex: 6, ttl: '5m' }]);
    const out = applyBreakpoints(req, p);
    const last = out.messages[2]!.content[1]!;
    expect(last.type === 'text' && last.cacheControl).toEqual({ type: 'ephemeral' });
    expect(hasCallerCacheControl(req)).toBe(false);
    expect(hasCallerCacheControl(out)).toBe(true);
    expect(out.system[0]!.cacheControl).toBeUndefined();
  });

  it('puts a 1h marker on tools and system parts', () => {
    const req = request('x');
    const out = applyBreakpoints(req, {
      breakpoints: [
        { blockIndex: 0, ttl: '1h' },
        { blockIndex: 1, ttl: '1h' },
      ],
    });
    expect(out.tools![0]!.cacheControl).toEqual({ type: 'ephemeral', ttl: '1h' });
    expect(out.system[0]!.cacheControl).toEqual({ type: 'ephemeral', ttl: '1h' });
    expect(req.tools![0]!.cacheControl).toBeUndefined();
  });

  it("never touches a request carrying the caller's own markers", () => {
    const perPart = request('x');
    perPart.system[0]!.cacheControl = { type: 'ephemeral' };
    const topLevel = request('x');
    topLevel.cacheControl = { type: 'ephemeral' };
    const inToolResult = request('x');
    inToolResult.messages.push({
      role: 'user',
      content: [{ type: 'tool_result', toolCallId: 't', content: [{ type: 'text', text: 'r', cacheControl: { type: 'ephemeral' } }] }],
    });
    for (const req of [perPart, topLevel, inToolResult]) {
      expect(hasCallerCacheControl(req)).toBe(true);
      expect(applyBreakpoints(req, { breakpoints: [{ blockIndex: 2, ttl: '5m' }] })).toBe(req);
    }
  });

  it('refuses a breakpoint on a thinking block', () => {
    expect(() => applyBreakpoints(request('x'), { breakpoints: [{ blockIndex: 3, ttl: '5m' }] })).toThrow(/thinking/);
  });
});
