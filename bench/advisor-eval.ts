// The right-sizing advisor checked against labels: the RouterBench outcome files are split in two
// halves per tag (tune / held-out). Each half is replayed through the real gateway once per "current"
// model (every request asks for it), with shadow sampling sending each request to every cheaper
// catalog model; the emulator answers with the recorded responses of the mapped RouterBench models.
// `advise` then reads the ledger, once on agreement alone and once with the shadowed answers graded
// (the labels of the answers actually shadowed, as a deployment's reviewers would grade a sample).
//
// The oracle, per (tag, current model), from the labels of every request of the half: each cheaper
// candidate's accuracy loss and cost ratio (its shadow rows' cost over the served rows' cost).
//   precision: model recommendations whose loss is at most 2 points
//   recall:    scopes with a candidate at most 1 point worse and at most half the cost that got a
//              recommendation that holds
// The confidence level is tuned on the tune half (among those whose recommendations all hold, the
// highest with the best recall) and reported on the held-out half, with every shadowed request
// graded and with a share of them.
//
//   npx tsc -p tsconfig.json && node dist/bench/advisor-eval.js [--limit 200] [--seed 17]
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import { advise, catalogPrices } from '../src/advisor/index.js';
import type { AdviceReport } from '../src/advisor/types.js';
import { buildCatalog } from '../src/config/catalog.js';
import { costPico } from '../src/cost/calculate.js';
import { loadPolicy, replay } from '../src/replay/index.js';
import type { Trace } from '../src/replay/types.js';
import { parseCsvObjects } from '../src/routing/learned/csv.js';
import { stratifiedSplit } from '../src/routing/learned/train.js';
import type { LedgerRow } from '../src/storage/types.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const shared = process.env['COSTWISE_SHARED_DATA'] ?? join(root, '..', 'shared', 'data');
const FILES = ['arc_challenge', 'mbpp', 'winogrande'].map((f) => join(shared, 'routing', 'routerbench', `${f}_train.csv`));

/** Catalog model → the RouterBench model whose recorded answers it plays (roughly in price order). */
const PLAYS: Record<string, string> = {
  'claude-opus-4-5': 'gpt-4-1106-preview',
  'claude-sonnet-4-5': 'claude-v2',
  'gemini-2.5-pro': 'claude-v1',
  'gpt-4.1': 'zero-one-ai/Yi-34B-Chat',
  'claude-haiku-4-5': 'claude-instant-v1',
  'gemini-2.5-flash': 'meta/llama-2-70b-chat',
  'gpt-4.1-mini': 'mistralai/mixtral-8x7b-chat',
  'gpt-4o-mini': 'gpt-3.5-turbo-1106',
  'gpt-4.1-nano': 'mistralai/mistral-7b-chat',
};
const PLAIN = { head: [], border: [] };
const MAX_LOSS = 0.02;
const NEAR = 0.01;
const CHEAP_RATIO = 0.5;
const CONFIDENCES = [0.5, 0.8, 0.9, 0.95, 0.99];

const { values: args } = parseArgs({
  options: { limit: { type: 'string' }, seed: { type: 'string', default: '17' } },
});
/** Shares of the shadowed requests whose answers were graded. */
const GRADED_SHARES = [1, 0.5, 0.25];
const dir = mkdtempSync(join(tmpdir(), 'costwise-advisor-eval-'));

/** Both halves as outcome CSVs: the three files merged, each tag split 50/50 (seeded). */
function splitFiles(): { tune: string; heldOut: string } {
  const parts = FILES.map((f) => parseCsvObjects(readFileSync(f, 'utf8')));
  const header = parts[0]!.header;
  const rows = parts.flatMap((p) => p.rows.map((r) => header.map((h) => r[p.header.indexOf(h)] ?? '')));
  const tagCol = header.indexOf('eval_name');
  const limited = args.limit ? limitPerTag(rows, tagCol, Number(args.limit)) : rows;
  const { train, test } = stratifiedSplit(
    limited.map((r) => r[tagCol] ?? ''),
    0.5,
    Number(args.seed),
  );
  const write = (name: string, idx: number[]): string => {
    const file = join(dir, `${name}.csv`);
    const cell = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
    writeFileSync(file, [header.map(cell).join(','), ...idx.map((i) => limited[i]!.map(cell).join(','))].join('\n') + '\n');
    return file;
  };
  return { tune: write('tune', train), heldOut: write('held-out', test) };
}

function limitPerTag(rows: string[][], tagCol: number, n: number): string[][] {
  const seen = new Map<string, number>();
  return rows.filter((r) => {
    const k = seen.get(r[tagCol] ?? '') ?? 0;
    seen.set(r[tagCol] ?? '', k + 1);
    return k < n;
  });
}

const catalog = buildCatalog(loadPolicy(undefined).config, 'http://127.0.0.1:1');
const prices = catalogPrices(catalog);
/** A typical request's price, to tell which models are cheaper than the current one. */
function listPrice(model: string): number {
  const p = prices(model)!.pricing;
  return costPico({ inputTokens: 300, cacheReadTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, outputTokens: 150, reasoningTokens: 0 }, p);
}
const CURRENTS = Object.keys(PLAYS).filter((m) => Object.keys(PLAYS).some((c) => listPrice(c) < listPrice(m)));

interface Half {
  trace: Trace;
  /** Per current model: its replay's ledger and the request id of each trace line. */
  runs: Map<string, { rows: LedgerRow[]; lineOf: Map<string, number> }>;
}

async function replayHalf(file: string): Promise<Half> {
  const runs: Half['runs'] = new Map();
  let trace: Trace | undefined;
  for (const current of CURRENTS) {
    const candidates = Object.keys(PLAYS).filter((c) => listPrice(c) < listPrice(current));
    const policyFile = join(dir, `policy-${current}.yaml`);
    writeFileSync(policyFile, JSON.stringify({ emulator: { outcomes: { models: PLAYS } }, advisor: { shadow: { sample: 1, candidates } } }, null, 2));
    const t0 = performance.now();
    const out = await replay({ file, policies: [loadPolicy(policyFile)], model: current, speed: 'max', transport: 'http', seed: 1, top: 0 });
    const run = out.runs[0]!;
    trace = out.trace;
    const lineOf = new Map(run.sent.filter((s) => s.requestId !== null).map((s) => [s.requestId!, s.line]));
    runs.set(current, { rows: run.rows, lineOf });
    process.stderr.write(
      `${file.split('/').pop()} ${current}: ${run.sent.length} requests, ${run.rows.length} rows, ${((performance.now() - t0) / 1000).toFixed(0)} s\n`,
    );
  }
  return { trace: trace!, runs };
}

/** The label of the answer a catalog model gave on a trace line (missing: 0, as `router eval`). */
function label(trace: Trace, line: number, model: string): number {
  const l = trace.labels!;
  return l.rows.get(line)?.scores[l.models.indexOf(PLAYS[model]!)] ?? 0;
}

/** Grades of the served and shadow answers of a deterministic `share` of the shadowed requests. */
function grades(half: Half, share: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const [current, run] of half.runs) {
    const shadows = new Map<string, LedgerRow[]>();
    for (const r of run.rows) if (r.technique === 'shadow' && r.parentId !== null) shadows.set(r.parentId, [...(shadows.get(r.parentId) ?? []), r]);
    let k = 0;
    for (const [requestId, line] of run.lineOf) {
      const before = Math.floor(k * share);
      k++;
      if (Math.floor(k * share) === before) continue;
      out.set(requestId, label(half.trace, line, current));
      for (const r of shadows.get(requestId) ?? []) out.set(r.requestId, label(half.trace, line, r.servedModel));
    }
  }
  return out;
}

interface OracleScope {
  tag: string;
  current: string;
  /** Per cheaper candidate: accuracy loss (current − candidate) and cost ratio. */
  candidates: Map<string, { loss: number; ratio: number }>;
  positive: boolean;
}

function oracle(half: Half): OracleScope[] {
  const out: OracleScope[] = [];
  for (const [current, run] of half.runs) {
    const byTag = new Map<string, LedgerRow[]>();
    for (const r of run.rows) if (r.parentId === null) byTag.set(r.tags[0]!, [...(byTag.get(r.tags[0]!) ?? []), r]);
    for (const [tag, served] of byTag) {
      const candidates = new Map<string, { loss: number; ratio: number }>();
      const ids = new Set(served.map((r) => r.requestId));
      const servedCost = served.reduce((s, r) => s + r.costPico, 0);
      const lines = served.map((r) => run.lineOf.get(r.requestId)!);
      const acc = (m: string): number => lines.reduce((s, l) => s + label(half.trace, l, m), 0) / lines.length;
      const shadowCost = new Map<string, number>();
      for (const r of run.rows)
        if (r.technique === 'shadow' && ids.has(r.parentId!)) shadowCost.set(r.servedModel, (shadowCost.get(r.servedModel) ?? 0) + r.costPico);
      for (const [m, cost] of shadowCost) candidates.set(m, { loss: acc(current) - acc(m), ratio: cost / servedCost });
      const positive = [...candidates.values()].some((c) => c.loss <= NEAR && c.ratio <= CHEAP_RATIO);
      out.push({ tag, current, candidates, positive });
    }
  }
  return out.sort((a, b) => (a.tag + a.current < b.tag + b.current ? -1 : 1));
}

function adviceFor(half: Half, confidence: number, graded: Map<string, number> | undefined): Map<string, string> {
  const recommended = new Map<string, string>();
  for (const [, run] of half.runs) {
    const report: AdviceReport = advise(run.rows, { days: 3650, maxLoss: MAX_LOSS, confidence, model: prices, ...(graded ? { grades: graded } : {}) });
    for (const r of report.recommendations) if (r.kind === 'model') recommended.set(`${r.scope.slice(4)}\u0000${r.current_model}`, r.recommended_model);
  }
  return recommended;
}

interface Score {
  recommendations: number;
  hold: number;
  positives: number;
  found: number;
}

function score(scopes: readonly OracleScope[], rec: Map<string, string>): Score {
  const s: Score = { recommendations: 0, hold: 0, positives: 0, found: 0 };
  for (const o of scopes) {
    const m = rec.get(`${o.tag}\u0000${o.current}`);
    const holds = m !== undefined && (o.candidates.get(m)?.loss ?? 1) <= MAX_LOSS;
    if (m !== undefined) s.recommendations++;
    if (holds) s.hold++;
    if (o.positive) s.positives++;
    if (o.positive && holds) s.found++;
  }
  return s;
}

const ratio = (a: number, b: number): string => (b === 0 ? '-' : `${(a / b).toFixed(3)} (${a}/${b})`);

const { tune, heldOut } = splitFiles();
const tuneHalf = await replayHalf(tune);
const heldHalf = await replayHalf(heldOut);
const tuneGrades = grades(tuneHalf, 1);
const heldGrades = grades(heldHalf, 1);
const tuneScopes = oracle(tuneHalf);
const heldScopes = oracle(heldHalf);

const tuning = new Table({ style: PLAIN, head: ['confidence', 'tune precision', 'tune recall'] });
let chosen = CONFIDENCES[CONFIDENCES.length - 1]!;
let bestFound = -1;
for (const c of CONFIDENCES) {
  const s = score(tuneScopes, adviceFor(tuneHalf, c, tuneGrades));
  tuning.push([c, ratio(s.hold, s.recommendations), ratio(s.found, s.positives)]);
  if (s.hold === s.recommendations && s.found >= bestFound) [chosen, bestFound] = [c, s.found];
}
console.log(`Tuning, every shadowed request graded: the highest confidence with the best recall whose recommendations all hold on the tune half: ${chosen}`);
console.log(tuning.toString());

const detail = new Table({
  style: PLAIN,
  head: ['tag', 'current', 'best cheap candidate (loss, cost ratio)', 'positive', 'agreement only', 'all graded', 'half graded'],
});
const agreementOnly = adviceFor(heldHalf, chosen, undefined);
const withGrades = adviceFor(heldHalf, chosen, heldGrades);
const halfGraded = adviceFor(heldHalf, chosen, grades(heldHalf, 0.5));
for (const o of heldScopes) {
  const best = [...o.candidates.entries()].filter(([, c]) => c.ratio <= CHEAP_RATIO).sort((a, b) => a[1].loss - b[1].loss)[0];
  const show = (m: string | undefined): string => (m === undefined ? '-' : `${m} (${(o.candidates.get(m)!.loss * 100).toFixed(1)} pt)`);
  detail.push([
    o.tag,
    o.current,
    best ? `${best[0]} (${(best[1].loss * 100).toFixed(1)} pt, ${best[1].ratio.toFixed(2)})` : '-',
    o.positive ? 'yes' : '',
    show(agreementOnly.get(`${o.tag}\u0000${o.current}`)),
    show(withGrades.get(`${o.tag}\u0000${o.current}`)),
    show(halfGraded.get(`${o.tag}\u0000${o.current}`)),
  ]);
}
console.log(`\nHeld-out half at confidence ${chosen} (loss: current − recommended accuracy on the half's labels)`);
console.log(detail.toString());
const summary = new Table({ style: PLAIN, head: ['evidence (held-out half)', 'confidence', 'precision (holds within 2 pt)', 'recall (≤1 pt, ≥50% cheaper)'] });
for (const confidence of [...new Set([chosen, 0.95])]) {
  const rows: Array<[string, Map<string, string>]> = [['agreement only', adviceFor(heldHalf, confidence, undefined)]];
  for (const share of GRADED_SHARES)
    rows.push([`agreement + ${share * 100}% of shadowed requests graded`, adviceFor(heldHalf, confidence, grades(heldHalf, share))]);
  for (const [name, rec] of rows) {
    const s = score(heldScopes, rec);
    summary.push([name, confidence, ratio(s.hold, s.recommendations), ratio(s.found, s.positives)]);
  }
}
console.log(summary.toString());
