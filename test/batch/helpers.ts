// Shared pieces of the batch tests: a fast batch clock, JSONL uploads, waiting for the end.
import { toFile } from 'openai';
import type OpenAI from 'openai';
import type { TestEnv } from '../helpers/env.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { fetchJson, parseJson } from '../helpers/json.js';
import { LedgerPage, type LedgerRowJson } from '../helpers/api-json.js';
import { OutputLine } from '../helpers/wire-json.js';
import { BACKENDS, dropSchema, startEnvOn, type Backend } from '../helpers/backend-env.js';

export const FAST_EMULATOR = { batch: { itemsPerSecond: 400, startDelayMs: 30, finalizeMs: 20 } };

/** The batch stores the tests run over: SQLite always, PostgreSQL when it answers (always with CI=true). */
export const BATCH_BACKENDS = BACKENDS;
export { dropSchema, startEnvOn };

/**
 * A gateway on a fast emulator. `postgres`: its ledger, keys and batches in a PostgreSQL schema of
 * its own, dropped by close().
 */
export async function startBatchEnv(batch: NonNullable<ConfigInput['batch']> = {}, backend: Backend = 'sqlite'): Promise<TestEnv> {
  return startEnvOn(backend, { emulator: FAST_EMULATOR, config: { batch: { pollIntervalMs: 40, ...batch } } });
}

export interface Line {
  custom_id: string;
  body: Record<string, unknown>;
}

export function chatLine(customId: string, model: string, content: string, extra: Record<string, unknown> = {}): Line {
  return { custom_id: customId, body: { model, messages: [{ role: 'user', content }], ...extra } };
}

export async function uploadJsonl(client: OpenAI, lines: Array<Line | string>): Promise<string> {
  const text = lines.map((l) => (typeof l === 'string' ? l : JSON.stringify({ method: 'POST', url: '/v1/chat/completions', ...l }))).join('\n') + '\n';
  const file = await client.files.create({ file: await toFile(Buffer.from(text), 'input.jsonl'), purpose: 'batch' });
  return file.id;
}

const ENDED = new Set(['completed', 'failed', 'expired', 'cancelled']);

export async function waitOpenAI(client: OpenAI, id: string, timeoutMs = 10_000): Promise<OpenAI.Batches.Batch> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const b = await client.batches.retrieve(id);
    if (ENDED.has(b.status)) return b;
    if (Date.now() > deadline) throw new Error(`batch ${id} still ${b.status}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function readJsonl(client: OpenAI, fileId: string): Promise<OutputLine[]> {
  const text = await (await client.files.content(fileId)).text();
  return text
    .trimEnd()
    .split('\n')
    .map((l) => parseJson(l, OutputLine));
}

export async function ledgerRows(env: TestEnv): Promise<LedgerRowJson[]> {
  await env.gateway.deps.store.flush();
  return (await fetchJson(`${env.gateway.url}/api/requests?limit=1000`, LedgerPage)).data;
}
