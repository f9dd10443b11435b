// Test harness: a real emulator and a real gateway, both over loopback HTTP.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/server.js';
import { startGateway, type RunningGateway } from '../../src/server/gateway.js';
import { parseConfig } from '../../src/config/load.js';
import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { LedgerPage, type LedgerRowJson } from './api-json.js';
import { fetchJson } from './json.js';

export interface TestEnv {
  emulator: RunningEmulator;
  gateway: RunningGateway;
  openai: OpenAI;
  anthropic: Anthropic;
  dbPath: string;
  close(): Promise<void>;
}

/** A PostgreSQL ledger (and with it the key and batch stores) in a schema of its own, instead of a SQLite file. */
export interface PostgresLedger {
  url: string;
  schema: string;
  maxConnections?: number;
}

/** Gateway → (HTTP) → standalone emulator, with the default catalog pointed at the emulator. */
export async function startTestEnv(
  opts: {
    emulator?: EmulatorOptions;
    config?: Partial<ConfigInput>;
    maxBodyBytes?: number;
    postgres?: PostgresLedger;
    /** The directory of the ledger file (or the data directory's parent) of an earlier env: a restart. Default: a new one. */
    dir?: string;
  } = {},
): Promise<TestEnv> {
  const emulator = await startEmulator({ port: 0, ...opts.emulator });
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'costwise-test-'));
  const dbPath = join(dir, 'ledger.db');
  const ledger = opts.postgres ? { kind: 'postgres' as const, ...opts.postgres } : { path: dbPath };
  const raw: ConfigInput = {
    ...structuredClone(DEFAULT_CONFIG),
    ...opts.config,
    server: { ...opts.config?.server, port: 0, ...(opts.maxBodyBytes ? { maxBodyBytes: opts.maxBodyBytes } : {}) },
    storage: { ...opts.config?.storage, ledger, ...(opts.postgres ? { dataDir: join(dir, 'data') } : {}) },
  };
  raw.providers = raw.providers.map((p) => (p.baseUrl === 'emulator' ? { ...p, baseUrl: emulator.url } : p));
  const { config } = parseConfig(raw, 'test', {});
  const gateway = await startGateway({ config });
  const openai = new OpenAI({ apiKey: 'sk-test-key', baseURL: `${gateway.url}/v1`, maxRetries: 0 });
  const anthropic = new Anthropic({ apiKey: 'sk-ant-test-key', baseURL: gateway.url, maxRetries: 0 });
  return {
    emulator,
    gateway,
    openai,
    anthropic,
    dbPath,
    async close() {
      await gateway.close();
      await emulator.close();
    },
  };
}

/** "0.000123" → pico-dollars, exactly (no floats). */
export function usdToPico(usd: string): bigint {
  const m = /^(-?)(\d+)(?:\.(\d{1,12}))?$/.exec(usd);
  if (!m) throw new Error(`not a decimal USD amount: ${usd}`);
  const pico = BigInt(m[2]!) * 1_000_000_000_000n + BigInt((m[3] ?? '').padEnd(12, '0') || '0');
  return m[1] ? -pico : pico;
}

/**
 * List prices from the reference table (USD per million tokens), written out by hand so the tests
 * do not trust the code under test for them. Values in pico-dollars per token = $/MTok × 1e6.
 */
export const LIST_PRICE = {
  'claude-haiku-4-5': { input: 1, cacheRead: 0.1, write5m: 1.25, write1h: 2, output: 5 },
  'claude-sonnet-4-5': { input: 3, cacheRead: 0.3, write5m: 3.75, write1h: 6, output: 15 },
  'claude-opus-4-5': { input: 5, cacheRead: 0.5, write5m: 6.25, write1h: 10, output: 25 },
  'gpt-4.1': { input: 2, cacheRead: 0.5, write5m: 2, write1h: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, cacheRead: 0.1, write5m: 0.4, write1h: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, cacheRead: 0.025, write5m: 0.1, write1h: 0.1, output: 0.4 },
  'gpt-4o-mini': { input: 0.15, cacheRead: 0.075, write5m: 0.15, write1h: 0.15, output: 0.6 },
  'gemini-2.5-flash': { input: 0.3, cacheRead: 0.03, write5m: 0.3, write1h: 0.3, output: 2.5 },
  'gemini-2.5-pro': { input: 1.25, cacheRead: 0.125, write5m: 1.25, write1h: 1.25, output: 10 },
} as const;

export type PricedModel = keyof typeof LIST_PRICE;

/** Hand-computed cost in pico-dollars from token classes and the list price table. */
export function expectedPico(model: PricedModel, t: { input: number; cacheRead?: number; write5m?: number; write1h?: number; output: number }): bigint {
  const p = LIST_PRICE[model];
  const per = (usdPerMTok: number) => BigInt(Math.round(usdPerMTok * 1_000_000));
  return (
    BigInt(t.input) * per(p.input) +
    BigInt(t.cacheRead ?? 0) * per(p.cacheRead) +
    BigInt(t.write5m ?? 0) * per(p.write5m) +
    BigInt(t.write1h ?? 0) * per(p.write1h) +
    BigInt(t.output) * per(p.output)
  );
}

/** The gateway's ledger through GET /api/requests (newest first, up to 1,000 rows). */
export async function ledger(env: TestEnv): Promise<LedgerRowJson[]> {
  return (await fetchJson(`${env.gateway.url}/api/requests?limit=1000`, LedgerPage)).data;
}
