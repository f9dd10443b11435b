// The admin API of virtual keys, teams and budgets (/api/keys, /api/teams, /api/budgets), behind
// the admin key like the rest of /api. Bodies are snake_case JSON; a key's secret is in the answer
// to its creation (and rotation) only. Errors name the field: 400 invalid, 404 unknown, 409 conflict.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { parseJsonBody } from '../core/json-body.js';
import { formatUsd } from '../cost/money.js';
import { formatPath } from '../config/load.js';
import {
  budgetScopes,
  isGovernanceError,
  periodWindow,
  usdToPico,
  type Budget,
  type BudgetScope,
  type KeyInput,
  type KeyRecord,
  type TeamInput,
  type TeamRecord,
} from '../governance/index.js';
import type {
  Agrees,
  Assert,
  KeyCreateRequest,
  KeyUpdateRequest,
  TeamCreateRequest,
  TeamUpdateRequest,
  ApiErrorResponse,
  BudgetSetting,
  BudgetView,
  BudgetsResponse,
  KeyCreatedResponse,
  KeyStatus,
  KeyView,
  KeysResponse,
  TeamView,
  TeamsResponse,
} from './admin-api.js';
import { readBody } from './body.js';
import type { AppDeps } from './deps.js';
import { sendJson } from './respond.js';

const DAY_MS = 86_400_000;

const budgetBody = z.strictObject({
  usd: z.union([z.number().nonnegative(), z.string().regex(/^\d+(\.\d{1,12})?$/)]),
  period: z.enum(['day', 'week', 'month', 'total']),
});
const time = z.union([z.int().positive(), z.iso.datetime({ offset: true }), z.iso.date()]).transform((v) => (typeof v === 'number' ? v : Date.parse(v)));
const metadata = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));

const keyFields = {
  name: z.string(),
  team: z.string().nullable(),
  tenant: z.string(),
  allow_tenant_header: z.boolean(),
  models: z.array(z.string()),
  /** Shorthand for one budget: `budget_usd` per `budget_period` (default month). */
  budget_usd: z.union([z.number().nonnegative(), z.string()]),
  budget_period: z.enum(['day', 'week', 'month', 'total']),
  budgets: z.array(budgetBody),
  rpm: z.int().positive().nullable(),
  tpm: z.int().positive().nullable(),
  tags: z.array(z.string()),
  expires_at: time.nullable(),
  enabled: z.boolean(),
  on_budget: z.enum(['refuse', 'downgrade']),
  metadata,
};
const keyBody = z.strictObject(keyFields).partial().required({ name: true });
const keyPatchBody = z.strictObject(keyFields).partial();

const teamFields = {
  id: z.string(),
  name: z.string(),
  parent: z.string().nullable(),
  budget_usd: z.union([z.number().nonnegative(), z.string()]),
  budget_period: z.enum(['day', 'week', 'month', 'total']),
  budgets: z.array(budgetBody),
  rpm: z.int().positive().nullable(),
  tpm: z.int().positive().nullable(),
  metadata,
};
const teamBody = z.strictObject(teamFields).partial().required({ name: true });
const teamPatchBody = z.strictObject(teamFields).omit({ id: true }).partial();

// The bodies these schemas take are the ones admin-api.ts declares.
type _KeyBody = Assert<Agrees<z.input<typeof keyBody>, KeyCreateRequest>>;
type _KeyPatch = Assert<Agrees<z.input<typeof keyPatchBody>, KeyUpdateRequest>>;
type _TeamBody = Assert<Agrees<z.input<typeof teamBody>, TeamCreateRequest>>;
type _TeamPatch = Assert<Agrees<z.input<typeof teamPatchBody>, TeamUpdateRequest>>;

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

/** Answers /api/keys, /api/teams and /api/budgets; false for any other path. */
export async function handleKeysApi(req: IncomingMessage, res: ServerResponse, deps: AppDeps, url: URL): Promise<boolean> {
  const parts = url.pathname.split('/').filter((p) => p !== '');
  const area = parts[1];
  if (parts[0] !== 'api' || (area !== 'keys' && area !== 'teams' && area !== 'budgets')) return false;
  try {
    if (area === 'budgets') await budgetsRoute(req, res, deps);
    else if (area === 'keys') await keysRoute(req, res, deps, url, parts.slice(2));
    else await teamsRoute(req, res, deps, parts.slice(2));
  } catch (err) {
    const e = asApiError(err);
    sendJson(res, e.status, {
      error: {
        message: e.message,
        type: e.status === 404 ? 'not_found_error' : e.status === 409 ? 'conflict_error' : 'invalid_request_error',
        param: e.param,
        code: null,
      },
    } satisfies ApiErrorResponse);
  }
  return true;
}

/** The store's field names, as the API spells them. */
const API_FIELD: Readonly<Record<string, string>> = {
  teamId: 'team',
  parentId: 'parent',
  allowTenantHeader: 'allow_tenant_header',
  expiresAt: 'expires_at',
  onBudget: 'on_budget',
  limitPico: 'usd',
};

function apiField(path: string): string {
  return path.replace(/[A-Za-z]+/g, (word) => API_FIELD[word] ?? word);
}

function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (isGovernanceError(err)) {
    const status = err.kind === 'not_found' ? 404 : err.kind === 'conflict' ? 409 : 400;
    const issue = err.issues[0];
    const message = issue === undefined ? apiField(err.message) : `${apiField(issue.path) || '(body)'}: ${issue.message}`;
    return new ApiError(status, message, issue === undefined ? null : apiField(issue.path) || null);
  }
  if (err instanceof Error && err.name === 'GatewayError') return new ApiError(400, err.message);
  throw err;
}

async function bodyOf<S extends z.ZodType>(req: IncomingMessage, schema: S): Promise<z.output<S>> {
  const parsed = schema.safeParse(parseJsonBody(await readBody(req, 64 * 1024)));
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = formatPath(issue.path);
  throw new ApiError(400, `${path || '(body)'}: ${issue.message}`, path || null);
}

function notAllowed(req: IncomingMessage, allowed: string): never {
  req.resume();
  throw new ApiError(405, `method ${req.method} not allowed here (${allowed})`);
}

// ---- keys

async function keysRoute(req: IncomingMessage, res: ServerResponse, deps: AppDeps, url: URL, rest: string[]): Promise<void> {
  const { admin, store } = deps.governanceAdmin;
  const [id, action] = rest;
  if (id === undefined) {
    if (req.method === 'POST') {
      const created = await admin.createKey(keyInput(await bodyOf(req, keyBody)));
      await deps.governance.resolver.refresh();
      sendJson(res, 201, { ...(await keyView(deps, created.key)), key: created.secret } satisfies KeyCreatedResponse);
      return;
    }
    if (req.method !== 'GET') notAllowed(req, 'GET, POST');
    const team = url.searchParams.get('team');
    const keys = await store.listKeys(team ? { teamId: team } : {});
    sendJson(res, 200, { data: await Promise.all(keys.map((k) => keyView(deps, k))) } satisfies KeysResponse);
    return;
  }
  if (action === 'rotate') {
    if (req.method !== 'POST') notAllowed(req, 'POST');
    const rotated = await admin.rotateKey(id);
    await deps.governance.resolver.refresh();
    sendJson(res, 200, { ...(await keyView(deps, rotated.key)), key: rotated.secret } satisfies KeyCreatedResponse);
    return;
  }
  if (action !== undefined) throw new ApiError(404, `no admin endpoint ${url.pathname}`);
  let key: KeyRecord;
  if (req.method === 'GET') {
    const found = await store.getKey(id);
    if (found === null) throw new ApiError(404, `no key ${id}`, 'id');
    key = found;
  } else if (req.method === 'PATCH') {
    key = await admin.updateKey(id, keyPatch(await bodyOf(req, keyPatchBody)));
  } else if (req.method === 'DELETE') {
    key = await admin.revokeKey(id);
  } else notAllowed(req, 'GET, PATCH, DELETE');
  await deps.governance.resolver.refresh();
  sendJson(res, 200, (await keyView(deps, key)) satisfies KeyView);
}

type KeyBody = z.output<typeof keyPatchBody>;

function keyPatch(b: KeyBody): Partial<KeyInput> {
  const out: Partial<KeyInput> = {};
  if (b.name !== undefined) out.name = b.name;
  if (b.team !== undefined) out.teamId = b.team;
  if (b.tenant !== undefined) out.tenant = b.tenant;
  if (b.allow_tenant_header !== undefined) out.allowTenantHeader = b.allow_tenant_header;
  if (b.models !== undefined) out.models = b.models;
  const budgets = budgetsOf(b);
  if (budgets !== undefined) out.budgets = budgets;
  if (b.rpm !== undefined) out.rpm = b.rpm;
  if (b.tpm !== undefined) out.tpm = b.tpm;
  if (b.tags !== undefined) out.tags = b.tags;
  if (b.expires_at !== undefined) out.expiresAt = b.expires_at;
  if (b.enabled !== undefined) out.enabled = b.enabled;
  if (b.on_budget !== undefined) out.onBudget = b.on_budget;
  if (b.metadata !== undefined) out.metadata = b.metadata;
  return out;
}

function keyInput(b: z.output<typeof keyBody>): KeyInput {
  return { ...keyPatch(b), name: b.name };
}

/** `budgets`, or the `budget_usd` / `budget_period` shorthand (the two together replace the list). */
function budgetsOf(b: {
  budget_usd?: number | string | undefined;
  budget_period?: BudgetSetting['period'] | undefined;
  budgets?: Array<z.output<typeof budgetBody>> | undefined;
}): Budget[] | undefined {
  if (b.budget_usd !== undefined && b.budgets !== undefined)
    throw new ApiError(400, 'budget_usd: give either budget_usd (with budget_period) or budgets, not both', 'budget_usd');
  if (b.budget_usd !== undefined) return [{ limitPico: picoOf(b.budget_usd, 'budget_usd'), period: b.budget_period ?? 'month' }];
  if (b.budget_period !== undefined) throw new ApiError(400, 'budget_period: needs budget_usd', 'budget_period');
  return b.budgets?.map((x, i) => ({ limitPico: picoOf(x.usd, `budgets[${i}].usd`), period: x.period }));
}

function picoOf(usd: number | string, param: string): bigint {
  try {
    return usdToPico(typeof usd === 'number' ? usd.toFixed(12) : usd);
  } catch (err) {
    throw new ApiError(400, `${param}: ${(err as Error).message}`, param);
  }
}

function statusOf(key: KeyRecord): KeyStatus {
  if (key.revokedAt !== null) return 'revoked';
  if (!key.enabled) return 'disabled';
  if (key.expiresAt !== null && key.expiresAt <= Date.now()) return 'expired';
  return 'active';
}

async function keyView(deps: AppDeps, key: KeyRecord): Promise<KeyView> {
  const now = Date.now();
  const scopes = budgetScopes({ key, teams: [], at: now, timeZone: deps.governance.settings.timeZone });
  return {
    id: key.id,
    name: key.name,
    prefix: key.displayPrefix,
    status: statusOf(key),
    team: key.teamId,
    tenant: key.tenant,
    allow_tenant_header: key.allowTenantHeader,
    models: [...key.models],
    rpm: key.rpm,
    tpm: key.tpm,
    tags: [...key.tags],
    expires_at: key.expiresAt,
    enabled: key.enabled,
    on_budget: key.onBudget,
    created_at: key.createdAt,
    revoked_at: key.revokedAt,
    metadata: { ...key.metadata },
    budgets: await Promise.all(scopes.map((s) => budgetView(deps, s, key.name, now))),
  };
}

// ---- teams

async function teamsRoute(req: IncomingMessage, res: ServerResponse, deps: AppDeps, rest: string[]): Promise<void> {
  const { admin, store } = deps.governanceAdmin;
  const [id, extra] = rest;
  if (extra !== undefined) throw new ApiError(404, 'no such admin endpoint');
  if (id === undefined) {
    if (req.method === 'POST') {
      const b = await bodyOf(req, teamBody);
      const team = await admin.createTeam({ ...teamPatch(b), name: b.name, ...(b.id !== undefined ? { id: b.id } : {}) });
      await deps.governance.resolver.refresh();
      sendJson(res, 201, (await teamView(deps, team)) satisfies TeamView);
      return;
    }
    if (req.method !== 'GET') notAllowed(req, 'GET, POST');
    const teams = await store.listTeams();
    sendJson(res, 200, { data: await Promise.all(teams.map((t) => teamView(deps, t))) } satisfies TeamsResponse);
    return;
  }
  if (req.method === 'GET') {
    const team = await store.getTeam(id);
    if (team === null) throw new ApiError(404, `no team ${id}`, 'id');
    sendJson(res, 200, (await teamView(deps, team)) satisfies TeamView);
    return;
  }
  if (req.method === 'PATCH') {
    const team = await admin.updateTeam(id, teamPatch(await bodyOf(req, teamPatchBody)));
    await deps.governance.resolver.refresh();
    sendJson(res, 200, (await teamView(deps, team)) satisfies TeamView);
    return;
  }
  if (req.method === 'DELETE') {
    await admin.deleteTeam(id);
    await deps.governance.resolver.refresh();
    res.writeHead(204).end();
    return;
  }
  notAllowed(req, 'GET, PATCH, DELETE');
}

function teamPatch(b: z.output<typeof teamPatchBody>): Partial<TeamInput> {
  const out: Partial<TeamInput> = {};
  if (b.name !== undefined) out.name = b.name;
  if (b.parent !== undefined) out.parentId = b.parent;
  const budgets = budgetsOf(b);
  if (budgets !== undefined) out.budgets = budgets;
  if (b.rpm !== undefined) out.rpm = b.rpm;
  if (b.tpm !== undefined) out.tpm = b.tpm;
  if (b.metadata !== undefined) out.metadata = b.metadata;
  return out;
}

async function teamView(deps: AppDeps, team: TeamRecord): Promise<TeamView> {
  const now = Date.now();
  const keys = await deps.governanceAdmin.store.listKeys({ teamId: team.id });
  return {
    id: team.id,
    name: team.name,
    parent: team.parentId,
    rpm: team.rpm,
    tpm: team.tpm,
    created_at: team.createdAt,
    metadata: { ...team.metadata },
    keys: keys.length,
    budgets: await Promise.all(team.budgets.map((b) => budgetView(deps, scopeOf(`team:${team.id}`, b, now, deps), team.name, now))),
  };
}

// ---- budgets

async function budgetsRoute(req: IncomingMessage, res: ServerResponse, deps: AppDeps): Promise<void> {
  if (req.method !== 'GET') notAllowed(req, 'GET');
  const now = Date.now();
  const { store } = deps.governanceAdmin;
  const scopes: Array<{ scope: BudgetScope; name: string }> = [];
  for (const k of await store.listKeys())
    if (k.revokedAt === null) for (const b of k.budgets) scopes.push({ scope: scopeOf(`key:${k.id}`, b, now, deps), name: k.name });
  for (const t of await store.listTeams()) for (const b of t.budgets) scopes.push({ scope: scopeOf(`team:${t.id}`, b, now, deps), name: t.name });
  for (const [tag, budgets] of deps.governance.tagBudgets) for (const b of budgets) scopes.push({ scope: scopeOf(`tag:${tag}`, b, now, deps), name: tag });
  const views = await Promise.all(scopes.map((s) => budgetView(deps, s.scope, s.name, now)));
  views.sort((a, b) => b.used - a.used);
  sendJson(res, 200, { data: views } satisfies BudgetsResponse);
}

function scopeOf(subject: string, b: Budget, now: number, deps: AppDeps): BudgetScope {
  return { subject, limitPico: b.limitPico, window: periodWindow({ period: b.period, at: now, timeZone: deps.governance.settings.timeZone }) };
}

async function budgetView(deps: AppDeps, scope: BudgetScope, name: string, now: number): Promise<BudgetView> {
  const [status, lastDay] = await Promise.all([
    deps.governanceAdmin.status(scope),
    deps.governanceAdmin.spent({ subject: scope.subject, from: now - DAY_MS, to: now + 1 }),
  ]);
  const end = scope.window.end;
  let runsOut: number | null = null;
  if (lastDay > 0n) {
    const at = now + Number((status.remainingPico * BigInt(DAY_MS)) / lastDay);
    if (end === null || at < end) runsOut = at;
  }
  const limit = status.limitPico;
  return {
    subject: scope.subject,
    name,
    period: scope.window.period,
    window: scope.window.key,
    limit_usd: formatUsd(limit),
    spent_usd: formatUsd(status.spentPico),
    reserved_usd: formatUsd(status.reservedPico),
    remaining_usd: formatUsd(status.remainingPico),
    used: limit === 0n ? 0 : Number((status.spentPico * 1_000_000n) / limit) / 1_000_000,
    live: status.seeded,
    period_start: scope.window.start,
    period_end: end,
    burn_usd_per_day: formatUsd(lastDay),
    runs_out_at: runsOut,
  };
}
