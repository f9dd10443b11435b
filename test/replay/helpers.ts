// Shared by the replay tests: small traces written on the spot, and the same requests sent one by
// one through a live gateway (startTestEnv) for comparison.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestEnv } from '../helpers/env.js';
import type { LedgerRow } from '../../src/storage/types.js';
import type { Trace } from '../../src/replay/types.js';

export const dir = mkdtempSync(join(tmpdir(), 'costwise-replay-'));

export function writeTrace(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/**
 * Mooncake lines: a 4-block shared prefix (ids 0–3, 2,048 tokens) on most requests, so prompt
 * caching has something to reuse; some requests repeat another's blocks exactly.
 */
export function mooncakeText(n = 14): string {
  const lines: string[] = [];
  for (let k = 0; k < n; k++) {
    const tail = k % 5 === 4 ? 100 + k - 1 : 100 + k; // every fifth request repeats the one before
    const ids = k % 7 === 6 ? [50 + k, 51 + k, 52 + k] : [0, 1, 2, 3, tail];
    const input = 512 * (ids.length - 1) + 200 + (k % 3) * 50;
    lines.push(JSON.stringify({ timestamp: k * 150, input_length: input, output_length: 10 + k, hash_ids: ids }));
  }
  return lines.join('\n') + '\n';
}

export function azureText(): string {
  return [
    'TIMESTAMP,ContextTokens,GeneratedTokens',
    '2023-11-16 18:15:46.6805900,374,44',
    '2023-11-16 18:15:50.9951690,1396,109',
    '2023-11-16 18:15:51.1000000,2500,12',
    'not,a,row',
    '2023-11-16 18:15:52.0000000,-5,3',
    '2023-11-16 18:15:52.5000000,800',
    '2023-11-16 18:15:53.2000000,5200,250',
    '2023-11-16 18:15:54.0000000,64,1',
  ].join('\n');
}

/** Sends every trace request, in order, to a live gateway; returns ledger id → trace line. */
export async function sendLive(env: TestEnv, trace: Trace): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (const req of trace.requests) {
    const wire = req.build();
    const res = await fetch(`${env.gateway.url}${wire.path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-live', ...wire.headers },
      body: wire.body,
    });
    await res.text();
    if (res.status !== 200) throw new Error(`line ${req.line}: ${res.status}`);
    ids.set(res.headers.get('x-costwise-request-id')!, req.line);
  }
  return ids;
}

export async function liveRows(env: TestEnv): Promise<LedgerRow[]> {
  await env.gateway.deps.store.flush();
  return env.gateway.deps.store.ledgerRows({ limit: 100_000 });
}

export interface Money {
  cost: bigint;
  baseline: bigint;
  promptCache: bigint;
}

export function sum(rows: LedgerRow[]): Money {
  const m = { cost: 0n, baseline: 0n, promptCache: 0n };
  for (const r of rows) {
    m.cost += BigInt(r.costPico);
    m.baseline += BigInt(r.baselinePico);
    m.promptCache += BigInt(r.promptCachePico);
  }
  return m;
}

/** Per trace line: the money and token classes of that request's top-level row. */
export function byLine(rows: LedgerRow[], lineOf: Map<string, number>): Map<number, string> {
  const out = new Map<number, string>();
  for (const r of rows) {
    const line = lineOf.get(r.requestId);
    if (line === undefined) continue;
    out.set(
      line,
      JSON.stringify([
        r.servedModel,
        r.costPico,
        r.baselinePico,
        r.promptCachePico,
        r.inputTokens,
        r.cacheReadTokens,
        r.cacheWrite5mTokens,
        r.cacheWrite1hTokens,
        r.outputTokens,
      ]),
    );
  }
  return out;
}
