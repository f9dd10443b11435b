// Labelled routing outcome data: for each prompt, whether each candidate model answered it well and
// what that call cost. Two input formats:
//
// - RouterBench CSV: `prompt`, one 0/1 (or fractional) score column per model, `<model>|total_cost`
//   (real USD), `eval_name` (kept as the row's group); every other column is ignored. A model is a
//   column `X` for which `X|total_cost` exists. Empty score cells are missing (null). Prompts stored
//   as a Python list literal (`['...']`, as RouterBench does) are decoded to their text.
// - RouteLLM CSV (e.g. routellm/evals/mmlu): `prompt` plus one correctness column per model
//   (True/False or 1/0). There are no costs: each call is priced as
//   `promptTokens × inputPrice + ASSUMED_OUTPUT_TOKENS × outputPrice` with prompt tokens counted by
//   gpt-tokenizer (cl100k/o200k via src/tokens) and list prices per million tokens from `prices`
//   (defaults: DEFAULT_PRICES_PER_MTOK). The row's group is the file name (the MMLU subject).
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { countTextTokens } from '../../tokens/count.js';
import { parseCsvObjects, CsvError } from './csv.js';
import { decodePythonStringList } from './pyrepr.js';

export interface OutcomeRow {
  prompt: string;
  /** eval_name (RouterBench) or source file stem (RouteLLM); used for stratified splits. */
  group: string;
  /** One per dataset model; null = missing. */
  scores: (number | null)[];
  /** USD per call, one per dataset model; null = missing. */
  costs: (number | null)[];
}

export interface OutcomeDataset {
  models: string[];
  rows: OutcomeRow[];
}

export type DataFormat = 'routerbench' | 'routellm';

export interface ModelPrice {
  /** USD per million input tokens. */
  input: number;
  /** USD per million output tokens. */
  output: number;
}

/**
 * List prices (USD / million tokens) used to cost RouteLLM rows. Mixtral-8x7B-Instruct as served by
 * Together/Anyscale in 2024 ($0.60 in and out); GPT-4-1106-preview at OpenAI's list price ($10 in,
 * $30 out). Their ratio on a typical MMLU prompt is ~17–20×.
 */
export const DEFAULT_PRICES_PER_MTOK: Readonly<Record<string, ModelPrice>> = {
  'mistralai/Mixtral-8x7B-Instruct-v0.1': { input: 0.6, output: 0.6 },
  'gpt-4-1106-preview': { input: 10, output: 30 },
};
/** MMLU answers are one letter; a few tokens for the letter and stop. */
export const ASSUMED_OUTPUT_TOKENS = 2;
/** Price used for a RouteLLM model with no known price (documented fallback, $1 / MTok). */
const FALLBACK_PRICE: ModelPrice = { input: 1, output: 1 };

const COST_SUFFIX = '|total_cost';

export function detectFormat(header: readonly string[]): DataFormat {
  return header.some((h) => h.endsWith(COST_SUFFIX)) ? 'routerbench' : 'routellm';
}

function parseScore(cell: string | undefined): number | null {
  if (cell === undefined) return null;
  const s = cell.trim();
  if (s === '') return null;
  const lower = s.toLowerCase();
  if (lower === 'true') return 1;
  if (lower === 'false') return 0;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

function parseCost(cell: string | undefined): number | null {
  if (cell === undefined || cell.trim() === '') return null;
  const n = Number(cell);
  return Number.isFinite(n) && n >= 0 ? n : null;
}

export function parseRouterBench(text: string, source = 'routerbench'): OutcomeDataset {
  const { header, rows } = parseCsvObjects(text);
  const promptCol = header.indexOf('prompt');
  if (promptCol < 0) throw new CsvError(`${source}: no "prompt" column`);
  const groupCol = header.indexOf('eval_name');
  const models = header.filter((h) => header.includes(h + COST_SUFFIX));
  if (models.length === 0) throw new CsvError(`${source}: no "<model>|total_cost" columns`);
  const scoreCols = models.map((m) => header.indexOf(m));
  const costCols = models.map((m) => header.indexOf(m + COST_SUFFIX));
  return {
    models,
    rows: rows.map((r) => ({
      prompt: decodePythonStringList(r[promptCol] ?? ''),
      group: (groupCol >= 0 ? r[groupCol] : undefined) ?? source,
      scores: scoreCols.map((c) => parseScore(r[c])),
      costs: costCols.map((c) => parseCost(r[c])),
    })),
  };
}

export interface RouteLlmOptions {
  source?: string;
  prices?: Readonly<Record<string, ModelPrice>>;
  outputTokens?: number;
}

export function parseRouteLlm(text: string, opts: RouteLlmOptions = {}): OutcomeDataset {
  const source = opts.source ?? 'routellm';
  const prices = opts.prices ?? DEFAULT_PRICES_PER_MTOK;
  const outTokens = opts.outputTokens ?? ASSUMED_OUTPUT_TOKENS;
  const { header, rows } = parseCsvObjects(text);
  const promptCol = header.indexOf('prompt');
  if (promptCol < 0) throw new CsvError(`${source}: no "prompt" column`);
  const modelCols = header.map((h, i) => ({ h, i })).filter(({ h, i }) => i !== promptCol && h !== '');
  const models = modelCols.map((c) => c.h);
  const modelPrices = models.map((m) => prices[m] ?? FALLBACK_PRICE);
  return {
    models,
    rows: rows.map((r) => {
      const prompt = r[promptCol] ?? '';
      const tokens = countTextTokens(prompt, 'gpt-4');
      return {
        prompt,
        group: source,
        scores: modelCols.map((c) => parseScore(r[c.i])),
        costs: modelPrices.map((p) => (tokens * p.input + outTokens * p.output) / 1e6),
      };
    }),
  };
}

/** Concatenate datasets over the union of their models (absent models → missing cells). */
export function mergeDatasets(parts: readonly OutcomeDataset[]): OutcomeDataset {
  const models: string[] = [];
  for (const p of parts) for (const m of p.models) if (!models.includes(m)) models.push(m);
  const rows: OutcomeRow[] = [];
  for (const p of parts) {
    const map = models.map((m) => p.models.indexOf(m));
    for (const r of p.rows) {
      rows.push({
        prompt: r.prompt,
        group: r.group,
        scores: map.map((j) => (j < 0 ? null : (r.scores[j] ?? null))),
        costs: map.map((j) => (j < 0 ? null : (r.costs[j] ?? null))),
      });
    }
  }
  return { models, rows };
}

export interface LoadOptions {
  format?: DataFormat | 'auto';
  prices?: Readonly<Record<string, ModelPrice>>;
}

export function parseOutcomeText(text: string, source: string, opts: LoadOptions = {}): OutcomeDataset {
  const firstLine = text.slice(0, Math.min(text.length, 65536)).split(/\r?\n/, 1)[0] ?? '';
  const format = !opts.format || opts.format === 'auto' ? detectFormat(firstLine.split(',')) : opts.format;
  return format === 'routerbench' ? parseRouterBench(text, source) : parseRouteLlm(text, { source, ...(opts.prices ? { prices: opts.prices } : {}) });
}

export function loadOutcomeFiles(files: readonly string[], opts: LoadOptions = {}): OutcomeDataset {
  return mergeDatasets(files.map((f) => parseOutcomeText(readFileSync(f, 'utf8'), basename(f).replace(/\.csv$/i, ''), opts)));
}

/**
 * Prompts that must not be evaluated on: every `train_prompt` and `eval_prompt` of a RouteLLM
 * `contaminated_prompts.jsonl` (prompts that overlap router training data in the RouteLLM paper).
 */
export function parseContaminated(jsonl: string): Set<string> {
  const out = new Set<string>();
  for (const line of jsonl.split('\n')) {
    if (line.trim() === '') continue;
    const o = JSON.parse(line) as Record<string, unknown>;
    for (const k of ['train_prompt', 'eval_prompt']) {
      const v = o[k];
      if (typeof v === 'string') out.add(v);
    }
  }
  return out;
}

/** The contaminated-prompt set of every `contaminated_prompts.jsonl` next to the given files. */
export function contaminatedNextTo(files: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const dir of new Set(files.map((f) => dirname(f)))) {
    const p = join(dir, 'contaminated_prompts.jsonl');
    if (existsSync(p)) for (const s of parseContaminated(readFileSync(p, 'utf8'))) out.add(s);
  }
  return out;
}

/** Keep only the named models' columns (in the given order); unknown names are an error. */
export function selectModels(ds: OutcomeDataset, names: readonly string[]): OutcomeDataset {
  const cols = names.map((n) => {
    const j = ds.models.indexOf(n);
    if (j < 0) throw new Error(`no model "${n}" in the data (have: ${ds.models.join(', ')})`);
    return j;
  });
  return {
    models: [...names],
    rows: ds.rows.map((r) => ({ ...r, scores: cols.map((j) => r.scores[j] ?? null), costs: cols.map((j) => r.costs[j] ?? null) })),
  };
}
