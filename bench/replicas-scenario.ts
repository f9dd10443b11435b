// Three `costwise serve` processes on one PostgreSQL ledger (one schema) and one Redis (one
// prefix), each with its own dataDir; requests spread round-robin over them by the official SDKs,
// JSON and streams, OpenAI and Anthropic. Once `killAfter` requests are answered, replica 1 is
// killed with SIGKILL and started again on the same port and dataDir (its spool) while the load
// goes on. Then the ledger is read back through the admin API and held against what the clients
// were told. Shared by test/integration/replicas-kill.test.ts and bench/replicas.ts.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { z } from 'zod';
import { formatUsd } from '../src/cost/money.js';
import { usdToPico } from '../src/governance/pico.js';
import { BIN, startEmulatorProcess, startProcess, stopAll, type BenchProcess } from './process.js';
import { KINDS, ReplicaClient, type Sent } from './replicas-client.js';

export interface ReplicaScenarioOptions {
  requests: number;
  concurrency: number;
  /** Answered requests before replica 1 is killed. */
  killAfter: number;
  /** How long replica 1 stays down before it is started again (ms). */
  downMs: number;
  pgUrl: string;
  /** A schema of its own (created by the first replica; the caller drops it). */
  schema: string;
  redisUrl: string;
  redisPrefix: string;
  /** false turns the spool off, to see rows go missing without it (default true). */
  spool?: boolean;
  log?: (line: string) => void;
}

export interface ReplicaScenarioResult {
  sent: number;
  answered: number;
  /** Requests without a complete answer, by why: `refused`, `cut`, `status 503`, … */
  failed: Record<string, number>;
  answeredByReplica: number[];
  /** Answers of replica 1 after its restart. */
  answeredAfterRestart: number;
  seconds: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** From the SIGKILL until the new process listened again. */
  downtimeMs: number;
  /** Rows the restarted replica shipped from the killed process's spool (most already in the ledger). */
  shippedFromSpool: number;
  /** Rows of the killed process that were not in PostgreSQL when it died: only its spool had them. */
  onlyInSpool: number;
  ledgerRows: number;
  /** Answered request ids with no ledger row. */
  missing: number;
  /** Request ids with more than one ledger row. */
  duplicated: number;
  /** Answered requests whose row's cost differs from what the client was told. */
  costMismatches: number;
  /** Rows of requests that got no complete answer (a kill between the row and the answer's end). */
  unanswered: { rows: number; fromKilledProcess: number; costPico: bigint; byStatus: Record<string, number> };
  /** `/api/spend` total on each replica. */
  spendPico: bigint[];
  /** Σ x-costwise-cost-usd (header or trailer) over the complete answers. */
  answeredPico: bigint;
  /** Σ of the ledger rows' costs. */
  rowsPico: bigint;
  /** The key's budget in Redis afterwards: spent (settled) and still reserved. */
  budget: { spentPico: bigint; reservedPico: bigint };
}

const KeyCreated = z.object({ id: z.string(), key: z.string() });
const KeyShown = z.object({ budgets: z.array(z.object({ spent_usd: z.string(), reserved_usd: z.string() })) });
const Spend = z.object({ total: z.object({ cost_usd: z.string() }) });
const Rows = z.object({ data: z.array(z.object({ requestId: z.string(), cost_usd: z.string(), status: z.number(), endpoint: z.string() })) });

async function getJson<T>(url: string, schema: z.ZodType<T>, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return schema.parse(await res.json());
}

/** The process tag inside a request id (`cw_<time><10 hex of the process><4 of counter>`, src/server/ids.ts). */
function processTag(requestId: string): string {
  return requestId.slice(-14, -4);
}

export async function runReplicaScenario(opts: ReplicaScenarioOptions): Promise<ReplicaScenarioResult> {
  const log = opts.log ?? (() => undefined);
  const children: ChildProcess[] = [];
  const clients: ReplicaClient[] = [];
  try {
    const emulator = await startEmulatorProcess(children);
    const dir = mkdtempSync(join(tmpdir(), 'costwise-replicas-kill-'));
    const configs = [0, 1, 2].map((i) => {
      const path = join(dir, `replica-${i}.yaml`);
      const ledger = `{ kind: postgres, url: ${JSON.stringify(opts.pgUrl)}, schema: ${opts.schema} }`;
      const state = `{ kind: redis, url: ${JSON.stringify(opts.redisUrl)}, prefix: ${JSON.stringify(opts.redisPrefix)} }`;
      writeFileSync(
        path,
        [
          'server: { auth: keys }',
          `storage: { ledger: ${ledger}, state: ${state}, dataDir: ${JSON.stringify(join(dir, `data-${i}`))}, spool: ${opts.spool ?? true} }`,
          'providers:',
          `  - { name: openai, kind: openai, baseUrl: ${JSON.stringify(emulator.url)}, apiKey: emulated }`,
          `  - { name: anthropic, kind: anthropic, baseUrl: ${JSON.stringify(emulator.url)}, apiKey: emulated }`,
          'models: [ { name: gpt-4.1-mini, provider: openai }, { name: claude-haiku-4-5, provider: anthropic } ]',
        ].join('\n'),
      );
      return path;
    });
    const replicas: BenchProcess[] = [];
    for (const config of configs) replicas.push(await startProcess([BIN, 'serve', '--config', config, '--port', '0'], children));
    log(`replicas ${replicas.map((r) => r.url).join(' ')} · emulator ${emulator.url}`);

    // A virtual key with a budget, so every request also reserves and settles in Redis.
    const key = await getJson(`${replicas[0]!.url}/api/keys`, KeyCreated, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'replicas-kill', budget_usd: '1000', budget_period: 'total' }),
    });
    for (const r of replicas) await acceptsKey(r.url, key.key);
    for (const r of replicas) clients.push(new ReplicaClient(r.url, key.key));

    const outcomes: Array<Sent & { replica: number }> = [];
    let answered = 0;
    const restart: { done?: Promise<{ downtimeMs: number; shipped: number; rowsAtKill: number }> } = {};
    let killedTag = '';
    const killedRows = async (): Promise<number> => {
      const sql = postgres(opts.pgUrl, { max: 1, onnotice: () => undefined });
      try {
        const [row] = await sql.unsafe<{ n: string }[]>(`SELECT count(*) AS n FROM "${opts.schema}".ledger WHERE request_id LIKE $1`, [`%${killedTag}____`]);
        return Number(row?.n ?? 0);
      } finally {
        await sql.end({ timeout: 1 });
      }
    };
    const killAndRestart = async (): Promise<{ downtimeMs: number; shipped: number; rowsAtKill: number }> => {
      const victim = replicas[1]!;
      const before = outcomes.find((o) => o.ok && o.replica === 1);
      if (before?.ok !== true) throw new Error('replica 1 answered nothing before the kill');
      killedTag = processTag(before.requestId);
      const port = new URL(victim.url).port;
      log(`SIGKILL replica 1 (${victim.url}) after ${answered} answers`);
      const at = performance.now();
      victim.child.kill('SIGKILL');
      await victim.exited;
      const rowsAtKill = await killedRows();
      await new Promise((r) => setTimeout(r, opts.downMs));
      const again = await startProcess([BIN, 'serve', '--config', configs[1]!, '--port', port], children);
      replicas[1] = again;
      const downtimeMs = performance.now() - at;
      const shipped = Number(/shipped (\d+) ledger row/.exec(again.output())?.[1] ?? 0);
      log(`replica 1 back on ${again.url} after ${downtimeMs.toFixed(0)} ms; ${shipped} rows shipped from its spool`);
      return { downtimeMs, shipped, rowsAtKill };
    };

    const started = performance.now();
    let next = 0;
    // The last requests wait until replica 1 is back, so that its restarted process answers some
    // however long its start takes on a busy machine.
    const tailFrom = opts.requests - Math.max(opts.concurrency * 4, Math.round(opts.requests / 10));
    const worker = async (): Promise<void> => {
      for (let i = next++; i < opts.requests; i = next++) {
        if (i >= tailFrom && restart.done !== undefined) await restart.done;
        const replica = i % 3;
        const sent = await clients[replica]!.send(KINDS[i % KINDS.length]!, i);
        outcomes.push({ ...sent, replica });
        if (sent.ok) answered += 1;
        if (restart.done === undefined && answered >= opts.killAfter) restart.done = killAndRestart();
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
    const seconds = (performance.now() - started) / 1000;
    if (restart.done === undefined) throw new Error('the load ended before the kill');
    const { downtimeMs, shipped, rowsAtKill } = await restart.done;

    // Each replica writes what it has queued before it answers /api/spend (read-your-writes); the
    // second round is what every replica answers once all three have written.
    for (const r of replicas) await getJson(`${r.url}/api/spend`, Spend);
    const spendPico = await Promise.all(replicas.map(async (r) => usdToPico((await getJson(`${r.url}/api/spend`, Spend)).total.cost_usd)));

    const shown = (await getJson(`${replicas[0]!.url}/api/keys/${key.id}`, KeyShown)).budgets[0];
    if (shown === undefined) throw new Error('the key shows no budget');
    const budget = { spentPico: usdToPico(shown.spent_usd), reservedPico: usdToPico(shown.reserved_usd) };

    const rows: z.output<typeof Rows>['data'] = [];
    for (let offset = 0; ; offset += 1000) {
      const page = (await getJson(`${replicas[0]!.url}/api/requests?limit=1000&offset=${offset}`, Rows)).data;
      rows.push(...page);
      if (page.length < 1000) break;
    }
    const byId = new Map<string, { count: number; costPico: bigint }>();
    for (const row of rows) {
      const seen = byId.get(row.requestId);
      byId.set(row.requestId, { count: (seen?.count ?? 0) + 1, costPico: usdToPico(row.cost_usd) });
    }

    const ok = outcomes.filter((o): o is Extract<Sent, { ok: true }> & { replica: number } => o.ok);
    const answeredIds = new Set(ok.map((o) => o.requestId));
    const unansweredRows = rows.filter((r) => !answeredIds.has(r.requestId));
    const ms = ok.map((o) => o.ms).sort((a, b) => a - b);
    const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))] ?? NaN;
    const sum = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n);

    return {
      sent: outcomes.length,
      answered: ok.length,
      failed: countBy(outcomes.flatMap((o) => (o.ok ? [] : [`${o.why} (replica ${o.replica})`]))),
      answeredByReplica: [0, 1, 2].map((r) => ok.filter((o) => o.replica === r).length),
      answeredAfterRestart: ok.filter((o) => o.replica === 1 && processTag(o.requestId) !== killedTag).length,
      seconds,
      latencyP50Ms: q(0.5),
      latencyP99Ms: q(0.99),
      downtimeMs,
      shippedFromSpool: shipped,
      onlyInSpool: (await killedRows()) - rowsAtKill,
      ledgerRows: rows.length,
      missing: ok.filter((o) => !byId.has(o.requestId)).length,
      duplicated: [...byId.values()].filter((v) => v.count > 1).length,
      costMismatches: ok.filter((o) => byId.has(o.requestId) && byId.get(o.requestId)!.costPico !== o.costPico).length,
      unanswered: {
        rows: unansweredRows.length,
        fromKilledProcess: unansweredRows.filter((r) => processTag(r.requestId) === killedTag).length,
        costPico: sum(unansweredRows.map((r) => usdToPico(r.cost_usd))),
        byStatus: countBy(unansweredRows.map((r) => `${r.status} ${r.endpoint}${processTag(r.requestId) === killedTag ? ' (killed process)' : ''}`)),
      },
      spendPico,
      answeredPico: sum(ok.map((o) => o.costPico)),
      rowsPico: sum(rows.map((r) => usdToPico(r.cost_usd))),
      budget,
    };
  } finally {
    for (const c of clients) await c.close();
    await stopAll(children);
  }
}

/** Whether the result keeps the promise: every answered request billed once, as its client was told. */
export function verdict(r: ReplicaScenarioResult): string[] {
  const wrong: string[] = [];
  if (r.missing > 0) wrong.push(`${r.missing} answered requests have no ledger row`);
  if (r.duplicated > 0) wrong.push(`${r.duplicated} request ids have more than one row`);
  if (r.costMismatches > 0) wrong.push(`${r.costMismatches} rows differ from the cost their client was told`);
  if (new Set(r.spendPico).size !== 1) wrong.push(`the replicas' spend totals differ: ${r.spendPico.map(formatUsd).join(', ')}`);
  if (r.spendPico[0] !== r.rowsPico) wrong.push(`/api/spend ${formatUsd(r.spendPico[0] ?? 0n)} ≠ Σ rows ${formatUsd(r.rowsPico)}`);
  if (r.rowsPico !== r.answeredPico + r.unanswered.costPico) wrong.push('Σ rows ≠ Σ answered + Σ unanswered rows');
  if (r.unanswered.rows !== r.unanswered.fromKilledProcess)
    wrong.push(`${r.unanswered.rows - r.unanswered.fromKilledProcess} unanswered rows not from the killed process`);
  // A settle reaches Redis after its row is spooled, and a reservation is never less than the exact
  // cost. A kill between the two leaves the cost reserved, until the restarted replica charges the
  // rows its spool still held (spool-budgets.ts); a row the spool had already let go stays
  // reserved until governance.reservationTtlMs.
  if (r.budget.spentPico > r.rowsPico || r.budget.spentPico + r.budget.reservedPico < r.rowsPico) {
    wrong.push(
      `the key's budget (spent ${formatUsd(r.budget.spentPico)}, reserved ${formatUsd(r.budget.reservedPico)}) does not bound Σ rows ${formatUsd(r.rowsPico)}`,
    );
  }
  return wrong;
}

function countBy(keys: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const k of keys) counts[k] = (counts[k] ?? 0) + 1;
  return counts;
}

/** Every replica follows the key store within its poll interval (500 ms). */
async function acceptsKey(url: string, key: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    await res.arrayBuffer();
    if (res.status === 200) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} never accepted the new key`);
}
