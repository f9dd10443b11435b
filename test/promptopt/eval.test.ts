// The evaluations behind docs/prompt-optimisation.md: `costwise optimize eval` (lossless on real
// prompts and on JSON-heavy agent traffic), the seeded agent trace, the continuation model, and the
// planner on the agent trace and on the Mooncake trace (no regression).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPromptCacheEval } from '../../src/cli/promptcache.js';
import { ContinuationModel } from '../../src/promptcache/continuation.js';
import { agentBodies } from '../../src/promptcache/eval/agent-bodies.js';
import { agentTrace } from '../../src/promptcache/eval/agent-trace.js';
import { parseMooncakeTrace } from '../../src/promptcache/trace.js';
import { BIN } from '../helpers/process.js';
import { sharedData, skipWithoutSharedData } from '../helpers/shared-data.js';

const dir = mkdtempSync(join(tmpdir(), 'costwise-optimize-eval-'));
const ARENA = sharedData('prompts', 'arena-hard-v0.1.jsonl');
const MOONCAKE = sharedData('traces', 'mooncake-synthetic.jsonl');

interface EvalJson {
  totals: { requests: number; input_tokens_before: number; input_tokens_after: number; saving_pct: number; lossless_violations: number };
  requests: Array<{ line: number; input_tokens_before: number; input_tokens_after: number; lossless: boolean }>;
}

function optimizeEval(file: string, model: string): EvalJson {
  const r = spawnSync(process.execPath, [BIN, 'optimize', 'eval', '--prompts', file, '--model', model, '--format', 'json'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as EvalJson;
}

function writeJsonl(name: string, rows: readonly unknown[]): string {
  const file = join(dir, name);
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return file;
}

describe('costwise optimize eval', () => {
  it('counts tokens before and after per body, OpenAI and Anthropic', () => {
    const file = writeJsonl('two.jsonl', [
      { model: 'x', messages: [{ role: 'user', content: 'Hello   there,\n\n\n\nfriend.' }] },
      {
        model: 'claude-sonnet-4-5',
        max_tokens: 10,
        system: [{ type: 'text', text: 'Cached   prefix.', cache_control: { type: 'ephemeral' } }],
        messages: [{ role: 'user', content: [{ type: 'text', text: '{\n  "a": [1,\n 2]\n}' }] }],
      },
    ]);
    const out = optimizeEval(file, 'gpt-4.1');
    expect(out.totals.requests).toBe(2);
    expect(out.totals.lossless_violations).toBe(0);
    for (const r of out.requests) expect(r.input_tokens_after).toBeLessThan(r.input_tokens_before);
    expect(out.totals.input_tokens_before - out.totals.input_tokens_after).toBe(
      out.requests.reduce((a, r) => a + r.input_tokens_before - r.input_tokens_after, 0),
    );
  });

  it('names the line of a body it cannot read', () => {
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, '{"messages":[{"role":"user","content":"hi"}]}\n{"messages": 5}\n');
    const r = spawnSync(process.execPath, [BIN, 'optimize', 'eval', '--prompts', file, '--model', 'gpt-4.1'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/line 2: .*messages/);
  });

  it('≥ 10% fewer input tokens on JSON-heavy agent traffic, no violation', () => {
    const file = writeJsonl('agent-bodies.jsonl', agentBodies({ seed: 1, sessions: 8, model: 'gpt-4.1' }));
    const out = optimizeEval(file, 'gpt-4.1');
    expect(out.totals.lossless_violations).toBe(0);
    expect(out.totals.saving_pct).toBeGreaterThanOrEqual(10);
  });

  it.skipIf(skipWithoutSharedData(ARENA))('no violation on arena-hard-v0.1 wrapped as request bodies', () => {
    const prompts = readFileSync(ARENA, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => ({ model: 'gpt-4.1', messages: [{ role: 'user', content: (JSON.parse(l) as { prompt: string }).prompt }] }));
    const out = optimizeEval(writeJsonl('arena.jsonl', prompts), 'gpt-4.1');
    expect(out.totals.requests).toBe(500);
    expect(out.totals.lossless_violations).toBe(0);
    expect(out.requests.every((r) => r.lossless)).toBe(true);
  });
});

describe('agent trace', () => {
  it('is seeded, in the Mooncake layout, with sessions and stop reasons', () => {
    const a = agentTrace({ seed: 7, sessions: 30 });
    expect(agentTrace({ seed: 7, sessions: 30 })).toEqual(a);
    expect(agentTrace({ seed: 8, sessions: 30 })).not.toEqual(a);
    const parsed = parseMooncakeTrace(a.map((l) => JSON.stringify(l)).join('\n'));
    expect(parsed).toHaveLength(a.length);
    expect(new Set(a.map((l) => l.stop_reason))).toEqual(new Set(['tool_use', 'end_turn']));
    // Within a session every request extends the previous one's prompt (all but its partial last block).
    const bySession = new Map<string, typeof a>();
    for (const l of a) bySession.set(l.session_id, [...(bySession.get(l.session_id) ?? []), l]);
    for (const lines of bySession.values()) {
      for (let i = 1; i < lines.length; i++) {
        const prev = lines[i - 1]!.hash_ids;
        expect(lines[i]!.hash_ids.slice(0, prev.length - 1)).toEqual(prev.slice(0, -1));
      }
    }
  });

  it('the planner with continuation signals captures ≥ 95% of the oracle’s saving', () => {
    const file = writeJsonl('agent-trace.jsonl', agentTrace({ seed: 1, sessions: 150 }));
    const report = JSON.parse(JSON.stringify(runPromptCacheEval({ trace: file, model: 'claude-sonnet-4-5', format: 'json', mode: 'auto' }))) as Record<
      string,
      number
    >;
    expect(report['captured_share_of_oracle_saving']).toBeGreaterThanOrEqual(0.95);
  });

  it.skipIf(skipWithoutSharedData(MOONCAKE))('the Mooncake trace (no stop reasons) stays at 84.9% of the oracle', () => {
    const report = JSON.parse(JSON.stringify(runPromptCacheEval({ trace: MOONCAKE, model: 'claude-sonnet-4-5', format: 'json', mode: 'auto' }))) as Record<
      string,
      number
    >;
    expect(report['captured_share_of_oracle_saving']).toBeGreaterThanOrEqual(0.8485); // 84.9% rounded, as before signals
    expect(report['planned_cost_usd']).toBeCloseTo(104.69, 2);
  });
});

describe('ContinuationModel', () => {
  const MIN = 60_000;
  it('learns how often a tool_use is followed within 5 minutes, per class', () => {
    const m = new ContinuationModel();
    expect(m.arrive({ conversation: 'a', now: 0 })).toBeUndefined(); // no signal on a first request
    expect(m.arrive({ conversation: 'a', previousStop: 'tool_use', now: 2_000 })).toEqual({ '5m': 0.5, '1h': 0.5 }); // the prior
    let t = 4_000;
    for (let i = 0; i < 20; i++) m.arrive({ conversation: 'a', previousStop: 'tool_use', now: (t += 3_000) });
    const loop = m.arrive({ conversation: 'a', previousStop: 'tool_use', now: (t += 3_000) })!;
    expect(loop['5m']).toBeGreaterThan(0.9);
    // After an answer (end_turn), the next turn came an hour later: the `turn` class learns that.
    m.arrive({ conversation: 'b', now: t });
    m.arrive({ conversation: 'b', previousStop: 'end_turn', now: (t += 1_000) });
    const turn = m.arrive({ conversation: 'c', previousStop: 'end_turn', now: t + 61 * MIN })!;
    expect(turn['1h']).toBeLessThan(0.5);
  });

  it('gives no 5m credit to a conversation whose turns come more than 5 minutes apart', () => {
    const m = new ContinuationModel();
    m.arrive({ conversation: 'slow', now: 0 });
    const f = m.arrive({ conversation: 'slow', previousStop: 'end_turn', now: 7 * MIN })!;
    expect(f['5m']).toBe(0);
    expect(f['1h']).toBeGreaterThan(0);
  });
});
