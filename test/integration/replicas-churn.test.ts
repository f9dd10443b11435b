// Two `costwise serve` processes on one PostgreSQL ledger schema: prefix churn (a timestamp first
// in a long system prompt) produced through replica 1 is in replica 2's GET /api/promptcache, and
// once both have served the route, each answers the sum of both replicas' traffic, to the
// pico-dollar. A replica stopped cleanly leaves its rows behind: the other still counts them.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { usdToPico } from '../helpers/env.js';
import { fetchJson } from '../helpers/json.js';
import { exited, startBin } from '../helpers/process.js';
import { PG_URL, postgresUp, schemaName } from '../storage/backends.js';

const HAS_PG = await postgresUp();

const Churn = z.object({
  churn_scope: z.enum(['replica', 'all_replicas']),
  churn: z.array(
    z.object({
      route: z.string(),
      requests: z.number(),
      churned_requests: z.number(),
      tokens_lost: z.number(),
      cost_lost_usd: z.string(),
      first_difference_at_char: z.number(),
      example: z.string(),
    }),
  ),
});

const POLICY = Array.from(
  { length: 120 },
  (_, i) => `Rule ${i}: answer council residents politely, cite the bylaw section and never guess opening hours.`,
).join('\n');
const ROUTE = 'churny:gpt-4.1-mini';
const DIFFERS_AT = 'Current time: 2026-11-26T23:5'.length;

describe.runIf(HAS_PG)('prefix churn shared by two replicas through one PostgreSQL ledger', () => {
  const children: ChildProcess[] = [];
  const schema = schemaName();
  let emulator: RunningEmulator;
  let urls: string[] = [];

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    const dir = mkdtempSync(join(tmpdir(), 'costwise-churn-replicas-'));
    const config = join(dir, 'costwise.yaml');
    writeFileSync(
      config,
      [
        `storage: { ledger: { kind: postgres, url: ${JSON.stringify(PG_URL)}, schema: ${schema} }, dataDir: ${JSON.stringify(join(dir, 'data'))} }`,
        'promptCache: { churnReportMs: 200 }',
        `providers: [ { name: emu, kind: openai, baseUrl: ${JSON.stringify(emulator.url)}, apiKey: emulated } ]`,
        'models: [ { name: gpt-4.1-mini, provider: emu } ]',
      ].join('\n'),
    );
    urls = [];
    for (let i = 0; i < 2; i++) urls.push((await startBin(['serve', '--config', config, '--port', '0'], {}, children)).url);
  }, 60_000);

  afterAll(async () => {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map(exited));
    await emulator.close();
    const sql = postgres(PG_URL, { max: 1, onnotice: () => undefined });
    await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await sql.end({ timeout: 1 });
  });

  async function ask(url: string, i: number): Promise<void> {
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${url}/v1`, maxRetries: 0 });
    const stamp = `Current time: 2026-11-26T23:5${i}:0${i}Z. Request id ${1000 + i}.`;
    await client.chat.completions.create(
      {
        model: 'gpt-4.1-mini',
        messages: [
          { role: 'system', content: `${stamp}\n${POLICY}` },
          { role: 'user', content: 'Opening hours?' },
        ],
      },
      { headers: { 'x-costwise-tenant': 'churny' } },
    );
  }

  const churnOf = async (url: string) => {
    const body = await fetchJson(`${url}/api/promptcache`, Churn);
    expect(body.churn_scope).toBe('all_replicas');
    return body.churn.find((r) => r.route === ROUTE);
  };

  /** Polls `url` until the route shows `requests` (the other replica writes every 200 ms). */
  async function until(url: string, requests: number): Promise<z.output<typeof Churn>['churn'][number]> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const row = await churnOf(url);
      if (row?.requests === requests) return row;
      expect(Date.now(), `${url} shows ${JSON.stringify(row)}`).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it("replica 2 reports replica 1's churn, then both answer the sum of both replicas' traffic", async () => {
    const [one, two] = urls as [string, string];
    expect(await churnOf(two)).toBeUndefined();
    for (let i = 0; i < 4; i++) await ask(one, i);

    // Replica 1's report (4 requests, 3 churned) reaches replica 2 through PostgreSQL.
    const seen = await until(two, 4);
    expect(seen.churned_requests).toBe(3);
    expect(seen.tokens_lost % 3).toBe(0); // every churned prompt has the same length
    const perRequest = seen.tokens_lost / 3;
    expect(perRequest).toBeGreaterThan(1000);
    expect(seen.first_difference_at_char).toBe(DIFFERS_AT);
    expect(seen.example).toMatch(/^3:03Z\. Request id 1003/);
    // gpt-4.1-mini: $0.40 input − $0.10 cache read = $0.30 per million tokens lost
    expect(usdToPico(seen.cost_lost_usd)).toBe(BigInt(seen.tokens_lost) * 300_000n);

    // Two requests through replica 2: its first has no recent prompt to compare with, its second churns.
    for (const i of [4, 5]) await ask(two, i);
    const sumViaTwo = await until(two, 6);
    expect(sumViaTwo).toEqual({
      route: ROUTE,
      requests: 6,
      churned_requests: 4,
      tokens_lost: 4 * perRequest,
      cost_lost_usd: sumViaTwo.cost_lost_usd,
      first_difference_at_char: DIFFERS_AT,
      example: sumViaTwo.example,
    });
    expect(usdToPico(sumViaTwo.cost_lost_usd)).toBe(BigInt(4 * perRequest) * 300_000n);
    expect(sumViaTwo.example).toMatch(/^5:05Z\. Request id 1005/); // the latest churn: replica 2's
    expect(await until(one, 6)).toEqual(sumViaTwo);

    // Replica 1 stopped cleanly: its rows stay in the ledger, and replica 2 still counts them.
    children[0]!.kill('SIGTERM');
    expect(await exited(children[0]!)).toBe(0);
    expect(await churnOf(two)).toEqual(sumViaTwo);
  }, 30_000);
});
