// `costwise estimate`: what a prompt costs on every model in the catalog.
import { readFileSync } from 'node:fs';
import Table from 'cli-table3';
import { ConfigError, loadConfig } from '../config/load.js';
import { buildCatalog } from '../config/catalog.js';
import { estimateOnCatalog, requestFromInput, type EstimateRow } from '../projection/prompt-estimate.js';

export function runEstimate(file: string, opts: { outputTokens?: number; config?: string; format: string }): void {
  if (opts.format !== 'table' && opts.format !== 'json') {
    process.stderr.write(`costwise estimate: --format must be table or json, got "${opts.format}"\n`);
    process.exit(2);
  }
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    process.stderr.write(`costwise estimate: cannot read ${file}: ${(err as Error).message}\n`);
    process.exit(2);
  }
  let rows: EstimateRow[];
  try {
    const catalog = buildCatalog(loadConfig(opts.config).config, 'http://127.0.0.1:1');
    rows = estimateOnCatalog(requestFromInput(text), catalog.list(), opts.outputTokens);
  } catch (err) {
    const msg = err instanceof ConfigError ? err.message : `${file}: ${(err as Error).message}`;
    process.stderr.write(`costwise estimate: ${msg}\n`);
    process.exit(2);
  }
  if (opts.format === 'json') {
    process.stdout.write(JSON.stringify({ models: rows }) + '\n');
    return;
  }
  const table = new Table({
    head: ['model', 'provider', 'tier', 'input tok', 'output tok', 'cost (USD)', 'vs cheapest'],
    colAligns: ['left', 'left', 'left', 'right', 'right', 'right', 'right'],
  });
  const cheapest = Number(rows[0]?.cost_usd ?? 0);
  for (const r of rows) {
    const ratio = cheapest > 0 ? `${(Number(r.cost_usd) / cheapest).toFixed(1)}×` : '-';
    table.push([r.model, r.provider, r.tier ?? '', `${r.input_tokens}${r.estimated_tokens ? '*' : ''}`, r.output_tokens, r.cost_usd, ratio]);
  }
  process.stdout.write(table.toString() + '\n');
  process.stdout.write("* estimated with an OpenAI tokenizer: the provider's own tokenizer is not public.\n");
}
