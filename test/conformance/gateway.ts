// One gateway per conformance file, started the way a user starts one: from a config file that
// sets only the server and the ledger, so the embedded catalog and its in-process emulator serve.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, vi } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { startGateway, type RunningGateway } from '../../src/server/gateway.js';
import { expectedPico, usdToPico, type PricedModel } from '../helpers/env.js';
import { LedgerPage, type LedgerRowJson } from '../helpers/api-json.js';
import { fetchJson } from '../helpers/json.js';

export interface ConformanceGateway {
  gateway: RunningGateway;
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

export async function startConformanceGateway(): Promise<ConformanceGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'costwise-conformance-'));
  const file = join(dir, 'costwise.yaml');
  writeFileSync(file, `server: { port: 0 }\nstorage: { ledger: { path: ${JSON.stringify(join(dir, 'ledger.db'))} }, dataDir: ${JSON.stringify(dir)} }\n`);
  const gateway = await startGateway({ config: loadConfig(file, {}).config });
  return { gateway, url: gateway.url, close: () => gateway.close() };
}

/** Headers every case sends: an exact output length and a tag naming the case's ledger row. */
export function caseHeaders(tag: string, outputTokens?: number): Record<string, string> {
  return { 'x-costwise-tags': tag, ...(outputTokens !== undefined ? { 'x-emulator-output-tokens': String(outputTokens) } : {}) };
}

/** Embedding list prices (USD per million input tokens), written out by hand like LIST_PRICE. */
const EMBEDDING_PRICE = { 'text-embedding-3-small': 0.02, 'text-embedding-3-large': 0.13 } as const;

/** The ledger rows carrying `tag` (waits for the asynchronous ledger write). */
export async function rowsTagged(gw: ConformanceGateway, tag: string, count = 1): Promise<LedgerRowJson[]> {
  return vi.waitFor(
    async () => {
      const rows = (await fetchJson(`${gw.url}/api/requests?limit=1000`, LedgerPage)).data.filter((r) => r.tags.includes(tag));
      if (rows.length < count) throw new Error(`${rows.length} of ${count} rows tagged ${tag}`);
      return rows;
    },
    { timeout: 5_000, interval: 20 },
  );
}

/** What the client library reported: prompt tokens (cached ones included) and output tokens. */
export interface ReportedUsage {
  input: number;
  output: number;
}

/**
 * The case's one ledger row: status 200, the model asked for, the token counts the library saw,
 * and a cost equal to the hand-computed one from the row's token classes and the list prices.
 * Returns the cost in pico-dollars, for comparing with the cost header.
 */
export async function expectExactCost(gw: ConformanceGateway, tag: string, model: PricedModel, usage: ReportedUsage): Promise<bigint> {
  const rows = await rowsTagged(gw, tag);
  expect(rows).toHaveLength(1);
  const row = rows[0]!;
  expect(row.status).toBe(200);
  expect(row.servedModel).toBe(model);
  expect(row.inputTokens + row.cacheReadTokens + row.cacheWrite5mTokens + row.cacheWrite1hTokens).toBe(usage.input);
  expect(row.outputTokens).toBe(usage.output);
  expect(usage.input).toBeGreaterThan(0);
  const expected = expectedPico(model, {
    input: row.inputTokens,
    cacheRead: row.cacheReadTokens,
    write5m: row.cacheWrite5mTokens,
    write1h: row.cacheWrite1hTokens,
    output: row.outputTokens,
  });
  expect(BigInt(row.costPico)).toBe(expected);
  expect(usdToPico(row.cost_usd)).toBe(expected);
  return expected;
}

/** An embedding request's ledger row: input tokens only, at the embedding list price. */
export async function expectExactEmbeddingCost(gw: ConformanceGateway, tag: string, model: keyof typeof EMBEDDING_PRICE, inputTokens: number): Promise<void> {
  const rows = await rowsTagged(gw, tag);
  expect(rows).toHaveLength(1);
  expect(rows[0]!.status).toBe(200);
  expect(rows[0]!.inputTokens).toBe(inputTokens);
  expect(inputTokens).toBeGreaterThan(0);
  expect(BigInt(rows[0]!.costPico)).toBe(BigInt(inputTokens) * BigInt(Math.round(EMBEDDING_PRICE[model] * 1_000_000)));
}
