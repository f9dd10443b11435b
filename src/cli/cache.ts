// `costwise cache eval` (semantic cache over labelled question pairs), `costwise cache calibrate`
// (the threshold for a target wrong-hit rate) and `costwise cache build-embedder` (the built-in embedder's IDF file from Apache-2.0 text).
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import Table from 'cli-table3';
import { positiveInt } from './args.js';
import { progress } from './progress.js';
import { createBuiltinEmbedder, type BuiltinEmbedder } from '../cache/semantic/builtin-embedder.js';
import { createStaticUseEmbedder, type StaticEmbedder } from '../cache/semantic/static-embedder.js';
import { buildEmbedderModel } from '../cache/semantic/build-embedder.js';
import { evaluatePairs, parsePairs, scoreQueries, type EvalOptions, type EvalReport, type Split } from '../cache/semantic/evaluate.js';
import { buildCalibration, loadCalibration, operatingPoint, shippedCalibrationPath, type Calibration } from '../cache/semantic/calibration.js';
import { DEFAULT_SIMILARITY_THRESHOLD } from '../cache/semantic/matcher.js';
import { renderCacheEvalSvg } from '../cache/semantic/plot.js';
import { DEFAULT_RERANK_CANDIDATES, DEFAULT_RERANK_FLOOR, Reranker, rerankedEmbedderId } from '../cache/semantic/reranker.js';

function unit(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < -1 || n > 1) throw new InvalidArgumentError('must be a number in [-1, 1]');
  return n;
}

const pct = (v: number): string => (v * 100).toFixed(1) + '%';

function rate(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n >= 1) throw new InvalidArgumentError('must be a number in [0, 1)');
  return n;
}

/** The curve the table shows: coarse below 0.9, fine above (where calibrated thresholds land). */
const EVAL_CURVE = [0.5, 0.6, 0.7, 0.8, 0.85, 0.88, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99, 1];

type LocalEmbedderName = 'builtin' | 'static-use';
const embedderOption = (): Option =>
  new Option('--embedder <name>', 'local embedder: builtin (hashed n-grams) or static-use (distilled USE-lite table)')
    .choices(['builtin', 'static-use'])
    .default('builtin');

// `--rerank` and its settings, shared by eval and calibrate.
const rerankOption = (): Option =>
  new Option('--rerank', 're-rank the verified candidates with the full USE-lite model (worker thread); the threshold applies to its cosine');
const rerankFloorOption = (): Option =>
  new Option('--rerank-floor <x>', 'first-stage similarity a candidate needs to be re-ranked').argParser(unit).default(DEFAULT_RERANK_FLOOR);
const rerankBudgetOption = (): Option =>
  new Option('--rerank-budget-ms <ms>', 'a re-ranking slower than this is a miss (default: no budget)').argParser(positiveInt);

interface RerankFlags {
  rerank?: boolean;
  rerankFloor: number;
  rerankBudgetMs?: number;
}

/** Runs `body` with the re-ranker started when asked for, and always stops it. */
async function withReranker<T>(flags: RerankFlags, body: (rerank: EvalOptions['rerank']) => Promise<T>): Promise<T> {
  if (!flags.rerank) return body(undefined);
  const reranker = await Reranker.start();
  try {
    return await body({ reranker, floor: flags.rerankFloor, ...(flags.rerankBudgetMs !== undefined ? { budgetMs: flags.rerankBudgetMs } : {}) });
  } finally {
    await reranker.close();
  }
}

/** `--candidates`, or the re-ranker's default shortlist size when re-ranking. */
function candidatesOf(opts: { candidates?: number; rerank?: boolean }): { candidates?: number } {
  const k = opts.candidates ?? (opts.rerank ? DEFAULT_RERANK_CANDIDATES : undefined);
  return k !== undefined ? { candidates: k } : {};
}

function localEmbedder(name: LocalEmbedderName, modelFile: string | undefined): BuiltinEmbedder | StaticEmbedder {
  if (name === 'static-use') return createStaticUseEmbedder();
  return createBuiltinEmbedder(modelFile ? { modelFile } : {});
}

export function renderCalibration(cal: Calibration): string {
  const op = operatingPoint(cal, cal.maxWrongHitRate);
  const ci = op.wrongHitRateCi.map(pct).join('–');
  return (
    `${cal.queries} queries (${cal.duplicates} duplicates), embedder ${cal.embedder}\n` +
    `target wrong-hit rate ${pct(cal.maxWrongHitRate)} → threshold ${op.threshold}${op.reached ? '' : ' (target NOT reached: grid top)'}: ` +
    `${op.hits} hits, ${op.wrongHits} wrong (${pct(op.wrongHitRate)}, 95% CI ${ci}), hit rate ${pct(op.hitRate)}, recall ${pct(op.recall)}`
  );
}

export function renderCacheEvalTable(r: EvalReport): string {
  const lines: string[] = [];
  lines.push(`${r.queries} queries (split ${r.split}) against ${r.entries} cached questions; embedder ${r.embedder}`);
  const t = new Table({ head: ['threshold', 'hits', 'correct', 'wrong', 'precision', 'recall', 'hit rate'] });
  for (const p of r.curve) {
    const mark = p.threshold === r.threshold ? (r.calibrated ? ` (calibrated for ${pct(r.calibrated.max_wrong_hit_rate)})` : ' (chosen)') : '';
    t.push([`${p.threshold}${mark}`, p.hits, p.correct_hits, p.wrong_hits, pct(p.precision), pct(p.recall), pct(p.hit_rate)]);
  }
  lines.push(t.toString());
  const w = r.wrong_breakdown;
  lines.push(
    `at ${r.threshold}: precision ${pct(r.precision)}, recall ${pct(r.recall)} (${r.correct_hits}/${r.duplicates} duplicates); ` +
      `wrong hits: ${w.own_not_duplicate} on the own question labelled not duplicate, ${w.other_pair} on another pair's question ` +
      `(${w.other_pair_identical_text} of them verbatim the query)`,
  );
  const x = r.excluding_identical_text;
  lines.push(
    `without the ${r.identical_text_queries} queries that are verbatim another pair's question: precision ${pct(x.precision)}, recall ${pct(x.recall)}`,
  );
  const rr = r.rerank;
  if (rr) {
    lines.push(
      `re-ranked by ${rr.model} from first-stage similarity ${rr.floor}: ${rr.reranked} lookups re-ranked, p50 ${rr.reranked_ms_p50.toFixed(1)} ms, ` +
        `p99 ${rr.reranked_ms_p99.toFixed(1)} ms; ${rr.timeouts} past the ${rr.budget_ms ?? '(no)'} ms budget`,
    );
  }
  lines.push(
    `lookup mean ${r.lookup_ms_mean.toFixed(3)} ms, p50 ${r.lookup_ms_p50.toFixed(3)} ms, p99 ${r.lookup_ms_p99.toFixed(3)} ms; ${r.seconds.toFixed(1)} s in all`,
  );
  return lines.join('\n');
}

export function registerCacheCommands(program: Command): void {
  const cache = program.command('cache').description('response cache tools: evaluate the semantic matcher, build the built-in embedder');

  cache
    .command('eval')
    .description('store every `a` of a pairs file, look up every `b`; precision, recall and the threshold curve')
    .requiredOption('--pairs <jsonl>', 'JSONL of {"a", "b", "duplicate"}')
    .option('--threshold <x>', 'similarity threshold of a hit (default: calibrated for --max-wrong-hit-rate)', unit)
    .option('--max-wrong-hit-rate <r>', 'target share of wrong hits; the threshold comes from the calibration', rate, 0.05)
    .option('--calibration <file>', 'calibration JSON (default: the shipped one of the built-in embedder)')
    .option('--duplicates-only', 'score only duplicate pairs (GPTCache-style paraphrase set: hit rate = share of paraphrases served)')
    .addOption(new Option('--split <split>', 'rows scored: tune = FNV-1a(a+"\\n"+b) even, test = odd').choices(['tune', 'test', 'all']).default('all'))
    .option('--candidates <k>', 'nearest neighbours verified per lookup', positiveInt)
    .option('--no-verify', 'similarity only, no second-stage verifier')
    .addOption(embedderOption())
    .option('--embedder-model <file>', 'built-in embedder model file (default models/embedder-builtin.json)')
    .addOption(new Option('-f, --format <format>', 'output').choices(['table', 'json']).default('table'))
    .option('--plot <file>', 'SVG plot to write (table output only)', 'cache-eval.svg')
    .addOption(rerankOption())
    .addOption(rerankFloorOption())
    .addOption(rerankBudgetOption())
    .action(
      async (
        opts: {
          pairs: string;
          threshold?: number;
          maxWrongHitRate: number;
          calibration?: string;
          duplicatesOnly?: boolean;
          split: Split;
          candidates?: number;
          verify: boolean;
          embedder: LocalEmbedderName;
          embedderModel?: string;
          format: 'table' | 'json';
          plot: string;
        } & RerankFlags,
      ) => {
        const pairs = parsePairs(readFileSync(opts.pairs, 'utf8'));
        const embedder = localEmbedder(opts.embedder, opts.embedderModel);
        const embedderId = opts.rerank ? rerankedEmbedderId(embedder.id) : embedder.id;
        let calibrated: EvalReport['calibrated'];
        let threshold = opts.threshold ?? DEFAULT_SIMILARITY_THRESHOLD;
        if (opts.threshold === undefined) {
          const file = opts.calibration ?? shippedCalibrationPath(opts.embedder, { rerank: opts.rerank === true });
          const cal = loadCalibration(file);
          if (cal.embedder !== embedderId) throw new Error(`calibration ${file} is for embedder ${cal.embedder}, not ${embedderId}`);
          threshold = operatingPoint(cal, opts.maxWrongHitRate).threshold;
          calibrated = { file, max_wrong_hit_rate: opts.maxWrongHitRate };
        }
        const p = progress('cache eval');
        let report: EvalReport;
        try {
          report = await withReranker(opts, (rerank) =>
            evaluatePairs(pairs, {
              embedder,
              threshold,
              curve: EVAL_CURVE,
              ...(opts.duplicatesOnly ? { duplicatesOnly: true } : {}),
              split: opts.split,
              ...(opts.verify ? {} : { verifier: null }),
              ...candidatesOf(opts),
              ...(rerank ? { rerank } : {}),
              onProgress: p.update,
            }),
          );
        } finally {
          p.end();
        }
        if (calibrated) report = { ...report, calibrated };
        if (opts.format === 'json') {
          process.stdout.write(JSON.stringify(report) + '\n');
          return;
        }
        process.stdout.write(renderCacheEvalTable(report) + '\n');
        writeFileSync(opts.plot, renderCacheEvalSvg(report));
        process.stdout.write(`plot written to ${opts.plot}\n`);
      },
    );

  cache
    .command('calibrate')
    .description('derive the similarity threshold from a target wrong-hit rate over labelled pairs; writes the calibration JSON')
    .requiredOption('--pairs <jsonl>', 'JSONL of {"a", "b", "duplicate"}')
    .requiredOption('-o, --out <file>', 'calibration JSON to write (reference it as cache.semantic.calibration)')
    .option('--max-wrong-hit-rate <r>', 'target share of wrong hits among hits', rate, 0.05)
    .addOption(new Option('--split <split>', 'rows used: tune = FNV-1a(a+"\\n"+b) even, test = odd').choices(['tune', 'test', 'all']).default('tune'))
    .option('--duplicates-only', 'use only duplicate pairs (GPTCache-style)')
    .addOption(embedderOption())
    .option('--embedder-model <file>', 'built-in embedder model file (default models/embedder-builtin.json)')
    .option('--candidates <k>', 'nearest neighbours verified per lookup', positiveInt)
    .addOption(rerankOption())
    .addOption(rerankFloorOption())
    .addOption(rerankBudgetOption())
    .action(
      async (
        opts: {
          pairs: string;
          out: string;
          candidates?: number;
          maxWrongHitRate: number;
          split: Split;
          duplicatesOnly?: boolean;
          embedder: LocalEmbedderName;
          embedderModel?: string;
        } & RerankFlags,
      ) => {
        const pairs = parsePairs(readFileSync(opts.pairs, 'utf8'));
        const embedder = localEmbedder(opts.embedder, opts.embedderModel);
        const p = progress('cache calibrate');
        let outcomes;
        try {
          ({ outcomes } = await withReranker(opts, (rerank) =>
            scoreQueries(pairs, {
              embedder,
              split: opts.split,
              ...(opts.duplicatesOnly ? { duplicatesOnly: true } : {}),
              ...candidatesOf(opts),
              ...(rerank ? { rerank } : {}),
              onProgress: p.update,
            }),
          ));
        } finally {
          p.end();
        }
        const rerankNote = opts.rerank ? `, re-ranked from first-stage ${opts.rerankFloor}, ${candidatesOf(opts).candidates ?? 'default'} candidates` : '';
        const cal = buildCalibration({
          embedder: opts.rerank ? rerankedEmbedderId(embedder.id) : embedder.id,
          source: `${basename(opts.pairs)} split ${opts.split}${opts.duplicatesOnly ? ' duplicates only' : ''}${rerankNote}`,
          outcomes,
          maxWrongHitRate: opts.maxWrongHitRate,
        });
        writeFileSync(opts.out, JSON.stringify(cal) + '\n');
        process.stdout.write(renderCalibration(cal) + `\ncalibration written to ${opts.out}\n`);
      },
    );

  cache
    .command('build-embedder')
    .description('build the built-in embedder (stem document frequencies) from prompt text you may redistribute')
    .requiredOption('--data <files...>', 'CSV files with a `prompt` column and/or JSONL files with a `prompt` field')
    .requiredOption('-o, --out <file>', 'model JSON to write')
    .option('--dim <n>', 'embedding width', positiveInt, 256)
    .option('--seed <n>', 'feature hashing seed', positiveInt, 1)
    .option('--note <text>', 'free text stored in the model (e.g. data licence)')
    .action((opts: { data: string[]; out: string; dim: number; seed: number; note?: string }) => {
      const model = buildEmbedderModel(opts.data, { dim: opts.dim, seed: opts.seed, ...(opts.note ? { note: opts.note } : {}) });
      writeFileSync(opts.out, JSON.stringify(model) + '\n');
      process.stderr.write(`${model.docs} documents, ${Object.keys(model.df).length} stems → ${opts.out}\n`);
    });
}
