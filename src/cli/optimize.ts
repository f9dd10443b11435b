// `costwise optimize eval`: prompt tokens before and after the lossless rewrite, per request of a
// JSONL file of OpenAI or Anthropic request bodies, and whether each rewrite kept the content.
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import Table from 'cli-table3';
import type { CanonicalRequest } from '../core/canonical.js';
import { requestFromInput } from '../projection/prompt-estimate.js';
import { evaluateLossless } from '../promptcache/optimize/index.js';

interface EvalOpts {
  prompts: string;
  model: string;
  format: 'table' | 'json';
  cachedPrefix: 'keep' | 'optimize';
}

export function registerOptimizeCommands(program: Command): void {
  const opt = program.command('optimize').description('prompt optimisation: offline evaluation');
  opt
    .command('eval')
    .description('prompt tokens before and after the lossless rewrite, and an equivalence check, per request body')
    .requiredOption('--prompts <file>', 'JSONL: one OpenAI or Anthropic request body per line ("-" reads standard input)')
    .requiredOption('--model <name>', "model whose tokenizer counts the tokens (the bodies' own model is ignored)")
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
    .addOption(
      new Option('--cached-prefix <policy>', "the caller's cache_control prefix: keep it byte for byte, or rewrite it too")
        .choices(['keep', 'optimize'])
        .default('keep'),
    )
    .action((opts: EvalOpts) => {
      const requests = readBodies(opts.prompts);
      const report = evaluateLossless(requests, opts.model, { cachedPrefix: opts.cachedPrefix });
      if (opts.format === 'json') {
        process.stdout.write(JSON.stringify({ model: opts.model, totals: report.totals, requests: report.requests }) + '\n');
        return;
      }
      const t = report.totals;
      const table = new Table({
        head: ['requests', 'input tokens before', 'after', 'saving', 'lossless violations'],
        colAligns: ['right', 'right', 'right', 'right', 'right'],
      });
      table.push([t.requests, t.input_tokens_before, t.input_tokens_after, `${t.saving_pct}%`, t.lossless_violations]);
      process.stdout.write(table.toString() + '\n');
      if (t.lossless_violations > 0) process.exitCode = 1;
    });
}

function readBodies(file: string): Array<{ line: number; request: CanonicalRequest }> {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    fail(`cannot read ${file}: ${(err as Error).message}`);
  }
  const out: Array<{ line: number; request: CanonicalRequest }> = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    if (!line.startsWith('{')) fail(`${file} line ${i + 1}: expected a JSON request body`);
    try {
      out.push({ line: i + 1, request: requestFromInput(line) });
    } catch (err) {
      fail(`${file} line ${i + 1}: ${(err as Error).message}`);
    }
  }
  return out;
}

function fail(message: string): never {
  process.stderr.write(`costwise optimize eval: ${message}\n`);
  process.exit(2);
}
