// A killed replica's answered requests become spend, not lapsed reservations: a process restarted
// on the spool a killed one left ships its rows to the ledger and charges each request to the
// budgets in Redis, once — a request the killed process had already settled is not counted again,
// nor is a batch item (billed by its batch), nor anything a second restart finds again. On a
// SQLite and on a PostgreSQL ledger.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toTuple } from '../../src/storage/ledger-worker-protocol.js';
import type { LedgerRow } from '../../src/storage/types.js';
import { BACKENDS, dropSchema } from '../helpers/backend-env.js';
import { startTestEnv, usdToPico, type TestEnv } from '../helpers/env.js';
import { fetchJson } from '../helpers/json.js';
import { dropPrefix, redisAvailable, REDIS_URL, uniquePrefix } from '../governance/helpers.js';
import { PG_URL, schemaName } from '../storage/backends.js';

const HAS_REDIS = await redisAvailable('spooled requests charged to budgets');

const KeyShown = z.object({ id: z.string(), budgets: z.array(z.object({ spent_usd: z.string(), reserved_usd: z.string() })) });
const Detail = z.object({ requestId: z.string(), sub_calls: z.array(z.object({ requestId: z.string() })) });

/** A pid no process has now: a child that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid;
}

function row(requestId: string, keyId: string, costPico: number, extra: Partial<LedgerRow> = {}): LedgerRow {
  return {
    requestId,
    ts: Date.now(),
    tenant: 'default',
    keyId,
    tags: [],
    ingress: 'openai',
    endpoint: '/v1/chat/completions',
    requestedModel: 'gpt-4.1-mini',
    servedModel: 'gpt-4.1-mini',
    provider: 'openai',
    inputTokens: 10,
    cacheReadTokens: 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    outputTokens: 5,
    reasoningTokens: 0,
    costPico,
    baselinePico: costPico,
    promptCachePico: 0,
    promptTokensRemoved: 0,
    promptHash: null,
    maxTokens: null,
    stopReason: null,
    latencyMs: 5,
    status: 200,
    stream: false,
    errorKind: null,
    route: 'requested',
    technique: null,
    parentId: null,
    attempts: null,
    cache: null,
    ...extra,
  };
}

/** The spool file a process killed with SIGKILL leaves: the v3 header, then one row per line. */
function leaveSpool(spoolDir: string, rows: readonly LedgerRow[]): void {
  mkdirSync(spoolDir, { recursive: true });
  const lines = ['costwise-spool v3', ...rows.map((r) => JSON.stringify(toTuple(r)))];
  writeFileSync(join(spoolDir, `${deadPid()}-${Date.now()}.spool`), `${lines.join('\n')}\n`);
}

describe.skipIf(!HAS_REDIS).each(BACKENDS)('on a %s ledger', (backend) => {
  const dir = mkdtempSync(join(tmpdir(), 'costwise-spool-budgets-'));
  const prefix = uniquePrefix('spool-budgets');
  const schema = schemaName();
  const spoolDir = backend === 'sqlite' ? join(dir, 'spool') : join(dir, 'data', 'spool');
  const start = (): Promise<TestEnv> =>
    startTestEnv({
      dir,
      config: { storage: { state: { kind: 'redis', url: REDIS_URL, prefix } } },
      ...(backend === 'postgres' ? { postgres: { url: PG_URL, schema } } : {}),
    });
  let env: TestEnv;
  let keyId = '';
  let secret = '';
  let settledId = '';
  let settledPico = 0n;

  beforeAll(async () => {
    env = await start();
    const created = await fetchJson(`${env.gateway.url}/api/keys`, z.object({ id: z.string(), key: z.string() }), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'spooled', budget_usd: 10, budget_period: 'month' }),
    });
    keyId = created.id;
    secret = created.key;
    // One request answered and settled normally: its reservation became spend.
    const client = new OpenAI({ apiKey: secret, baseURL: `${env.gateway.url}/v1`, maxRetries: 0 });
    const { response } = await client.chat.completions
      .create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hello' }], max_completion_tokens: 20 })
      .withResponse();
    settledId = response.headers.get('x-costwise-request-id')!;
    settledPico = usdToPico(response.headers.get('x-costwise-cost-usd')!);
  });
  afterAll(async () => {
    await env.close();
    await dropPrefix(prefix);
    if (backend === 'postgres') await dropSchema(schema);
  });

  const spent = async (): Promise<bigint> => {
    const shown = await fetchJson(`${env.gateway.url}/api/keys/${keyId}`, KeyShown);
    return usdToPico(shown.budgets[0]!.spent_usd);
  };

  it('charges what the killed process answered but never settled, once', async () => {
    expect(await spent()).toBe(settledPico);
    await env.close();
    // What a kill leaves: a request answered and spooled but never settled (with a sub-call billed
    // on its behalf), the request settled just before the kill (its row not yet confirmed), and a
    // batch item's row.
    const lost = 'cw_spooledrequest0001';
    leaveSpool(spoolDir, [
      row(`${lost}.judge`, keyId, 1_500_000, { parentId: lost, route: 'judge' }),
      row(lost, keyId, 7_000_001),
      row(settledId, keyId, Number(settledPico)),
      row('batch_spooled:item-1', keyId, 9_000_000, { technique: 'batch' }),
    ]);

    env = await start();
    expect(await spent()).toBe(settledPico + 8_500_001n);
    const shipped = await fetchJson(`${env.gateway.url}/api/requests/${lost}`, Detail);
    expect(shipped.requestId).toBe(lost);
    expect(shipped.sub_calls.map((c) => c.requestId)).toEqual([`${lost}.judge`]);

    // The same leftovers found again (a second restart, another replica on the directory): nothing more.
    await env.close();
    leaveSpool(spoolDir, [row(lost, keyId, 7_000_001), row(`${lost}.judge`, keyId, 1_500_000, { parentId: lost })]);
    env = await start();
    expect(await spent()).toBe(settledPico + 8_500_001n);
  });
});
