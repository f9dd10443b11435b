// `costwise keys create|list|show|update|revoke|rotate` and `costwise teams create|list|show|update|delete`:
// virtual keys and teams on a running gateway, through its admin API (/api/keys, /api/teams). A key's
// secret is printed by `create` and `rotate` only, once; every other view shows its prefix.
import { Command, InvalidArgumentError, Option } from 'commander';
import { positiveInt } from './args.js';
import { adminRequest, budgetSummary, budgetTable, formatTime, printJson, table, withAdminOptions, type AdminOptions } from './budgets.js';
import type { BudgetPeriod, KeyCreatedResponse, KeyView, KeysResponse, TeamView, TeamsResponse } from '../server/admin-api.js';

const PERIODS: readonly BudgetPeriod[] = ['day', 'week', 'month', 'total'];

type Mode = 'create' | 'update';

/** A budget as the API takes it; USD as a decimal string, so that no float touches money. */
interface BudgetArg {
  usd: string;
  period: BudgetPeriod;
}

/** Options of both keys and teams: budgets, rate limits, metadata. `false` is a `--no-…` (clear it). */
interface LimitFlags {
  budgetUsd?: string;
  budgetPeriod?: BudgetPeriod;
  budget?: BudgetArg[] | false;
  rpm?: number | false;
  tpm?: number | false;
  metadata?: Record<string, string>;
}

interface KeyFlags extends LimitFlags, AdminOptions {
  name?: string;
  team?: string | false;
  tenant?: string;
  allowTenantHeader?: boolean;
  models?: string[];
  tags?: string[];
  expiresAt?: number | string | false;
  onBudget?: 'refuse' | 'downgrade';
  /** create */
  disabled?: boolean;
  /** update */
  enable?: boolean;
  disable?: boolean;
}

interface TeamFlags extends LimitFlags, AdminOptions {
  id?: string;
  name?: string;
  parent?: string | false;
}

/** The request body fields of /api/keys and /api/teams that LimitFlags set (src/server/admin-keys.ts). */
interface LimitBody {
  budget_usd?: string;
  budget_period?: BudgetPeriod;
  budgets?: BudgetArg[];
  rpm?: number | null;
  tpm?: number | null;
  metadata?: Record<string, string>;
}

/** The body of POST and PATCH /api/keys. */
interface KeyBody extends LimitBody {
  name?: string;
  team?: string | null;
  tenant?: string;
  allow_tenant_header?: boolean;
  models?: string[];
  tags?: string[];
  expires_at?: number | string | null;
  on_budget?: 'refuse' | 'downgrade';
  enabled?: boolean;
}

/** The body of POST and PATCH /api/teams. */
interface TeamBody extends LimitBody {
  id?: string;
  name?: string;
  parent?: string | null;
}

// ---- option parsers

const USD = /^\d+(\.\d{1,12})?$/;

function usd(value: string): string {
  const v = value.trim().replace(/^\$/, '');
  if (!USD.test(v)) throw new InvalidArgumentError('must be a USD amount such as 25 or 0.50');
  return v;
}

function budgetArg(value: string, previous: BudgetArg[] | false | undefined): BudgetArg[] {
  const [amount = '', period = ''] = value.split('/');
  if (!PERIODS.some((p) => p === period)) throw new InvalidArgumentError(`must be <usd>/<period>, the period one of ${PERIODS.join(', ')} (e.g. 10/day)`);
  return [...(Array.isArray(previous) ? previous : []), { usd: usd(amount), period: period as BudgetPeriod }];
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function metadataArg(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError('must be key=value');
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

function time(value: string): number | string {
  if (/^\d+$/.test(value)) return Number(value);
  if (Number.isNaN(Date.parse(value))) throw new InvalidArgumentError('must be epoch milliseconds or an ISO date (2026-12-31 or 2026-12-31T18:00:00Z)');
  return value;
}

// ---- options and request bodies

function limitOptions(cmd: Command, mode: Mode): Command {
  const replaces = mode === 'update' ? ' (replaces its budgets)' : '';
  cmd
    .option('--budget-usd <usd>', `a budget: USD per --budget-period${replaces}`, usd)
    .addOption(new Option('--budget-period <period>', 'period of --budget-usd (default month)').choices(PERIODS))
    .option('--budget <usd/period>', `a budget such as 10/day; repeat for other periods${replaces}`, budgetArg)
    .option('--rpm <n>', 'requests per minute', positiveInt)
    .option('--tpm <n>', 'tokens per minute', positiveInt)
    .option('--metadata <key=value>', `a metadata entry; repeat for more${mode === 'update' ? ' (replaces its metadata)' : ''}`, metadataArg);
  if (mode === 'update') cmd.option('--no-budget', 'remove every budget').option('--no-rpm', 'no request rate limit').option('--no-tpm', 'no token rate limit');
  return cmd;
}

function limitBody(f: LimitFlags): LimitBody {
  const body: LimitBody = {};
  if (f.budgetUsd !== undefined) body.budget_usd = f.budgetUsd;
  if (f.budgetPeriod !== undefined) body.budget_period = f.budgetPeriod;
  if (f.budget !== undefined) body.budgets = f.budget === false ? [] : f.budget;
  if (f.rpm !== undefined) body.rpm = f.rpm === false ? null : f.rpm;
  if (f.tpm !== undefined) body.tpm = f.tpm === false ? null : f.tpm;
  if (f.metadata !== undefined) body.metadata = f.metadata;
  return body;
}

function keyOptions(cmd: Command, mode: Mode): Command {
  if (mode === 'create') cmd.requiredOption('--name <name>', 'what the key is for');
  else cmd.option('--name <name>', 'new name');
  cmd
    .option('--team <id>', 'team the key belongs to (its budgets apply too)')
    .option('--tenant <tenant>', 'tenant its requests are accounted to (default "default")')
    .option('--allow-tenant-header', 'let callers choose the tenant with x-costwise-tenant')
    .option('--models <a,b>', 'models or tiers it may use (default: all)', list)
    .option('--tags <a,b>', 'tags added to every request', list)
    .option('--expires-at <when>', 'when it stops working: epoch ms or ISO date', time)
    .addOption(new Option('--on-budget <action>', 'when a budget would be exceeded (default refuse)').choices(['refuse', 'downgrade']));
  if (mode === 'create') cmd.option('--disabled', 'create it disabled');
  else {
    cmd
      .option('--no-team', 'no team')
      .option('--no-allow-tenant-header', 'the tenant is fixed')
      .option('--no-expires-at', 'never expires')
      .option('--enable', 'enable it')
      .addOption(new Option('--disable', 'disable it (until --enable)').conflicts('enable'));
  }
  return limitOptions(cmd, mode);
}

function keyBody(f: KeyFlags): KeyBody {
  const body: KeyBody = limitBody(f);
  if (f.name !== undefined) body.name = f.name;
  if (f.team !== undefined) body.team = f.team === false ? null : f.team;
  if (f.tenant !== undefined) body.tenant = f.tenant;
  if (f.allowTenantHeader !== undefined) body.allow_tenant_header = f.allowTenantHeader;
  if (f.models !== undefined) body.models = f.models;
  if (f.tags !== undefined) body.tags = f.tags;
  if (f.expiresAt !== undefined) body.expires_at = f.expiresAt === false ? null : f.expiresAt;
  if (f.onBudget !== undefined) body.on_budget = f.onBudget;
  if (f.disabled === true || f.disable === true) body.enabled = false;
  else if (f.enable === true) body.enabled = true;
  return body;
}

function teamOptions(cmd: Command, mode: Mode): Command {
  if (mode === 'create') {
    cmd
      .requiredOption('--name <name>', 'team name')
      .option('--id <id>', 'team id, a readable slug (default: generated)')
      .option('--parent <id>', 'parent team (its budgets apply too)');
  } else cmd.option('--name <name>', 'new name').option('--parent <id>', 'parent team').option('--no-parent', 'no parent team');
  return limitOptions(cmd, mode);
}

function teamBody(f: TeamFlags): TeamBody {
  const body: TeamBody = limitBody(f);
  if (f.id !== undefined) body.id = f.id;
  if (f.name !== undefined) body.name = f.name;
  if (f.parent !== undefined) body.parent = f.parent === false ? null : f.parent;
  return body;
}

/** An update without an option to apply is a mistake, not a no-op. */
function changes<T extends object>(body: T): T {
  if (Object.keys(body).length === 0) throw new Error('nothing to change: give at least one option (see --help)');
  return body;
}

// ---- views

const dash = (v: string | number | null | undefined): string => (v === null || v === undefined || v === '' ? '—' : String(v));

function metadataText(m: Record<string, string | number | boolean | null>): string {
  return dash(
    Object.entries(m)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(', '),
  );
}

function details(rows: Array<[string, string]>): string {
  const t = table();
  for (const [k, v] of rows) t.push({ [k]: v });
  return t.toString();
}

function keyDetails(k: KeyView): string {
  const rows: Array<[string, string]> = [
    ['id', k.id],
    ['name', k.name],
    ['prefix', k.prefix],
    ['status', k.status],
    ['team', dash(k.team)],
    ['tenant', `${k.tenant}${k.allow_tenant_header ? ' (x-costwise-tenant allowed)' : ''}`],
    ['models', k.models.length ? k.models.join(', ') : 'all'],
    ['rpm / tpm', `${dash(k.rpm)} / ${dash(k.tpm)}`],
    ['tags', dash(k.tags.join(', '))],
    ['on budget', k.on_budget],
    ['expires', formatTime(k.expires_at)],
    ['created', formatTime(k.created_at)],
    ['revoked', formatTime(k.revoked_at)],
    ['metadata', metadataText(k.metadata)],
  ];
  return [details(rows), k.budgets.length ? budgetTable(k.budgets) : 'no budgets of its own'].join('\n');
}

function keysTable(keys: readonly KeyView[]): string {
  const t = table(['id', 'name', 'prefix', 'status', 'team', 'models', 'rpm', 'tpm', 'budgets', 'expires']);
  for (const k of keys)
    t.push([
      k.id,
      k.name,
      k.prefix,
      k.status,
      dash(k.team),
      k.models.join(', ') || 'all',
      dash(k.rpm),
      dash(k.tpm),
      budgetSummary(k.budgets),
      formatTime(k.expires_at),
    ]);
  return t.toString();
}

function teamDetails(team: TeamView): string {
  const rows: Array<[string, string]> = [
    ['id', team.id],
    ['name', team.name],
    ['parent', dash(team.parent)],
    ['keys', String(team.keys)],
    ['rpm / tpm', `${dash(team.rpm)} / ${dash(team.tpm)}`],
    ['created', formatTime(team.created_at)],
    ['metadata', metadataText(team.metadata)],
  ];
  return [details(rows), team.budgets.length ? budgetTable(team.budgets) : 'no budgets of its own'].join('\n');
}

function teamsTable(teams: readonly TeamView[]): string {
  const t = table(['id', 'name', 'parent', 'keys', 'rpm', 'tpm', 'budgets']);
  for (const team of teams) t.push([team.id, team.name, dash(team.parent), team.keys, dash(team.rpm), dash(team.tpm), budgetSummary(team.budgets)]);
  return t.toString();
}

/** The one place a secret is printed: right after `create` or `rotate`. */
function printSecret(created: KeyCreatedResponse, format: AdminOptions['format'], rotated: boolean): void {
  const note = [
    'This is the only time this secret is shown: the gateway keeps only its hash. Store it now;',
    `if it is lost, \`costwise keys rotate ${created.id}\` issues a new one.${rotated ? ' The previous secret no longer works.' : ''}`,
  ].join('\n');
  if (format === 'json') {
    printJson(created);
    process.stderr.write(`${note}\n`);
    return;
  }
  const { key: secret, ...view } = created;
  const lead = rotated ? `Key ${created.id} rotated. Its new secret:` : `Key ${created.id} created. Its secret (the API key callers send):`;
  process.stdout.write(`${keyDetails(view)}\n\n${lead}\n\n  ${secret}\n\n${note}\n`);
}

const keyPath = (id: string): string => `/api/keys/${encodeURIComponent(id)}`;
const teamPath = (id: string): string => `/api/teams/${encodeURIComponent(id)}`;

function show<T>(format: AdminOptions['format'], value: T, render: (v: T) => string): void {
  if (format === 'json') printJson(value);
  else process.stdout.write(`${render(value)}\n`);
}

// ---- commands

function registerKeys(program: Command): void {
  const keys = program.command('keys').description('virtual keys on a running gateway: who may call it, with which models, budgets and limits');
  withAdminOptions(keyOptions(keys.command('create').description('create a key; prints its secret once'), 'create')).action(async (f: KeyFlags) => {
    printSecret((await adminRequest(f, { method: 'POST', path: '/api/keys', body: keyBody(f) })) as KeyCreatedResponse, f.format, false);
  });
  withAdminOptions(keys.command('list').description('every key (never a secret)').option('--team <id>', 'the keys of this team')).action(
    async (f: AdminOptions & { team?: string }) => {
      const r = (await adminRequest(f, { method: 'GET', path: `/api/keys${f.team ? `?team=${encodeURIComponent(f.team)}` : ''}` })) as KeysResponse;
      show(f.format, r, (v) => (v.data.length ? keysTable(v.data) : 'no keys'));
    },
  );
  withAdminOptions(keys.command('show').description('a key and its budgets: spent, reserved, remaining, burn rate').argument('<id>')).action(
    async (id: string, f: AdminOptions) => show(f.format, (await adminRequest(f, { method: 'GET', path: keyPath(id) })) as KeyView, keyDetails),
  );
  withAdminOptions(keyOptions(keys.command('update').description('change a key (only the options given)').argument('<id>'), 'update')).action(
    async (id: string, f: KeyFlags) =>
      show(f.format, (await adminRequest(f, { method: 'PATCH', path: keyPath(id), body: changes(keyBody(f)) })) as KeyView, keyDetails),
  );
  withAdminOptions(keys.command('revoke').description('revoke a key for good: its requests are refused from now on').argument('<id>')).action(
    async (id: string, f: AdminOptions) => {
      const k = (await adminRequest(f, { method: 'DELETE', path: keyPath(id) })) as KeyView;
      show(f.format, k, (v) => `revoked key ${v.id} (${v.name}, ${v.prefix}) at ${formatTime(v.revoked_at)}`);
    },
  );
  withAdminOptions(keys.command('rotate').description('give a key a new secret (printed once); the old one stops working').argument('<id>')).action(
    async (id: string, f: AdminOptions) => {
      printSecret((await adminRequest(f, { method: 'POST', path: `${keyPath(id)}/rotate` })) as KeyCreatedResponse, f.format, true);
    },
  );
}

function registerTeams(program: Command): void {
  const teams = program.command('teams').description('teams on a running gateway: shared budgets and limits for their keys');
  withAdminOptions(teamOptions(teams.command('create').description('create a team'), 'create')).action(async (f: TeamFlags) =>
    show(f.format, (await adminRequest(f, { method: 'POST', path: '/api/teams', body: teamBody(f) })) as TeamView, teamDetails),
  );
  withAdminOptions(teams.command('list').description('every team')).action(async (f: AdminOptions) =>
    show(f.format, (await adminRequest(f, { method: 'GET', path: '/api/teams' })) as TeamsResponse, (v) => (v.data.length ? teamsTable(v.data) : 'no teams')),
  );
  withAdminOptions(teams.command('show').description('a team and its budgets').argument('<id>')).action(async (id: string, f: AdminOptions) =>
    show(f.format, (await adminRequest(f, { method: 'GET', path: teamPath(id) })) as TeamView, teamDetails),
  );
  withAdminOptions(teamOptions(teams.command('update').description('change a team (only the options given)').argument('<id>'), 'update')).action(
    async (id: string, f: TeamFlags) =>
      show(f.format, (await adminRequest(f, { method: 'PATCH', path: teamPath(id), body: changes(teamBody(f)) })) as TeamView, teamDetails),
  );
  withAdminOptions(teams.command('delete').description('delete a team that no key or child team refers to').argument('<id>')).action(
    async (id: string, f: AdminOptions) => {
      await adminRequest(f, { method: 'DELETE', path: teamPath(id) });
      show(f.format, { deleted: id }, () => `deleted team ${id}`);
    },
  );
}

export function registerKeyCommands(program: Command): void {
  registerKeys(program);
  registerTeams(program);
}
