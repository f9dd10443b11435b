// The real binaries: `costwise emulate` and `costwise serve` as separate processes.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { expectedPico, usdToPico } from '../helpers/env.js';
import { BIN, exited, startBin } from '../helpers/process.js';
import { present } from '../helpers/assert.js';
import { fetchJson } from '../helpers/json.js';
import { SpendPage } from '../helpers/api-json.js';

const dir = mkdtempSync(join(tmpdir(), 'costwise-cli-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20_000 });
}

function start(args: string[], env: Record<string, string> = {}) {
  return startBin(args, env, children);
}

describe('costwise CLI', () => {
  it('--help lists the commands', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    for (const cmd of ['serve', 'emulate', 'estimate']) expect(r.stdout).toContain(cmd);
  });

  it('a config error names the exact path and the process exits non-zero without serving', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      [
        'providers:',
        '  - { name: openai, kind: openai, apiKey: sk-x }',
        'models:',
        '  - { name: a, provider: openai, upstreamModel: gpt-4.1 }',
        '  - { name: b, provider: openai, upstreamModel: gpt-4.1-mini }',
        '  - { name: c, provider: opnai, upstreamModel: gpt-4.1-nano }',
        'server: { port: 0, colour: blue }',
      ].join('\n'),
    );
    const r = run(['serve', '--config', file]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('models[2].provider: unknown provider "opnai"');
    expect(r.stderr).toContain('server.colour: unknown key (known: port, host, maxBodyBytes, adminKey, auth)');
    expect(r.stdout).not.toContain('listening');
  });

  it('refuses a non-loopback address without an admin key', () => {
    const r = run(['serve', '--host', '0.0.0.0', '--port', '0'], { COSTWISE_ADMIN_KEY: '' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/admin key/);
  });

  it('serve → emulate over HTTP, spend API, admin key, ledger survives shutdown', async () => {
    const emu = await start(['emulate', '--port', '0']);
    const db = join(dir, 'e2e.db');
    const cfg = join(dir, 'costwise.yaml');
    writeFileSync(
      cfg,
      [
        'server: { port: 0 }',
        `storage: { ledger: { path: ${JSON.stringify(db)} } }`,
        'providers:',
        `  - { name: emu-openai, kind: openai, baseUrl: "${emu.url}", apiKey: "\${EMU_KEY}" }`,
        `  - { name: emu-anthropic, kind: anthropic, baseUrl: "${emu.url}", apiKey: "\${EMU_KEY}" }`,
        'models:',
        '  - { name: fast, provider: emu-openai, upstreamModel: gpt-4.1-nano, tier: cheap }',
        '  - { name: smart, provider: emu-anthropic, upstreamModel: claude-sonnet-4-5, tier: frontier }',
        '  - { name: custom-priced, provider: emu-openai, upstreamModel: gpt-4.1, pricing: { input: 1.5, output: 3 } }',
      ].join('\n'),
    );
    const gw = await start(['serve', '--config', cfg], { EMU_KEY: 'emu-secret', COSTWISE_ADMIN_KEY: 'admin-123' });
    const client = new OpenAI({ apiKey: 'app-key', baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const { data: a, response: ra } = await client.chat.completions
      .create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-costwise-tags': 'alpha', 'x-emulator-output-tokens': '9' } })
      .withResponse();
    expect(usdToPico(ra.headers.get('x-costwise-cost-usd')!)).toBe(expectedPico('gpt-4.1-nano', { input: a.usage!.prompt_tokens, output: 9 }));
    const { data: b, response: rb } = await client.chat.completions
      .create(
        { model: 'custom-priced', messages: [{ role: 'user', content: 'hello' }] },
        { headers: { 'x-costwise-tags': 'beta', 'x-emulator-output-tokens': '11' } },
      )
      .withResponse();
    // Config override: $1.50 / $3 per million tokens.
    expect(usdToPico(rb.headers.get('x-costwise-cost-usd')!)).toBe(BigInt(b.usage!.prompt_tokens) * 1_500_000n + 11n * 3_000_000n);
    await client.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'hey' }] }, { headers: { 'x-costwise-tags': 'alpha' } });

    const unauth = await fetch(`${gw.url}/api/spend`);
    expect(unauth.status).toBe(401);
    expect((await fetch(`${gw.url}/ui`)).status).toBe(401);
    const auth = { authorization: 'Bearer admin-123' };
    const spend = (query: string) => fetchJson(`${gw.url}/api/spend?${query}`, SpendPage, { headers: auth });
    const byModel = await spend('group_by=model');
    expect(byModel.data.map((d) => d.model).sort()).toEqual(['custom-priced', 'fast', 'smart']);
    const fast = present(
      byModel.data.find((d) => d.model === 'fast'),
      'the spend of model fast',
    );
    expect(usdToPico(fast.cost_usd)).toBe(usdToPico(ra.headers.get('x-costwise-cost-usd')!));
    const byTag = await spend('group_by=tag');
    expect(byTag.data.find((d) => d.tag === 'alpha')?.requests).toBe(2);
    const byKey = await spend('group_by=key');
    expect(byKey.data).toHaveLength(1);
    expect(byKey.data[0]?.key).not.toContain('app-key');
    const byDay = await spend('group_by=day&from=2020-01-01');
    expect(byDay.data[0]?.requests).toBe(3);
    const future = await spend(`group_by=day&from=${Date.now() + 3_600_000}`);
    expect(future.data).toHaveLength(0);
    const bad = await fetch(`${gw.url}/api/spend?group_by=colour`, { headers: auth });
    expect(bad.status).toBe(400);

    gw.child.kill('SIGTERM');
    expect(await exited(gw.child)).toBe(0);
    emu.child.kill('SIGTERM');
    await exited(emu.child);
    expect(existsSync(db)).toBe(true);
    const Database = (await import('better-sqlite3')).default;
    const rows = new Database(db, { readonly: true }).prepare('select count(*) as n from ledger').get() as { n: number };
    expect(rows.n).toBe(3);
  });

  it('estimate prints every catalog model sorted by cost, as JSON', () => {
    const file = join(dir, 'prompt.txt');
    writeFileSync(file, 'Summarise the attached quarterly report in three bullet points.');
    const r = run(['estimate', file, '--output-tokens', '100', '--format', 'json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { models: Array<{ model: string; input_tokens: number; output_tokens: number; cost_usd: string }> };
    expect(out.models.length).toBeGreaterThanOrEqual(9);
    const costs = out.models.map((m) => usdToPico(m.cost_usd));
    expect([...costs].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))).toEqual(costs);
    const g = out.models.find((m) => m.model === 'gpt-4.1')!;
    expect(usdToPico(g.cost_usd)).toBe(expectedPico('gpt-4.1', { input: g.input_tokens, output: 100 }));
    const table = run(['estimate', file]);
    expect(table.status).toBe(0);
    expect(table.stdout).toContain('claude-opus-4-5');
  });
});
