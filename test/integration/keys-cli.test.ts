// `costwise keys|teams|budgets` and `costwise batch submit --key` against a real `costwise serve`
// process running with `auth: keys` and an admin key. The secret the CLI prints is used with the
// official openai SDK. (Needs dist/: `npm test` builds it first.)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import { usdToPico } from '../helpers/env.js';
import { fetchJson, parseJson } from '../helpers/json.js';
import { SpendPage } from '../helpers/api-json.js';
import { BIN, startBin } from '../helpers/process.js';

const ADMIN = 'admin-secret-for-keys-cli';
const SECRET = /^ {2}(cw-[0-9A-Za-z]{43})$/m;

const Budget = z.object({ subject: z.string(), period: z.string(), limit_usd: z.string(), spent_usd: z.string(), remaining_usd: z.string(), used: z.number() });
const Key = z.object({ id: z.string(), name: z.string(), prefix: z.string(), status: z.string(), team: z.string().nullable(), budgets: z.array(Budget) });
const Keys = z.object({ data: z.array(Key) });
const Created = Key.extend({ key: z.string() });
const Team = z.object({ id: z.string(), name: z.string(), keys: z.number(), budgets: z.array(Budget) });
const Budgets = z.object({ data: z.array(Budget) });

const children: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'costwise-keys-cli-'));
/** Everything the CLI printed after a secret was shown: no secret may appear in it. */
const laterOutput: string[] = [];
let url = '';

beforeAll(async () => {
  const file = join(dir, 'costwise.yaml');
  const config = {
    ...structuredClone(DEFAULT_CONFIG),
    server: { auth: 'keys' },
    storage: { ledger: { path: join(dir, 'ledger.db') } },
    batch: { pollIntervalMs: 50 },
  };
  writeFileSync(file, JSON.stringify(config));
  url = (await startBin(['serve', '--config', file, '--port', '0'], { COSTWISE_ADMIN_KEY: ADMIN }, children)).url;
});
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `costwise <args> --url <gateway>` with the admin key (unless `env` says otherwise). */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args, '--url', url], {
      env: { ...process.env, COSTWISE_ADMIN_KEY: ADMIN, COSTWISE_API_KEY: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

/** A command that must succeed; its output is kept for the no-secret check. */
async function ok(args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await cli(args, env);
  expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  laterOutput.push(r.stdout, r.stderr);
  return r.stdout;
}

async function createKey(args: string[]): Promise<{ id: string; secret: string; stdout: string }> {
  const r = await cli(['keys', 'create', ...args]);
  expect(r.status, r.stderr).toBe(0);
  const secret = SECRET.exec(r.stdout)?.[1];
  const id = /^Key (key_\w+) created\./m.exec(r.stdout)?.[1];
  expect(secret, r.stdout).toBeDefined();
  expect(id, r.stdout).toBeDefined();
  return { id: id!, secret: secret!, stdout: r.stdout };
}

const sdk = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${url}/v1`, maxRetries: 0 });
const ask = (apiKey: string) =>
  sdk(apiKey).chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'What is 2+2?' }], max_completion_tokens: 16 });

/** The HTTP status the SDK saw, or 200. */
async function statusOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (err) {
    const status: unknown = err instanceof OpenAI.APIError ? err.status : undefined;
    if (typeof status === 'number') return status;
    throw err;
  }
}

const lines = (text: string): string[] => text.split('\n');

describe('costwise keys, teams and budgets', { timeout: 60_000 }, () => {
  let alice = { id: '', secret: '' };

  it('teams create, keys create with a budget: the secret is printed once, with the note that it cannot be shown again', async () => {
    const team = parseJson(await ok(['teams', 'create', '--id', 'research', '--name', 'Research', '--budget', '50/month', '--format', 'json']), Team);
    expect(team).toMatchObject({ id: 'research', name: 'Research', keys: 0 });
    expect(team.budgets.map((b) => [b.subject, b.period, b.limit_usd])).toEqual([['team:research', 'month', '50']]);

    const created = await createKey([
      '--name',
      'alice',
      '--team',
      'research',
      '--models',
      'gpt-4.1-mini',
      '--budget-usd',
      '5',
      '--budget-period',
      'day',
      '--rpm',
      '100',
    ]);
    alice = created;
    expect(created.stdout.split(created.secret)).toHaveLength(2);
    expect(created.stdout).toContain('This is the only time this secret is shown');
    expect(created.stdout).toContain(`costwise keys rotate ${created.id}`);
    expect(created.stdout).toMatch(new RegExp(`key:${created.id} +│ day:\\S+ +│ \\$5 +│ \\$0 `));

    // json: the whole KeyCreatedResponse on stdout, the note on stderr
    const r = await cli(['keys', 'create', '--name', 'bob', '--tags', 'exp,ci', '--format', 'json']);
    expect(r.status, r.stderr).toBe(0);
    const bob = parseJson(r.stdout, Created.extend({ tags: z.array(z.string()) }));
    expect(bob).toMatchObject({ name: 'bob', status: 'active', team: null, tags: ['exp', 'ci'] });
    expect(bob.key).toMatch(/^cw-[0-9A-Za-z]{43}$/);
    expect(bob.prefix).toBe(`${bob.key.slice(0, 7)}…`);
    expect(r.stderr).toContain('This is the only time this secret is shown');
  });

  it('keys list / show and teams list / show, as tables and as JSON, never with a secret', async () => {
    const table = await ok(['keys', 'list']);
    const row = lines(table).find((l) => l.includes(alice.id));
    expect(row, table).toBeDefined();
    for (const cell of ['alice', `${alice.secret.slice(0, 7)}…`, 'active', 'research', 'gpt-4.1-mini', '100', '$0 of $5 (day)']) expect(row).toContain(cell);
    expect(table).toMatch(/│ bob +│/);

    const listed = parseJson(await ok(['keys', 'list', '--team', 'research', '--format', 'json']), Keys);
    expect(listed.data.map((k) => k.name)).toEqual(['alice']);
    expect(listed.data[0]).not.toHaveProperty('key');

    const shown = await ok(['keys', 'show', alice.id]);
    for (const cell of [`│ id        │ ${alice.id}`, '│ models    │ gpt-4.1-mini', '│ rpm / tpm │ 100 / —', '│ team      │ research'])
      expect(shown).toContain(cell);
    const shownJson = parseJson(await ok(['keys', 'show', alice.id, '-f', 'json']), Key);
    expect(shownJson.budgets.map((b) => [b.subject, b.period, b.limit_usd, b.spent_usd])).toEqual([[`key:${alice.id}`, 'day', '5', '0']]);

    const teams = await ok(['teams', 'list']);
    expect(teams).toMatch(/│ research +│ Research +│ — +│ 1 +│ — +│ — +│ \$0 of \$50 \(month\) +│/);
    expect(parseJson(await ok(['teams', 'show', 'research', '--format', 'json']), Team).keys).toBe(1);
    expect(await ok(['teams', 'show', 'research'])).toContain('team:research');
  });

  it('validation errors name the field and the option; a missing admin key says so', async () => {
    const noTeam = await cli(['keys', 'create', '--name', 'x', '--team', 'nope']);
    expect(noTeam.status).toBe(1);
    expect(noTeam.stderr).toMatch(/HTTP 400: team: no team nope \[field team, option --team\]/);
    const tenant = await cli(['keys', 'create', '--name', 'x', '--tenant', 'a b']);
    expect(tenant.stderr).toMatch(/HTTP 400: .*tenant: printable ASCII without spaces \[field tenant, option --tenant\]/);
    const period = await cli(['keys', 'update', alice.id, '--budget-period', 'week']);
    expect(period.stderr).toContain('budget_period: needs budget_usd [field budget_period, option --budget-period]');
    expect((await cli(['keys', 'update', alice.id])).stderr).toContain('nothing to change: give at least one option');
    const badBudget = await cli(['teams', 'create', '--name', 'x', '--budget', '5/year']);
    expect(badBudget.stderr).toContain("option '--budget <usd/period>' argument '5/year' is invalid");
    const busy = await cli(['teams', 'delete', 'research']);
    expect(busy.stderr).toMatch(/HTTP 409: team research still has 1 key\(s\)/);
    const noAdmin = await cli(['keys', 'list'], { COSTWISE_ADMIN_KEY: '' });
    expect(noAdmin.status).toBe(1);
    expect(noAdmin.stderr).toContain('HTTP 401: admin key required');
    expect(noAdmin.stderr).toContain('(set COSTWISE_ADMIN_KEY)');
    expect(`${noTeam.stderr}${tenant.stderr}${period.stderr}${noAdmin.stderr}`).not.toContain('cw-');
  });

  it('the printed secret works with the openai SDK; budgets shows its spend; revoked through the CLI, the SDK gets 401 within a second', async () => {
    const reply = await ask(alice.secret);
    expect(reply.choices[0]?.message.content).toBeTruthy();
    expect(await statusOf(ask('cw-notakey'))).toBe(401);

    // The key's spend, as the ledger has it, is what its budget shows as spent.
    let spent = 0n;
    let row: z.output<typeof Budget> | undefined;
    for (let i = 0; i < 50 && spent === 0n; i++) {
      const all = parseJson(await ok(['budgets', '--format', 'json']), Budgets);
      row = all.data.find((b) => b.subject === `key:${alice.id}`);
      spent = usdToPico(row?.spent_usd ?? '0');
      if (spent === 0n) await new Promise((r) => setTimeout(r, 100));
    }
    const spend = await fetchJson(`${url}/api/spend?group_by=key`, SpendPage, { headers: { authorization: `Bearer ${ADMIN}` } });
    const cost = spend.data.find((r) => r.key === alice.id)?.cost_usd;
    expect(cost).toBeDefined();
    expect(spent).toBeGreaterThan(0n);
    expect(spent).toBe(usdToPico(cost!));
    expect(usdToPico(row!.remaining_usd)).toBe(usdToPico('5') - spent);

    const table = await ok(['budgets']);
    expect(table).toMatch(/│ subject +│ period +│ limit +│ spent +│ reserved +│ remaining +│ used +│ burn\/day +│ runs out +│/);
    const keyRow = lines(table).find((l) => l.includes(`key:${alice.id}`));
    expect(keyRow).toContain(`│ $5 `);
    expect(keyRow).toContain(`│ $${row!.spent_usd} `);
    expect(table).toContain('team:research');
    expect(await ok(['budgets', 'list'])).toContain(`key:${alice.id}`);

    const revoked = await ok(['keys', 'revoke', alice.id]);
    const at = Date.now();
    expect(revoked).toMatch(new RegExp(`^revoked key ${alice.id} \\(alice, cw-\\w{4}…\\) at `));
    let status = 200;
    while (status !== 401 && Date.now() - at < 1000) status = await statusOf(ask(alice.secret));
    expect(status).toBe(401);
    expect(Date.now() - at).toBeLessThan(1000);
    expect(parseJson(await ok(['keys', 'show', alice.id, '--format', 'json']), Key).status).toBe('revoked');
    expect(await ok(['budgets'])).not.toContain(`key:${alice.id}`);
  });

  it('rotate prints the new secret once; the old one stops working', async () => {
    const carol = await createKey(['--name', 'carol']);
    expect(await statusOf(ask(carol.secret))).toBe(200);
    const r = await cli(['keys', 'rotate', carol.id]);
    expect(r.status, r.stderr).toBe(0);
    const fresh = SECRET.exec(r.stdout)?.[1];
    expect(fresh).toBeDefined();
    expect(fresh).not.toBe(carol.secret);
    expect(r.stdout).toContain('The previous secret no longer works');
    expect(await statusOf(ask(carol.secret))).toBe(401);
    expect(await statusOf(ask(fresh!))).toBe(200);
  });

  it('teams update and delete', async () => {
    await ok(['teams', 'create', '--id', 'spare', '--name', 'Spare', '--rpm', '10']);
    const updated = await ok(['teams', 'update', 'spare', '--no-rpm', '--tpm', '5000', '--parent', 'research']);
    expect(updated).toContain('│ rpm / tpm │ — / 5000');
    expect(updated).toContain('│ parent    │ research');
    expect(await ok(['teams', 'delete', 'spare'])).toBe('deleted team spare\n');
    expect((await cli(['teams', 'show', 'spare'])).stderr).toContain('HTTP 404: no team spare [field id]');
  });

  it('no secret is printed anywhere but by create and rotate', () => {
    expect(laterOutput.join('\n')).not.toMatch(/cw-[0-9A-Za-z]{43}/);
  });
});

describe('costwise batch submit on a gateway that requires keys', { timeout: 60_000 }, () => {
  const jsonl = ['q1', 'q2']
    .map((id) =>
      JSON.stringify({
        custom_id: id,
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'gpt-4.1', messages: [{ role: 'user', content: id }], max_tokens: 20 },
      }),
    )
    .join('\n');

  it('without a virtual key it is refused with the hint; with --key or COSTWISE_API_KEY it runs', async () => {
    const input = join(dir, 'in.jsonl');
    writeFileSync(input, jsonl);
    const refused = await cli(['batch', 'submit', input, '--yes']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('POST /v1/files: HTTP 401');
    expect(refused.stderr).toContain('--key cw-… or COSTWISE_API_KEY');

    const { secret } = await createKey(['--name', 'batcher']);
    const r = await cli(['batch', 'submit', input, '--yes', '--key', secret]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/batch batch_cw[0-9a-f]+ completed: 2 succeeded/);

    const viaEnv = await cli(['batch', 'submit', input, '--yes', '--no-wait'], { COSTWISE_API_KEY: secret });
    expect(viaEnv.status, viaEnv.stderr).toBe(0);
    expect(viaEnv.stdout).toMatch(/approved; batch batch_cw[0-9a-f]+ running/);
    expect(`${r.stdout}${r.stderr}${viaEnv.stdout}${viaEnv.stderr}`).not.toContain(secret);

    const help = await cli(['batch', 'submit', '--help']);
    expect(help.stdout).toContain('--key <cw-key>');
    expect(help.stdout).toContain('COSTWISE_API_KEY');
  });
});
