// `costwise router train` and `costwise router eval`: the learned router's offline commands.
// Data formats and cost assumptions: src/routing/learned/data.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import Table from 'cli-table3';
import { nonNegativeInt as integer, positiveInt } from './args.js';
import { CommandError, runCommand } from './database.js';
import { ledgerDataset, type FromLedgerFlags } from './router-ledger.js';
import { progress } from './progress.js';
import { contaminatedNextTo, loadOutcomeFiles, parseContaminated, selectModels, type DataFormat, type OutcomeDataset } from '../routing/learned/data.js';
import { LearnedRouter, loadRouterModel, saveRouterModel, type RouterModel } from '../routing/learned/model.js';
import { defaultRouterModelPath } from '../routing/routers/compile.js';
import { stratifiedSplit, subset, trainRouter, type TrainOptions } from '../routing/learned/train.js';
import { evaluateRouter, type EvalReport } from '../routing/learned/evaluate.js';
import { renderEvalSvg } from '../routing/learned/plot.js';
import { DEFAULT_DOMAIN_OPTIONS } from '../routing/learned/domain.js';

type FormatOpt = DataFormat | 'auto';

function fraction(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n >= 1) throw new InvalidArgumentError('must be a number in (0, 1)');
  return n;
}

function modelVersion(value: string): 1 | 2 {
  if (value !== '1' && value !== '2') throw new InvalidArgumentError('must be 1 or 2');
  return value === '1' ? 1 : 2;
}

const versionOption = (): Option =>
  new Option('--model-version <n>', 'model file version: 2 (clusters + logistic, cost-aware rule) or 1 (logistic only)').argParser(modelVersion).default(2);

function rate(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n >= 1) throw new InvalidArgumentError('must be a number in [0, 1)');
  return n;
}

const oodRateOption = (): Option =>
  new Option('--ood-rate <share>', 'share of held-out training-domain prompts the out-of-domain detector may flag')
    .argParser(rate)
    .default(DEFAULT_DOMAIN_OPTIONS.falseAlarmRate);

interface OodOpts {
  ood: boolean;
  oodRate: number;
}

const domainOptions = (o: OodOpts): Partial<TrainOptions> => ({ domain: o.ood ? { falseAlarmRate: o.oodRate } : false });

const dataFormat = (): Option => new Option('--data-format <format>', 'input CSV format').choices(['routerbench', 'routellm', 'auto']).default('auto');

function load(files: string[], format: FormatOpt, candidates: string[] | undefined): OutcomeDataset {
  const ds = loadOutcomeFiles(files, { format });
  return candidates ? selectModels(ds, candidates) : ds;
}

function train(files: string[], format: FormatOpt, opts: Partial<TrainOptions>, candidates?: string[]) {
  const ds = load(files, format, candidates);
  return {
    ds,
    train: (rows: typeof ds, sources: string[]) => {
      const p = progress('training');
      try {
        return trainRouter(rows, { ...opts, sources, onProgress: p.update });
      } finally {
        p.end();
      }
    },
  };
}

function pct(v: number): string {
  return (v * 100).toFixed(1) + '%';
}
function usd(v: number): string {
  return '$' + v.toFixed(4);
}

export function renderEvalTable(r: EvalReport): string {
  const lines: string[] = [];
  const t = new Table({ head: ['', 'accuracy', 'cost (USD)'] });
  for (const m of r.models) t.push([m.name, pct(m.accuracy), usd(m.cost_usd)]);
  t.push([`router (default knob ${r.default.knob})`, pct(r.default.accuracy), usd(r.default.cost_usd)]);
  t.push(['per-prompt oracle', pct(r.oracle.accuracy), usd(r.oracle.cost_usd)]);
  lines.push(`${r.rows} test prompts`, t.toString());
  const c = new Table({ head: ['knob', 'accuracy', 'cost (USD)', ...(r.apgr !== undefined ? ['strong calls'] : [])] });
  for (const p of r.curve) c.push([p.knob.toFixed(2), pct(p.accuracy), usd(p.cost_usd), ...(p.strong_share !== undefined ? [pct(p.strong_share)] : [])]);
  lines.push('router curve', c.toString());
  if (r.matches_best)
    lines.push(`best single model's accuracy reached at knob ${r.matches_best.knob} for ${pct(r.matches_best.cost_share_of_best)} of its cost`);
  else lines.push("the router never reaches the best single model's accuracy on this test set");
  if (r.out_of_domain_share > 0)
    lines.push(`${pct(r.out_of_domain_share)} of the test prompts are out of the training domain (sent to the strongest model at every knob)`);
  if (r.apgr !== undefined) {
    lines.push(
      `weak ${r.weak}, strong ${r.strong}: APGR ${r.apgr.toFixed(3)} (random 0.5), CPT(50%) ${pct(r.cpt50 ?? 1)}, CPT(80%) ${pct(r.cpt80 ?? 1)} strong calls`,
    );
  }
  return lines.join('\n');
}

/** Renames data models (`from=to` pairs), e.g. RouterBench's Mixtral column to a model file's name for it. */
function renameModels(ds: OutcomeDataset, pairs: readonly string[]): OutcomeDataset {
  const map = new Map<string, string>();
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0 || i === p.length - 1) throw new InvalidArgumentError(`--rename ${p}: expected <data model>=<candidate>`);
    map.set(p.slice(0, i), p.slice(i + 1));
  }
  return { ...ds, models: ds.models.map((m) => map.get(m) ?? m) };
}

export function registerRouterCommands(program: Command): void {
  const router = program.command('router').description('learned cost/quality router: train on outcome data, evaluate offline');

  router
    .command('train')
    .description("train a learned router on labelled outcome CSVs (RouterBench or RouteLLM format), or on the deployment's own labels (--from-ledger)")
    .option('--data <files...>', 'outcome CSV files')
    .option('--from-ledger', 'learn from the ledger: feedback scores (POST /api/feedback) and cascade verdicts on captured prompts (routing.learn)')
    .option('--db <file>', 'with --from-ledger: the SQLite ledger, or a costwise.yaml naming it (default: the configured ledger)')
    .option('-c, --config <file>', 'with --from-ledger: costwise.yaml naming the ledger (env COSTWISE_CONFIG)')
    .option('--days <n>', 'with --from-ledger: days of ledger to learn from', positiveInt, 30)
    .option('--min-prompts <n>', 'with --from-ledger: refuse below this many prompts labelled for two or more models', positiveInt, 50)
    .requiredOption('-o, --out <file>', 'model JSON to write')
    .addOption(dataFormat())
    .option('--seed <n>', 'seed for shuffles and the validation split', integer, 1)
    .option('--candidates <models...>', 'route among these data models only (default: all)')
    .option('--note <text>', 'free text stored in the model (e.g. data licence)')
    .addOption(versionOption())
    .addOption(oodRateOption())
    .option('--no-ood', 'no out-of-domain detector in the model (it never falls back)')
    .action((opts: TrainFlags) => runCommand(() => runTrain(opts)));

  router
    .command('eval')
    .description('train on --train, evaluate on --test (or on a stratified hold-out of --train); or evaluate a trained --model on --test')
    .option('--train <files...>', 'outcome CSV files to train on')
    .option('--model <file>', 'evaluate this model file (from `router train`; `default` = the shipped one) instead of training')
    .option('--rename <data=candidate...>', "with --model: the test data's model names that play the model file's candidates")
    .option('--test <files...>', 'outcome CSV files to evaluate on (default: hold out --holdout of --train)')
    .option('--holdout <fraction>', 'share of --train rows held out per group when --test is absent', fraction, 0.3)
    .option('--seed <n>', 'seed for the split and training', integer, 42)
    .option('--candidates <models...>', 'route among these data models only (default: all)')
    .option('--exclude <jsonl>', 'contaminated_prompts.jsonl to exclude (one next to the data files is used automatically)')
    .addOption(dataFormat())
    .addOption(versionOption())
    .addOption(oodRateOption())
    .option('--no-ood', 'train without the out-of-domain detector')
    .addOption(new Option('-f, --format <format>', 'output').choices(['table', 'json']).default('table'))
    .option('--plot <file>', 'SVG plot to write (table output only)', 'router-eval.svg')
    .action(
      (
        opts: {
          train?: string[];
          model?: string;
          rename?: string[];
          test?: string[];
          holdout: number;
          seed: number;
          exclude?: string;
          dataFormat: FormatOpt;
          format: 'table' | 'json';
          plot: string;
          candidates?: string[];
          modelVersion: 1 | 2;
        } & OodOpts,
      ) => {
        if (opts.model !== undefined) {
          if (!opts.test) throw new InvalidArgumentError('--model needs --test');
          const router = loadRouterModel(opts.model === 'default' ? defaultRouterModelPath() : opts.model);
          const data = renameModels(load(opts.test, opts.dataFormat, undefined), opts.rename ?? []);
          const report = evaluateRouter(router, selectModels(data, router.candidateNames), { exclude: contaminatedNextTo(opts.test) });
          process.stdout.write((opts.format === 'json' ? JSON.stringify(report) : renderEvalTable(report)) + '\n');
          return;
        }
        if (!opts.train) throw new InvalidArgumentError('give --train (or --model with --test)');
        const trainFiles = opts.train;
        const { ds, train: fit } = train(trainFiles, opts.dataFormat, { seed: opts.seed, version: opts.modelVersion, ...domainOptions(opts) }, opts.candidates);
        let trainRows = ds;
        let testRows;
        if (opts.test) {
          testRows = load(opts.test, opts.dataFormat, opts.candidates);
          const trainPrompts = new Set(ds.rows.map((r) => r.prompt));
          testRows = { ...testRows, rows: testRows.rows.filter((r) => !trainPrompts.has(r.prompt)) };
        } else {
          const split = stratifiedSplit(
            ds.rows.map((r) => r.group),
            opts.holdout,
            opts.seed,
          );
          trainRows = subset(ds, split.train);
          testRows = subset(ds, split.test);
        }
        const exclude = contaminatedNextTo([...trainFiles, ...(opts.test ?? [])]);
        if (opts.exclude) for (const p of parseContaminated(readFileSync(opts.exclude, 'utf8'))) exclude.add(p);
        const model = fit(
          trainRows,
          trainFiles.map((f) => f.split('/').pop() ?? f),
        );
        const report = evaluateRouter(new LearnedRouter(model), testRows, { exclude });
        if (opts.format === 'json') {
          process.stdout.write(JSON.stringify(report) + '\n');
          return;
        }
        process.stdout.write(renderEvalTable(report) + '\n');
        writeFileSync(opts.plot, renderEvalSvg(report));
        process.stdout.write(`plot written to ${opts.plot}\n`);
      },
    );
}

type TrainFlags = {
  data?: string[];
  fromLedger?: boolean;
  out: string;
  dataFormat: FormatOpt;
  seed: number;
  note?: string;
  candidates?: string[];
  modelVersion: 1 | 2;
} & OodOpts &
  Omit<FromLedgerFlags, 'candidates'>;

async function runTrain(opts: TrainFlags): Promise<void> {
  if ((opts.data === undefined) === (opts.fromLedger !== true)) throw new CommandError('router train: give either --data <files...> or --from-ledger');
  const trainOpts: Partial<TrainOptions> = { seed: opts.seed, version: opts.modelVersion, ...domainOptions(opts), ...(opts.note ? { note: opts.note } : {}) };
  let ds: OutcomeDataset;
  let sources: string[];
  let fit: (rows: OutcomeDataset, sources: string[]) => RouterModel;
  if (opts.data !== undefined) {
    ({ ds, train: fit } = train(opts.data, opts.dataFormat, trainOpts, opts.candidates));
    sources = opts.data.map((f) => f.split('/').pop() ?? f);
  } else {
    const built = await ledgerDataset({ ...opts, ...(opts.candidates ? { candidates: opts.candidates } : {}) });
    ds = built.dataset;
    sources = [built.source];
    fit = (rows, from) => trainRouter(rows, { ...trainOpts, sources: from });
    const s = built.stats;
    process.stderr.write(
      `${s.labelledRequests} labelled requests (${s.feedbackLabels} feedback labels, ${s.cascadeLabels} cascade verdicts), ${s.withPrompt} with a captured prompt\n`,
    );
  }
  const model = fit(ds, sources);
  saveRouterModel(opts.out, model);
  process.stderr.write(
    `trained on ${ds.rows.length} prompts, ${model.candidates.length} candidates (${model.candidates.map((c) => c.name).join(', ')}); default knob ${model.defaultQuality} → ${opts.out}\n`,
  );
}
