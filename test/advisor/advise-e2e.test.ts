// The advisor on a ledger built by replaying outcome data through the real gateway with shadow
// sampling on: the emulator answers every prompt with the recorded response of the model asked for
// (Sonnet plays "strong", Haiku plays "cheap"), shadow evaluation sends each answered request to
// Haiku too, and `costwise advise` reads the rows back. The labels never reach the gateway: the
// test holds them, and checks the advice against them.
//
// Tags of the fixture (200 prompts each):
//   same-choice  Haiku states the same letter in other words ("The answer is B.") — same labels
//   same-number  Haiku gives the same final number without the working — same labels
//   split-choice Haiku picks another letter on 30% of prompts, and is wrong there
//   near-choice  Haiku picks another letter on 3% of prompts (3 points less accurate)
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ruleSchema } from '../../src/config/rule-schema.js';
import type { AdviceReport } from '../../src/advisor/types.js';
import type { LedgerRow } from '../../src/storage/types.js';
import { BIN } from '../helpers/process.js';
import { dir, writeTrace } from '../replay/helpers.js';

const run = promisify(execFile);
const N = 200;
const TAGS = ['same-choice', 'same-number', 'split-choice', 'near-choice'] as const;
type Tag = (typeof TAGS)[number];
/** Share of prompts on which Haiku answers otherwise (and is then wrong). */
const DIFFERS: Record<Tag, number> = { 'same-choice': 0, 'same-number': 0, 'split-choice': 0.3, 'near-choice': 0.03 };
// Anthropic list prices in pico-dollars per token (input, output).
const SONNET = { input: 3_000_000, output: 15_000_000 };
const HAIKU = { input: 1_000_000, output: 5_000_000 };

interface Row {
  prompt: string;
  tag: Tag;
  strong: number;
  cheap: number;
  strongAnswer: string;
  cheapAnswer: string;
}

function csvCell(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}

function fixtureRows(): Row[] {
  const rows: Row[] = [];
  for (const tag of TAGS) {
    let differing = Math.round(N * DIFFERS[tag]);
    for (let i = 0; i < N; i++) {
      // The strong model is right on 4 of 5 prompts; where Haiku differs it is chosen among those.
      const strong = i % 5 === 4 ? 0 : 1;
      const differs = strong === 1 && differing > 0;
      if (differs) differing--;
      const letter = 'ABCD'[i % 4]!;
      const other = 'ABCD'[(i + 1) % 4]!;
      if (tag === 'same-number') {
        const n = 17 * i + 3;
        rows.push({
          prompt: `${tag} ${i}: a shop sells ${i + 1} boxes of 17 pens and 3 loose pens. How many pens?`,
          tag,
          strong,
          cheap: strong,
          strongAnswer: `There are ${i + 1} boxes of 17 pens, so ${17 * (i + 1)} pens, minus 14 returned... #### ${n}`,
          cheapAnswer: `The answer is ${n}.`,
        });
        continue;
      }
      rows.push({
        prompt: `${tag} ${i}: which option is right?\nA) one\nB) two\nC) three\nD) four\nAnswer:`,
        tag,
        strong,
        cheap: differs ? 0 : strong,
        strongAnswer: letter,
        cheapAnswer: `The answer is ${differs ? other : letter}.`,
      });
    }
  }
  return rows;
}

function fixtureCsv(rows: readonly Row[]): string {
  // RouterBench layout; the recorded costs are never read (the ledger prices what was served).
  const head = 'prompt,eval_name,cheap,strong,cheap|model_response,strong|model_response,cheap|total_cost,strong|total_cost';
  const line = (r: Row): string => [csvCell(r.prompt), r.tag, r.cheap, r.strong, csvCell(r.cheapAnswer), csvCell(r.strongAnswer), 0.0001, 0.001].join(',');
  return [head, ...rows.map(line)].join('\n') + '\n';
}

const POLICY = `
providers:
  - { name: anthropic, kind: anthropic, baseUrl: emulator, apiKey: emulated }
models:
  - { name: claude-haiku-4-5, provider: anthropic, tier: cheap }
  - { name: claude-sonnet-4-5, provider: anthropic, tier: mid }
  - { name: claude-opus-4-1, provider: anthropic, tier: frontier }
emulator:
  outcomes:
    models: { claude-haiku-4-5: cheap, claude-sonnet-4-5: strong, claude-opus-4-1: strong }
advisor:
  shadow: { sample: 1, candidates: [claude-haiku-4-5, claude-opus-4-1] }
`;

describe('costwise advise on a replayed ledger with shadow evaluation', () => {
  const rows = fixtureRows();
  let report: AdviceReport;
  let policyFile: string;
  let ledgerPath: string;
  let ledger: LedgerRow[];
  let replayed: { policies: Array<{ saving_usd: string; by_technique: Array<{ technique: string; saving_usd: string; requests: number }> }> };

  beforeAll(async () => {
    const trace = writeTrace('advise-outcomes.csv', fixtureCsv(rows));
    const policy = writeTrace('advise-policy.yaml', POLICY);
    const ledgerFile = `${dir}/advise-ledger.jsonl`;
    const replayOut = await run(process.execPath, [BIN, 'replay', '--trace', trace, '--policy', policy, '--format', 'json', '--ledger-out', ledgerFile], {
      maxBuffer: 64 << 20,
    });
    replayed = JSON.parse(replayOut.stdout) as typeof replayed;
    ledger = readFileSync(ledgerFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as LedgerRow);
    policyFile = policy;
    ledgerPath = ledgerFile;
    const { stdout } = await run(process.execPath, [BIN, 'advise', '-c', policy, '--ledger', ledgerFile, '--format', 'json', '--days', '1']);
    report = JSON.parse(stdout) as AdviceReport;
  }, 240_000);

  it('billed every shadow call on its own row, technique shadow, with no effect on the saving', () => {
    const shadows = ledger.filter((r) => r.technique === 'shadow');
    // Every request shadowed on both candidates.
    expect(shadows).toHaveLength(2 * rows.length);
    for (const s of shadows) {
      expect(s.parentId).not.toBeNull();
      expect(s.baselinePico).toBe(s.costPico);
      expect(s.route).toMatch(/^shadow:claude-sonnet-4-5->claude-(haiku-4-5|opus-4-1):(agree|disagree)\((choice|number)\)$/);
    }
    // Shadowing costs money but is no request and no saving (or loss).
    const [p] = replayed.policies;
    expect(p!.by_technique.find((t) => t.technique === 'shadow')).toMatchObject({ requests: 0, saving_usd: '0' });
    expect(p!.saving_usd).toBe('0');
    const haikuDisagree = shadows.filter((s) => s.servedModel === 'claude-haiku-4-5' && s.route.includes(':disagree')).length;
    expect(haikuDisagree).toBe(Math.round(N * 0.3) + Math.round(N * 0.03));
  });

  it('recommends a cheaper model only where the labels say accuracy stays within 2 points, and misses no tag within 1 point at half the price', () => {
    const models = report.recommendations.filter((r) => r.kind === 'model');
    const recommended = new Map(models.map((r) => [r.scope, r]));
    for (const tag of TAGS) {
      const of = rows.filter((r) => r.tag === tag);
      const loss = (of.reduce((s, r) => s + r.strong, 0) - of.reduce((s, r) => s + r.cheap, 0)) / of.length;
      const rec = recommended.get(`tag:${tag}`);
      if (rec) expect(loss, tag).toBeLessThanOrEqual(0.02);
      // Haiku is a third of Sonnet's price: every tag within 1 point must be recommended.
      if (loss <= 0.01) expect(rec?.recommended_model, tag).toBe('claude-haiku-4-5');
    }
    expect([...recommended.keys()].sort()).toEqual(['tag:same-choice', 'tag:same-number']);
    const turnedDown = report.rejected.map((x) => `${x.scope} ${x.candidate_model}`).sort();
    expect(turnedDown).toContain('tag:split-choice claude-haiku-4-5');
    expect(turnedDown).toContain('tag:near-choice claude-haiku-4-5');
    // Opus agrees everywhere (it plays the same recorded model) but costs more.
    expect(report.rejected.filter((x) => x.candidate_model === 'claude-opus-4-1').every((x) => x.reason === 'not cheaper at these requests')).toBe(true);
  });

  it('prices the saving exactly from the rows’ token classes, scaled from the window to 30 days', () => {
    for (const rec of report.recommendations.filter((r) => r.kind === 'model')) {
      const own = ledger.filter((r) => r.parentId === null && r.tags[0] === rec.scope.slice(4));
      expect(own).toHaveLength(N);
      let current = 0n;
      let haiku = 0n;
      for (const r of own) {
        expect(r.cacheReadTokens + r.cacheWrite5mTokens + r.cacheWrite1hTokens).toBe(0);
        current += BigInt(r.inputTokens * SONNET.input + r.outputTokens * SONNET.output);
        haiku += BigInt(r.inputTokens * HAIKU.input + r.outputTokens * HAIKU.output);
      }
      const monthly = (current - haiku) * 30n;
      expect(rec.evidence.requests).toBe(N);
      expect(rec.monthly_saving_usd).toBe(usd(monthly));
      expect(rec.evidence.model!.shadow_samples).toBe(N);
      expect(rec.evidence.model!.agreements).toBe(N);
      // Wilson at 95% for 200/200: lower end 0.98116.
      expect(rec.evidence.model!.interval[0]).toBeCloseTo(0.9812, 4);
    }
  });

  it('carries a routing rule that the config accepts as is', () => {
    for (const rec of report.recommendations.filter((r) => r.kind === 'model')) {
      const [rule] = parse(rec.rule) as unknown[];
      const parsed = ruleSchema.parse(rule);
      expect(parsed.match.tags).toBe(rec.scope.slice(4));
      expect(parsed.match.model).toBe('claude-sonnet-4-5');
      expect(parsed.route).toEqual({ model: 'claude-haiku-4-5' });
    }
  });

  describe('output formats', () => {
    it.each(['table', 'md'])('%s shows each recommendation with its rule, and what was turned down', async (format) => {
      const { stdout } = await run(process.execPath, [BIN, 'advise', '-c', policyFile, '--ledger', ledgerPath, '--format', format, '--days', '1']);
      for (const r of report.recommendations) {
        expect(stdout).toContain(r.scope);
        expect(stdout).toContain(r.monthly_saving_usd);
        for (const line of r.rule.trimEnd().split('\n')) expect(stdout).toContain(line);
      }
      expect(stdout).toContain('tag:split-choice claude-sonnet-4-5 → claude-haiku-4-5'.replace(' → ', format === 'md' ? ' → ' : ' -> '));
    });

    it('names the file and line of a row it cannot read', async () => {
      const bad = writeTrace('advise-bad.jsonl', '{"ts": 1, "route": "", "tags": []}\nnot json\n');
      const err = await run(process.execPath, [BIN, 'advise', '-c', policyFile, '--ledger', bad]).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 1 });
      expect((err as { stderr: string }).stderr).toMatch(/advise-bad\.jsonl:2: /);
    });
  });
});

function usd(pico: bigint): string {
  const whole = pico / 1_000_000_000_000n;
  const frac = (pico % 1_000_000_000_000n).toString().padStart(12, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : String(whole);
}
