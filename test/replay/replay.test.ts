// costwise replay: results equal the ledger rows of the same requests sent through a live gateway,
// broken lines are reported, the output is deterministic, and policies compare.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import { loadPolicy, readTrace, replay, type ReplayPolicy } from '../../src/replay/index.js';
import type { ReplayOptions, ReplayOutcome } from '../../src/replay/index.js';
import { BIN } from '../helpers/process.js';
import { startTestEnv, type TestEnv } from '../helpers/env.js';
import { azureText, byLine, liveRows, mooncakeText, sendLive, sum, writeTrace } from './helpers.js';

const MODEL = 'claude-sonnet-4-5';

function options(file: string, policies: ReplayPolicy[] = [loadPolicy(undefined)], extra: Partial<ReplayOptions> = {}): ReplayOptions {
  return { file, policies, model: MODEL, speed: 'max', transport: 'http', seed: 1, top: 5, ...extra };
}

function lineMap(outcome: ReplayOutcome, policy = 0): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of outcome.runs[policy]!.sent) if (s.requestId) m.set(s.requestId, s.line);
  return m;
}

function policyFile(name: string, promptCacheMode: 'off' | 'auto'): string {
  return writeTrace(name, stringify({ ...structuredClone(DEFAULT_CONFIG), promptCache: { mode: promptCacheMode } }));
}

describe('replay of a Mooncake trace', () => {
  const file = writeTrace('mooncake.jsonl', mooncakeText());
  let replayed: ReplayOutcome;
  let env: TestEnv;
  let liveIds: Map<string, number>;

  beforeAll(async () => {
    replayed = await replay(options(file));
    env = await startTestEnv();
    liveIds = await sendLive(env, readTrace(file, { model: MODEL }));
  });
  afterAll(() => env.close());

  it('costs exactly what the same requests cost through a live gateway, request by request', async () => {
    const live = await liveRows(env);
    const rows = replayed.runs[0]!.rows;
    expect(rows).toHaveLength(live.length);
    expect(byLine(rows, lineMap(replayed))).toEqual(byLine(live, liveIds));
    const [a, b] = [sum(rows), sum(live)];
    expect(a).toEqual(b);
    // The trace's prefix reuse reached the provider cache: the comparison covers prompt caching.
    expect(a.promptCache).toBeGreaterThan(0n);
    const p = replayed.report.policies[0]!;
    expect(p.tokens.cache_read).toBeGreaterThan(0);
    expect(p.cost_usd).not.toBe(p.baseline_usd);
  });

  it('sends prompts of the trace sizes, with identical blocks for equal hash ids', () => {
    const rows = replayed.runs[0]!.rows;
    const lines = mooncakeText()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { input_length: number; output_length: number });
    const ids = lineMap(replayed);
    for (const r of rows) {
      const t = lines[ids.get(r.requestId)! - 1]!;
      expect(r.inputTokens + r.cacheReadTokens + r.cacheWrite5mTokens + r.cacheWrite1hTokens).toBe(t.input_length);
      expect(r.outputTokens).toBe(t.output_length);
    }
    const trace = readTrace(file, { model: MODEL });
    const parts = (i: number) =>
      (JSON.parse(trace.requests[i]!.build().body.toString()) as { messages: Array<{ content: Array<{ text: string }> }> }).messages[0]!.content.map(
        (c) => c.text,
      );
    expect(parts(0).slice(0, 4)).toEqual(parts(1).slice(0, 4));
    expect(parts(0)[4]).not.toBe(parts(1)[4]);
  });

  it('gives the same report twice, over HTTP and through the request listener alike', async () => {
    const again = await replay(options(file));
    expect(JSON.stringify(again.report)).toBe(JSON.stringify(replayed.report));
    const direct = await replay(options(file, undefined, { transport: 'direct' }));
    expect(JSON.stringify(direct.report)).toBe(JSON.stringify(replayed.report));
  });

  it('reports the saving by technique from the ledger and the requests behind it', () => {
    const p = replayed.report.policies[0]!;
    expect(p.requests).toEqual({ sent: 14, ok: 14, deferred: 0, failed: 0 });
    expect(p.saving_by_technique_usd['prompt_caching']).toBe(p.saving_usd);
    expect(p.by_technique).toEqual([expect.objectContaining({ technique: '(none)', requests: 14, cost_usd: p.cost_usd, baseline_usd: p.baseline_usd })]);
    expect(p.by_model).toEqual([expect.objectContaining({ requested_model: MODEL, served_model: MODEL, requests: 14 })]);
    expect(p.top_savings).toHaveLength(5);
    const savings = p.top_savings.map((t) => Number(t.saving_usd));
    expect(savings).toEqual([...savings].sort((x, y) => y - x));
  });

  it('replays a ledger export of that traffic at the recorded models and sizes', async () => {
    const res = await fetch(`${env.gateway.url}/api/requests?limit=1000`);
    const exported = writeTrace('ledger.json', await res.text());
    const out = await replay(options(exported));
    const live = await liveRows(env);
    const p = out.report.policies[0]!;
    expect(out.report.trace.format).toBe('ledger');
    expect(p.requests.ok).toBe(live.length);
    const tokens = (rows: typeof live) => rows.reduce((n, r) => n + r.inputTokens + r.cacheReadTokens + r.cacheWrite5mTokens + r.cacheWrite1hTokens, 0);
    expect(tokens(out.runs[0]!.rows)).toBe(tokens(live));
    expect(p.tokens.output).toBe(live.reduce((n, r) => n + r.outputTokens, 0));
  });
});

describe('replay of an Azure trace', () => {
  const file = writeTrace('azure.csv', azureText());

  it('reports broken lines with their reasons and replays the rest', async () => {
    const out = await replay(options(file));
    expect(out.report.trace.broken).toEqual([
      { line: 5, reason: 'TIMESTAMP is not "YYYY-MM-DD HH:MM:SS[.fraction]": "not"' },
      { line: 6, reason: 'ContextTokens must be at least 1, got -5' },
      { line: 7, reason: 'expected 3 columns, got 2' },
    ]);
    expect(out.report.policies[0]!.requests).toEqual({ sent: 5, ok: 5, deferred: 0, failed: 0 });
    const want = new Map([
      [2, [374, 44]],
      [3, [1396, 109]],
      [4, [2500, 12]],
      [8, [5200, 250]],
      [9, [64, 1]],
    ]);
    const ids = lineMap(out);
    for (const r of out.runs[0]!.rows) {
      const w = want.get(ids.get(r.requestId)!);
      if (!w) continue;
      expect([r.inputTokens + r.cacheReadTokens + r.cacheWrite5mTokens + r.cacheWrite1hTokens, r.outputTokens]).toEqual(w);
    }
  });

  it('equals the ledger of a live gateway to the pico-dollar', async () => {
    const out = await replay(options(file));
    const env = await startTestEnv();
    try {
      const ids = await sendLive(env, readTrace(file, { model: MODEL }));
      const live = await liveRows(env);
      expect(byLine(out.runs[0]!.rows, lineMap(out))).toEqual(byLine(live, ids));
      expect(sum(out.runs[0]!.rows)).toEqual(sum(live));
    } finally {
      await env.close();
    }
  });
});

describe('--compare', () => {
  it('replays each policy and shows what prompt caching changes', async () => {
    const file = writeTrace('mooncake-compare.jsonl', mooncakeText(21));
    const off = loadPolicy(policyFile('cache-off.yaml', 'off'));
    const auto = loadPolicy(policyFile('cache-auto.yaml', 'auto'));
    const out = await replay(options(file, [off, auto]));
    const [a, b] = out.report.policies;
    expect([a!.policy, b!.policy]).toEqual(['cache-off', 'cache-auto']);
    expect(a!.cost_usd).toBe(a!.baseline_usd);
    expect(a!.saving_by_technique_usd).toEqual({ prompt_caching: '0' });
    expect(b!.baseline_usd).toBe(a!.baseline_usd);
    expect(Number(b!.cost_usd)).toBeLessThan(Number(a!.cost_usd));
    expect(Number(out.report.comparison[1]!.vs_first_usd)).toBeLessThan(0);
    expect(out.report.comparison[0]!.vs_first_usd).toBe('0');
  });
});

describe('OpenAI request logs', () => {
  it("replays the bodies as recorded, reports broken lines and the gateway's refusals", async () => {
    const ok = (i: number) =>
      JSON.stringify({
        timestamp: 1_700_000_000_000 + i,
        body: { model: 'gpt-4.1-mini', messages: [{ role: 'user', content: `Question ${i}?` }], temperature: 0 },
        output_tokens: 7,
      });
    const file = writeTrace(
      'log.jsonl',
      [
        ok(1),
        '{"timestamp": 5, "body": ',
        ok(1),
        JSON.stringify({ timestamp: '2023-11-14T22:13:21Z', body: { model: 'gpt-4.1-mini', messages: 'x' } }),
        JSON.stringify({ timestamp: 9, body: { model: 'gpt-4.1-mini', messages: [{ role: 'wizard', content: 'x' }] } }),
        ok(2),
      ].join('\n'),
    );
    const out = await replay(options(file));
    expect(out.report.trace.broken.map((b) => b.line)).toEqual([2, 4]);
    expect(out.report.trace.broken[1]!.reason).toBe('body.messages must be an array');
    const p = out.report.policies[0]!;
    expect(p.requests).toEqual({ sent: 4, ok: 3, deferred: 0, failed: 1 });
    expect(p.errors).toEqual([expect.objectContaining({ line: 5, status: 400 })]);
    // The repeated deterministic request is answered by the response cache.
    expect(p.by_model).toContainEqual(expect.objectContaining({ technique: 'cache_exact', cache: 'hit-exact', requests: 1 }));
    expect(Number(p.saving_by_technique_usd['cache_exact'])).toBeGreaterThan(0);
  });
});

describe('the costwise replay command', () => {
  const built = existsSync(join(import.meta.dirname, '..', '..', 'dist', 'src', 'cli', 'replay.js'));
  it.skipIf(!built)('prints exactly one JSON object and names broken lines on stderr', async () => {
    const file = writeTrace('azure-cli.csv', azureText());
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, 'replay', '--trace', file, '--format', 'json', '--model', 'gpt-4.1-mini']);
    const report = JSON.parse(stdout) as { model: string; policies: unknown[]; trace: { broken_count: number } };
    expect(report.model).toBe('gpt-4.1-mini');
    expect(report.policies).toHaveLength(1);
    expect(report.trace.broken_count).toBe(3);
    expect(stderr).toContain('3 broken line(s) not replayed, e.g. line 5');
  });
});
