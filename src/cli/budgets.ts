// `costwise budgets [list]`: every budget of every key, team and tag on a running gateway, tightest
// first. Also the admin API client that `costwise keys` and `costwise teams` share (src/cli/keys.ts):
// the admin key from COSTWISE_ADMIN_KEY, errors that name the field at fault and the option that
// sets it, and the budget table.
import { Argument, Command, Option } from 'commander';
import Table from 'cli-table3';
import type { ApiErrorResponse, BudgetView, BudgetsResponse, EpochMs } from '../server/admin-api.js';

export const DEFAULT_URL = 'http://127.0.0.1:4000';

export type OutputFormat = 'table' | 'json';

/** What every admin command takes: `--url` and `--format`. */
export interface AdminOptions {
  url: string;
  format: OutputFormat;
}

export interface AdminRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  /** Sent as JSON. */
  body?: object;
}

/** `--url` and `--format` on an admin subcommand. */
export function withAdminOptions(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'gateway URL (admin key from COSTWISE_ADMIN_KEY)', DEFAULT_URL)
    .addOption(new Option('-f, --format <format>', 'output').choices(['table', 'json']).default('table'));
}

/** The option that sets an API field: `budgets[0].usd` → `--budget`, `teamId` → `--team`. */
function optionOf(param: string): string | null {
  const field = param.split(/[.[]/)[0] ?? '';
  if (field === '' || field === 'id') return null;
  const named: Record<string, string> = { budgets: 'budget', teamId: 'team', parentId: 'parent' };
  return `--${(named[field] ?? field).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace(/_/g, '-')}`;
}

function errorDetail(status: number, text: string, hasAdminKey: boolean): string {
  let error: ApiErrorResponse['error'] | undefined;
  try {
    error = (JSON.parse(text) as Partial<ApiErrorResponse>).error;
  } catch {
    // not JSON: the text as it came
  }
  if (error === undefined) return text.trim() || '(no body)';
  const option = error.param === null ? null : optionOf(error.param);
  const field = error.param === null ? '' : ` [field ${error.param}${option === null ? '' : `, option ${option}`}]`;
  const hint = status === 401 ? (hasAdminKey ? ' (COSTWISE_ADMIN_KEY is not the admin key of this gateway)' : ' (set COSTWISE_ADMIN_KEY)') : '';
  return `${error.message}${field}${hint}`;
}

/** One admin API call: its JSON answer (undefined for 204), or an Error that says what went wrong. */
export async function adminRequest(opts: Pick<AdminOptions, 'url'>, req: AdminRequest): Promise<unknown> {
  const base = opts.url.replace(/\/+$/, '');
  const adminKey = process.env['COSTWISE_ADMIN_KEY'];
  const headers: Record<string, string> = { accept: 'application/json' };
  if (adminKey) headers['authorization'] = `Bearer ${adminKey}`;
  if (req.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`${base}${req.path}`, { method: req.method, headers, ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}) });
  } catch (err) {
    throw new Error(`cannot reach the gateway at ${base} (${(err as Error).message}); is \`costwise serve\` running? (--url)`, { cause: err });
  }
  const text = await res.text();
  if (!res.ok) throw new Error(`${req.method} ${req.path}: HTTP ${res.status}: ${errorDetail(res.status, text, Boolean(adminKey))}`);
  if (res.status === 204 || text === '') return undefined;
  return JSON.parse(text) as unknown;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A table, without colour codes when the output is not a terminal (a pipe, a file). */
export function table(head: string[] = []): Table.Table {
  return new Table({ head, ...(process.stdout.isTTY ? {} : { style: { head: [], border: [] } }) });
}

/** `2026-12-07 13:45 UTC`, or `—`. */
export function formatTime(ms: EpochMs | null): string {
  return ms === null ? '—' : `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function formatPercent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

/** `$1.20 of $10 (month)` per budget, one line each. */
export function budgetSummary(budgets: readonly BudgetView[]): string {
  return budgets.map((b) => `$${b.spent_usd} of $${b.limit_usd} (${b.period})`).join('\n') || '—';
}

export function budgetTable(budgets: readonly BudgetView[]): string {
  const t = table(['subject', 'period', 'limit', 'spent', 'reserved', 'remaining', 'used', 'burn/day', 'runs out']);
  for (const b of budgets) {
    t.push([
      b.subject,
      b.window,
      `$${b.limit_usd}`,
      `$${b.spent_usd}`,
      `$${b.reserved_usd}`,
      `$${b.remaining_usd}`,
      formatPercent(b.used),
      `$${b.burn_usd_per_day}`,
      formatTime(b.runs_out_at),
    ]);
  }
  return t.toString();
}

async function listBudgets(opts: AdminOptions): Promise<void> {
  const r = (await adminRequest(opts, { method: 'GET', path: '/api/budgets' })) as BudgetsResponse;
  if (opts.format === 'json') printJson(r);
  else process.stdout.write(`${r.data.length ? budgetTable(r.data) : 'no budgets'}\n`);
}

export function registerBudgetCommands(program: Command): void {
  withAdminOptions(
    program
      .command('budgets')
      .description('every budget of every key, team and tag on a running gateway, tightest first')
      .addArgument(new Argument('[action]', 'what to do').choices(['list']).default('list')),
  ).action((_action: 'list', opts: AdminOptions) => listBudgets(opts));
}
