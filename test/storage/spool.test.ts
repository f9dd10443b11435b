// The ledger spool: rows appended by a process that is then killed with SIGKILL are read back by
// the next one; a line cut short is ignored; confirmed spools are rotated away and removed.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSpool, readLeftovers } from '../../src/storage/spool.js';
import { toTuple, tupleJson } from '../../src/storage/ledger-worker-protocol.js';
import type { LedgerRow } from '../../src/storage/types.js';

const DIST_SPOOL = resolve(import.meta.dirname, '../../dist/src/storage/spool.js');

function row(requestId: string): LedgerRow {
  return {
    requestId,
    ts: 1_700_000_000_000,
    tenant: 't',
    keyId: 'k',
    tags: ['a'],
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
    costPico: 12_000_000,
    baselinePico: 12_000_000,
    promptCachePico: 0,
    promptTokensRemoved: 4,
    promptHash: 'fedcba9876543210fedcba9876543210',
    maxTokens: 64,
    stopReason: 'max_tokens',
    latencyMs: 1.5,
    status: 200,
    stream: false,
    errorKind: null,
    route: 'requested',
    technique: null,
    parentId: null,
    attempts: null,
    cache: null,
  };
}

describe('ledger spool', () => {
  it.skipIf(!existsSync(DIST_SPOOL))('keeps the rows of a process killed with SIGKILL for the next one to ship', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'costwise-spool-'));
    const script = `
      import { openSpool } from ${JSON.stringify(DIST_SPOOL)};
      import { tupleJson } from ${JSON.stringify(DIST_SPOOL.replace('spool.js', 'ledger-worker-protocol.js'))};
      const spool = openSpool({ dir: ${JSON.stringify(dir)} });
      const base = ${JSON.stringify(row('x'))};
      for (let i = 0; i < 100; i++) spool.append(tupleJson({ ...base, requestId: 'killed-' + i }));
      await spool.durable();
      spool.confirm(40);
      process.stdout.write('ready\\n');
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((r) => child.stdout.once('data', () => r()));
    // Still running: its spool is not ours to read.
    expect(readLeftovers({ dir }).rows).toHaveLength(0);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const [file] = readdirSync(dir);
    appendFileSync(join(dir, file!), '{"requestId":"torn'); // a line a kill cut short
    const left = readLeftovers({ dir });
    expect(left.rows.map((r) => r.requestId)).toEqual(Array.from({ length: 100 }, (_, i) => `killed-${i}`));
    expect(left.rows[0]).toEqual({ ...row('x'), requestId: 'killed-0' });
    left.shipped();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('reads the spool files an earlier build left: v1 row objects, v2 arrays in their own field order, v3 tuples', () => {
    const dir = mkdtempSync(join(tmpdir(), 'costwise-spool-'));
    const r = row('old');
    const v2 = [
      r.requestId,
      r.ts,
      r.tenant,
      r.keyId,
      r.tags,
      r.ingress,
      r.endpoint,
      r.requestedModel,
      r.servedModel,
      r.provider,
      r.inputTokens,
      r.cacheReadTokens,
      r.cacheWrite5mTokens,
      r.cacheWrite1hTokens,
      r.outputTokens,
      r.reasoningTokens,
      r.costPico,
      r.baselinePico,
      r.promptCachePico,
      r.latencyMs,
      r.status,
      r.stream,
      r.errorKind,
      r.route,
      r.technique,
      r.parentId,
      r.attempts,
      r.cache,
    ];
    // v3 and v4: today's RowTuple before promptTokensRemoved (v4: before promptHash, maxTokens and
    // stopReason) was appended to it.
    const v3 = toTuple(r).slice(0, -4);
    const v4 = toTuple(r).slice(0, -3);
    const { promptTokensRemoved: _, promptHash: _h, maxTokens: _m, stopReason: _s, ...v1 } = r;
    writeFileSync(join(dir, '999999991-1.spool'), `costwise-spool v1\n${JSON.stringify({ ...v1, requestId: 'v1' })}\n`);
    writeFileSync(join(dir, '999999992-1.spool'), `costwise-spool v2\n${JSON.stringify(['v2', ...v2.slice(1)])}\n`);
    writeFileSync(join(dir, '999999993-1.spool'), `costwise-spool v3\n${JSON.stringify(['v3', ...v3.slice(1)])}\n`);
    writeFileSync(join(dir, '999999994-1.spool'), `costwise-spool v4\n${JSON.stringify(['v4', ...v4.slice(1)])}\n`);
    const left = readLeftovers({ dir, isRunning: () => false });
    // Rows of the older versions removed no prompt tokens, and carry no hash, cap or stop reason.
    const none = { promptHash: null, maxTokens: null, stopReason: null };
    expect(left.rows).toEqual([
      { ...r, ...none, requestId: 'v1', promptTokensRemoved: 0 },
      { ...r, ...none, requestId: 'v2', promptTokensRemoved: 0 },
      { ...r, ...none, requestId: 'v3', promptTokensRemoved: 0 },
      { ...r, ...none, requestId: 'v4' },
    ]);
  });

  it('writes the rows of a turn together, rotates a fully confirmed spool and removes it on close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'costwise-spool-'));
    const spool = openSpool({ dir, rotateBytes: 1_000 });
    const first = spool.path;
    for (let i = 0; i < 10; i++) spool.append(tupleJson(row(`r${i}`)));
    expect(readFileSync(first, 'utf8').split('\n')).toHaveLength(2); // the header only, until the turn ends
    const durable = spool.durable();
    expect(durable).toBeDefined();
    await durable;
    expect(readFileSync(first, 'utf8').split('\n')).toHaveLength(12);
    expect(spool.durable()).toBeUndefined();
    spool.confirm(5);
    expect(spool.path).toBe(first); // unconfirmed rows are kept
    spool.confirm(10);
    expect(spool.path).not.toBe(first);
    expect(existsSync(first)).toBe(false);
    const second = spool.path;
    spool.append(tupleJson(row('late')));
    spool.close();
    expect(existsSync(second)).toBe(true); // its row was never confirmed: the next start ships it
    expect(readLeftovers({ dir, isRunning: () => false }).rows.map((r) => r.requestId)).toEqual(['late']);
  });
});
