// One PostgreSQL pool per replica: the ledger, the keys, the batches and the churn reports share
// it, so storage.ledger.maxConnections bounds what one gateway holds, whatever it is asked at once.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropSchema } from '../helpers/backend-env.js';
import { startTestEnv, type TestEnv } from '../helpers/env.js';
import { PG_URL, postgresUp, schemaName } from '../storage/backends.js';

const PG = await postgresUp();

describe.skipIf(!PG)('a gateway on PostgreSQL', () => {
  const schema = schemaName();
  // Every connection the gateway opens carries this name (a URL parameter overrides the client's).
  const app = `cwtest-pool-${randomBytes(4).toString('hex')}`;
  const admin = postgres(PG_URL, { max: 1, onnotice: () => undefined });
  let env: TestEnv;

  beforeAll(async () => {
    env = await startTestEnv({
      postgres: { url: `${PG_URL}?application_name=${app}`, schema, maxConnections: 2 },
      config: { promptCache: { churnReportMs: 100 } },
    });
  });
  afterAll(async () => {
    await env.close();
    await dropSchema(schema);
    await admin.end({ timeout: 1 });
  });

  const connections = async (): Promise<number> => {
    const [row] = await admin`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = ${app}`;
    return row?.['n'] as number;
  };

  it('holds at most storage.ledger.maxConnections, with every store busy at once', async () => {
    const url = env.gateway.url;
    const calls: Array<Promise<unknown>> = [];
    for (let i = 0; i < 12; i++) {
      calls.push(env.openai.chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: `pool ${i}` }], max_completion_tokens: 8 }));
      for (const path of ['/api/spend?group_by=key', '/api/timeseries?bucket=hour', '/api/keys', '/api/teams', '/v1/batches', '/api/promptcache'])
        calls.push(fetch(`${url}${path}`).then((r) => r.text()));
    }
    await Promise.all(calls);
    await new Promise((r) => setTimeout(r, 200)); // a churn report or two written meanwhile
    const open = await connections();
    expect(open).toBeGreaterThan(0);
    expect(open).toBeLessThanOrEqual(2);
  });
});
