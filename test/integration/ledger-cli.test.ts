// `costwise migrate`, `costwise ledger export|prune` and `storage.retentionDays`, run as the real
// CLI against a real `costwise serve` on each ledger backend (SQLite file, PostgreSQL schema), with
// traffic from the official openai SDK. The export reconciles with /api/spend to the pico-dollar;
// retention deletes old rows at start and keeps the rollups, so spend does not move. A 100,000-row
// export runs in a heap too small to hold its rows. (Needs dist/: `npx tsc -p tsconfig.json`.)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { parseCsv } from '../../src/routing/learned/csv.js';
import { connectPostgresStore } from '../../src/storage/index.js';
import { openSqliteStore } from '../../src/storage/sqlite.js';
import type { DurableStore } from '../../src/storage/types.js';
import { SpendPage } from '../helpers/api-json.js';
import { usdToPico } from '../helpers/env.js';
import { fetchJson } from '../helpers/json.js';
import { BIN, startBin } from '../helpers/process.js';
import { PG_URL, PgLedger, postgresUp, schemaName, seedPostgres, type Backend } from '../storage/backends.js';
import { row } from '../storage/support.js';

const PG = await postgresUp();
const BACKENDS: readonly Backend[] = ['sqlite', ...(PG ? (['postgres'] as const) : [])];
const DAY = 86_400_000;
const HOUR = 3_600_000;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Peak resident memory (VmHWM, KiB) as last seen while it ran. */
  peakKiB: number;
}

/** `costwise <args>` to completion; stdout collected (or only counted, to keep big exports out of memory). */
function cli(args: string[], opts: { keepStdout?: boolean; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, COSTWISE_CONFIG: '', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peakKiB = 0;
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakKiB = Math.max(peakKiB, Number(m[1]));
      } catch {
        // gone already
      }
    }, 20);
    child.stdout.on('data', (d: Buffer) => {
      if (opts.keepStdout !== false) stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (status) => {
      clearInterval(poll);
      resolve({ status, stdout, stderr, peakKiB });
    });
  });
}

async function ok(args: string[]): Promise<string> {
  const r = await cli(args);
  expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

/** Sums a CSV export's cost column exactly; also its rows as records. */
function csvRecords(text: string): { rows: Record<string, string>[]; costPico: bigint } {
  const [header, ...lines] = parseCsv(text);
  const rows = lines.map((l) => Object.fromEntries(header!.map((h, i) => [h, l[i]!])));
  return { rows, costPico: rows.reduce((s, r) => s + usdToPico(r['cost_usd']!), 0n) };
}

const KeyCreated = z.object({ id: z.string(), key: z.string() });

describe.each(BACKENDS)('the ledger commands on a %s ledger', (backend) => {
  const children: ChildProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'costwise-ledger-cli-'));
  const config = join(dir, 'costwise.yaml');
  const schema = schemaName();
  const pg = backend === 'postgres' ? new PgLedger() : null;
  let emulator: RunningEmulator;
  let url = '';
  const now = Date.now();
  const cutoff = Math.floor((now - 30 * DAY) / HOUR) * HOUR;
  /** The pruned rows' cost: in the rollups still, so in /api/spend, but no longer in an export. */
  const OLD_COST = 3n * 1_234_567n;

  async function openLedger(): Promise<DurableStore> {
    return backend === 'sqlite' ? openSqliteStore({ path: join(dir, 'ledger.db') }) : connectPostgresStore({ url: PG_URL, schema });
  }

  async function spend(query: string): Promise<z.output<typeof SpendPage>> {
    return fetchJson(`${url}/api/spend?${query}`, SpendPage);
  }

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    const ledger =
      backend === 'sqlite' ? `{ path: ${JSON.stringify(join(dir, 'ledger.db'))} }` : `{ kind: postgres, url: ${JSON.stringify(PG_URL)}, schema: ${schema} }`;
    writeFileSync(
      config,
      [
        'server: { auth: keys }',
        `storage: { ledger: ${ledger}, dataDir: ${JSON.stringify(join(dir, 'data'))}, retentionDays: 30 }`,
        `providers: [ { name: emu, kind: openai, baseUrl: ${JSON.stringify(emulator.url)}, apiKey: emulated } ]`,
        'models: [ { name: gpt-4.1-mini, provider: emu }, { name: gpt-4.1-nano, provider: emu } ]',
      ].join('\n'),
    );
    // Before the gateway starts: three rows older than 30 days (pruned at start), one of 10 days (kept).
    const seed = await openLedger();
    for (let i = 0; i < 3; i++)
      seed.appendLedger(row({ requestId: `old${i}`, ts: now - 40 * DAY + i, costPico: 1_234_567, keyId: 'old-key', tags: ['proj:a'] }));
    seed.appendLedger(row({ requestId: 'recent', ts: now - 10 * DAY, costPico: 7_654_321, keyId: 'old-key', servedModel: 'gpt-4.1-nano', tags: ['proj:a'] }));
    await seed.close();
    url = (await startBin(['serve', '--config', config, '--port', '0'], {}, children)).url;

    const create = (path: string, body: object) =>
      fetchJson(`${url}${path}`, z.looseObject({ id: z.string() }), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    await create('/api/teams', { id: 'ml', name: 'ML' });
    await create('/api/teams', { id: 'ml-vision', name: 'Vision', parent: 'ml' });
    const keys = [
      KeyCreated.parse(await create('/api/keys', { name: 'vision', team: 'ml-vision' })),
      KeyCreated.parse(await create('/api/keys', { name: 'loner' })),
    ];
    // 16 requests: both keys, both models, streamed and not, two tag sets (one with a comma-free tag list).
    for (let i = 0; i < 16; i++) {
      const client = new OpenAI({ apiKey: keys[i % 2]!.key, baseURL: `${url}/v1`, maxRetries: 0 });
      const body = {
        model: i % 4 < 2 ? 'gpt-4.1-mini' : 'gpt-4.1-nano',
        messages: [{ role: 'user' as const, content: `note ${i}, "quoted", with, commas` }],
        max_tokens: 50 + i,
      };
      const headers = { 'x-costwise-tags': i % 3 === 0 ? 'proj:a,env:prod' : 'proj:b' };
      if (i % 2 === 0) {
        const stream = await client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } }, { headers });
        for await (const chunk of stream) expect(chunk.object).toBe('chat.completion.chunk');
      } else await client.chat.completions.create(body, { headers });
    }
  }, 60_000);

  afterAll(async () => {
    for (const c of children) c.kill('SIGTERM');
    await emulator.close();
    if (pg !== null) {
      await pg.admin.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pg.dispose();
    }
  });

  it('retention pruned the rows older than 30 days at start; the rollups keep their cost in /api/spend', async () => {
    const all = csvRecords(await ok(['ledger', 'export', '--config', config]));
    expect(all.rows.map((r) => r['request_id'])).not.toContain('old0');
    expect(all.rows[0]!['request_id']).toBe('recent');
    expect(all.rows[0]!['prompt_tokens_removed']).toBe('3'); // the seeded row's, through the ledger
    expect(all.rows.slice(1).every((r) => r['prompt_tokens_removed'] === '0')).toBe(true); // no prompt optimisation configured
    expect(all.rows).toHaveLength(17);
    // Everything /api/spend counts = what is exported + the pruned rows, to the pico-dollar.
    expect(usdToPico((await spend('group_by=model')).total.cost_usd)).toBe(all.costPico + OLD_COST);
    expect(usdToPico((await spend(`group_by=model&from=${cutoff}`)).total.cost_usd)).toBe(all.costPico);
  });

  it('a CSV file and JSON Lines on stdout both reconcile with /api/spend, row for row', async () => {
    const file = join(dir, 'export.csv');
    const r = await cli(['ledger', 'export', '--config', config, '--from', String(cutoff), '--out', file]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const csv = csvRecords(readFileSync(file, 'utf8'));
    const total = await spend(`group_by=model&from=${cutoff}`);
    expect(csv.costPico).toBe(usdToPico(total.total.cost_usd));
    expect(csv.rows).toHaveLength(total.data.reduce((n, b) => n + b.requests, 0));
    expect(r.stderr).toContain(`exported 17 ledger rows, cost ${total.total.cost_usd} USD to ${file}`);
    expect(csv.rows.every((row, i) => i === 0 || row['time']! >= csv.rows[i - 1]!['time']!)).toBe(true);

    const lines = (await ok(['ledger', 'export', '--config', config, '--format', 'jsonl', '--from', new Date(cutoff).toISOString()])).trimEnd().split('\n');
    const records = lines.map((l) => z.object({ request_id: z.string(), cost_usd: z.string(), tags: z.array(z.string()) }).parse(JSON.parse(l)));
    expect(records.map((x) => x.request_id)).toEqual(csv.rows.map((x) => x['request_id']));
    expect(records.reduce((s, x) => s + usdToPico(x.cost_usd), 0n)).toBe(csv.costPico);
    expect(records.filter((x) => x.tags.includes('env:prod'))).toHaveLength(6);
  });

  it('filters by model, tag, key and team (sub-teams included) match the spend of the same subject', async () => {
    const from = `--from=${cutoff}`;
    const model = csvRecords(await ok(['ledger', 'export', '--config', config, from, '--model', 'gpt-4.1-nano']));
    const byModel = (await spend(`group_by=model&from=${cutoff}`)).data.find((b) => b.model === 'gpt-4.1-nano')!;
    expect(model.costPico).toBe(usdToPico(byModel.cost_usd));
    expect(model.rows.every((x) => x['served_model'] === 'gpt-4.1-nano')).toBe(true);

    const tag = csvRecords(await ok(['ledger', 'export', '--config', config, from, '--tag', 'proj:a']));
    const byTag = (await spend(`group_by=tag&from=${cutoff}`)).data.find((b) => b.tag === 'proj:a')!;
    expect(tag.costPico).toBe(usdToPico(byTag.cost_usd));
    expect(tag.rows.filter((x) => x['tags'] === 'proj:a,env:prod')).toHaveLength(6);

    const byKey = (await spend(`group_by=key&from=${cutoff}`)).data;
    const team = csvRecords(await ok(['ledger', 'export', '--config', config, from, '--team', 'ml']));
    expect(new Set(team.rows.map((x) => x['key_id'])).size).toBe(1);
    const teamKey = team.rows[0]!['key_id']!;
    expect(team.costPico).toBe(usdToPico(byKey.find((b) => b.key === teamKey)!.cost_usd));
    const other = byKey.find((b) => b.key !== teamKey && b.key !== 'old-key')!;
    const key = csvRecords(await ok(['ledger', 'export', '--config', config, from, '--key', other.key!]));
    expect(key.costPico).toBe(usdToPico(other.cost_usd));
    expect(key.rows).toHaveLength(8);

    const none = await cli(['ledger', 'export', '--config', config, '--team', 'nobody']);
    expect(none.status).toBe(1);
    expect(none.stderr).toBe('costwise: no team nobody\n');
  });

  it('migrate on the live ledger: nothing to apply, exit 0 (it runs under the lock the gateway took at start)', async () => {
    const out = await ok(['migrate', '--config', config]);
    expect(out).toMatch(/^ {2}ledger +version \d+, up to date$/m);
    expect(out).toMatch(/^ {2}keys +version \d+, up to date$/m);
  });

  it('ledger prune --before deletes the rows, spend stays where it was; --dry-run only counts', async () => {
    const before = usdToPico((await spend('group_by=key')).total.cost_usd);
    const end = now + HOUR; // every row
    expect(await ok(['ledger', 'prune', '--config', config, '--before', String(end), '--dry-run'])).toMatch(/^17 ledger rows before .* would be deleted/);
    expect(await ok(['ledger', 'prune', '--config', config, '--before', new Date(end).toISOString()])).toMatch(
      /^deleted 17 ledger rows before .*hourly rollups kept/,
    );
    expect(usdToPico((await spend('group_by=key')).total.cost_usd)).toBe(before);
    expect(await ok(['ledger', 'export', '--config', config])).toBe(
      'time,request_id,parent_id,tenant,key_id,tags,ingress,endpoint,requested_model,served_model,provider,input_tokens,cache_read_tokens,cache_write_5m_tokens,cache_write_1h_tokens,output_tokens,reasoning_tokens,cost_usd,baseline_usd,prompt_cache_saving_usd,prompt_tokens_removed,prompt_hash,max_tokens,stop_reason,latency_ms,status,stream,error_kind,route,technique,cache,attempts\r\n',
    );
  });
});

function configFile(ledger: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'costwise-migrate-'));
  const file = join(dir, 'costwise.yaml');
  writeFileSync(
    file,
    [
      `storage: { ledger: ${ledger}, dataDir: ${JSON.stringify(join(dir, 'data'))} }`,
      'providers: [ { name: emu, kind: openai, baseUrl: "http://127.0.0.1:9", apiKey: x } ]',
      'models: [ { name: gpt-4.1-mini, provider: emu } ]',
    ].join('\n'),
  );
  return file;
}

describe('costwise migrate', () => {
  it('SQLite: applies every migration once (ledger, keys, batch database), then finds nothing to do', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'costwise-migrate-db-'));
    const config = configFile(`{ path: ${JSON.stringify(join(dir, 'sub', 'costwise.db'))} }`);
    const first = await ok(['migrate', '--config', config]);
    expect(first).toMatch(/^ {2}ledger +version 0 → [1-9]\d*, \d+ migrations? applied$/m);
    expect(first).toMatch(/^ {2}keys +version 0 → [1-9]/m);
    expect(first).toMatch(/^ {2}batches +version 0 → [1-9].*costwise\.batches\.db\)$/m);
    expect(first).toMatch(/^ {2}responses +version 0 → 1, 1 migration applied \(.*costwise\.responses\.db\)$/m);
    const second = await ok(['migrate', '--config', config]);
    expect(second.match(/up to date/g)).toHaveLength(4);
  });

  it.runIf(PG)(
    'PostgreSQL: creates the schema, ledger, key, batch and churn report tables under the advisory locks; a second run applies nothing',
    async () => {
      const schema = schemaName();
      const config = configFile(`{ kind: postgres, url: ${JSON.stringify(PG_URL)}, schema: ${schema} }`);
      const p = new PgLedger();
      try {
        const first = await ok(['migrate', '--config', config]);
        expect(first).toMatch(/^costwise migrate: PostgreSQL [^ ]+:\d+\/\w+ \(schema cw_test_\w+\)$/m);
        expect(first).toMatch(/^ {2}ledger +version 0 → [1-9]\d*, \d+ migrations? applied$/m);
        expect(first).toMatch(/^ {2}keys +version 0 → 1, 1 migration applied$/m);
        expect(first).toMatch(/^ {2}batches +version 0 → [1-9]\d*, \d+ migrations? applied$/m);
        expect(first).toMatch(/^ {2}reports +version 0 → 1, 1 migration applied$/m);
        expect(first).toMatch(/^ {2}responses +version 0 → 1, 1 migration applied$/m);
        expect(await ok(['migrate', '--config', config])).toMatch(
          /ledger +version \d+, up to date\n {2}keys +version 1, up to date\n {2}batches +version \d+, up to date\n {2}reports +version 1, up to date\n {2}responses +version 1, up to date/,
        );
        const [batches] = await p.admin.unsafe<{ present: boolean }[]>(`SELECT to_regclass('"${schema}".batches') IS NOT NULL AS present`);
        expect(batches?.present).toBe(true);
        // Each migration recorded once, however many runs.
        const [row] = await p.admin.unsafe<{ n: string; v: number }[]>(`SELECT count(*) AS n, max(version) AS v FROM "${schema}".schema_version`);
        expect(Number(row?.n)).toBe(row?.v);
      } finally {
        await p.admin.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await p.dispose();
      }
    },
  );

  it('an unreachable PostgreSQL: exit 1, one line naming host and database, never the password', async () => {
    const config = configFile(`{ kind: postgres, url: "postgres://ops:s3cr3t-pw@127.0.0.1:1/billing", schema: costwise }`);
    for (const args of [['migrate'], ['ledger', 'export'], ['ledger', 'prune', '--before', '2026-01-01']]) {
      const r = await cli([...args, '--config', config]);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/^costwise: cannot reach PostgreSQL 127\.0\.0\.1:1\/billing \(schema costwise\): .*ECONNREFUSED.*\n$/);
      expect(r.stdout + r.stderr).not.toContain('s3cr3t-pw');
    }
  });
});

describe.each(BACKENDS)('a 100,000-row export from %s streams', (backend) => {
  let config = '';
  let cleanup: () => Promise<void> = () => Promise.resolve();

  beforeAll(async () => {
    if (backend === 'sqlite') {
      const dir = mkdtempSync(join(tmpdir(), 'costwise-export-big-'));
      const path = join(dir, 'ledger.db');
      const store = openSqliteStore({ path, maxBatch: 10_000 });
      for (let i = 0; i < 100_000; i++) store.appendLedger(row({ requestId: `r${i}`, ts: 1_700_000_000_000 + i, costPico: 5, tags: ['a', 'b'] }));
      await store.close();
      config = configFile(`{ path: ${JSON.stringify(path)} }`);
    } else {
      const p = new PgLedger();
      await seedPostgres(p, 100_000, 1_700_000_000_000);
      config = configFile(`{ kind: postgres, url: ${JSON.stringify(PG_URL)}, schema: ${p.schema} }`);
      cleanup = () => p.dispose();
    }
  }, 60_000);
  afterAll(() => cleanup());

  it('a reader that stops early (| head) ends the export quietly, exit 0', async () => {
    const child = spawn(process.execPath, [BIN, 'ledger', 'export', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const status = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(status, stderr).toBe(0);
    expect(stderr).toBe('');
  });

  // Holding 100,000 rows and their CSV lines takes ~80 MiB of heap (measured): with a 40 MiB heap
  // an export that kept them would die of it. Peak RSS is logged; it is mostly V8's heap sizing.
  it('runs to the end in a 40 MiB heap, which cannot hold the rows', async () => {
    const empty = await cli(['ledger', 'export', '--config', config, '--from', '2099-01-01'], { keepStdout: false });
    const full = await cli(['ledger', 'export', '--config', config], { keepStdout: false, env: { NODE_OPTIONS: '--max-old-space-size=40' } });
    expect(full.status, full.stderr).toBe(0);
    expect(full.stderr).toContain('exported 100000 ledger rows, cost 0.0000005 USD');
    console.log(
      `${backend}: peak RSS ${(empty.peakKiB / 1024).toFixed(1)} MiB for an empty export, ${(full.peakKiB / 1024).toFixed(1)} MiB for 100,000 rows in a 40 MiB heap`,
    );
  }, 60_000);
});
