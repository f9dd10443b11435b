// Exact response cache speed and memory: key computation, store get/set, the memory bound under
// 200k random-size inserts, SQLite and Redis reads. Run with --expose-gc for the heap rows.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import { Redis } from 'ioredis';
import type { CanonicalRequest, ToolDefinition } from '../src/core/canonical.js';
import { cacheKey, cacheKeyText, writeKeyText } from '../src/cache/exact/key.js';
import { HashSink } from '../src/cache/exact/key-sink.js';
import { openMemoryStore } from '../src/cache/exact/memory.js';
import { openSqliteCache } from '../src/cache/exact/sqlite.js';
import { openRedisCache } from '../src/cache/exact/redis.js';
import type { NewCacheEntry } from '../src/cache/types.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const scope = { tenant: 'acme', model: 'gpt-4.1-mini' };
const WORDS = 'the quick brown fox reads a quarterly report and answers with care about revenue costs and risks'.split(' ');

function prose(chars: number, seed: number): string {
  let out = '';
  for (let i = seed; out.length < chars; i = (i * 7 + 3) % 9973) out += `${WORDS[i % WORDS.length]!} `;
  return out;
}

/** A typical chat request: ~2 KB system prompt, six turns of ~500 chars. */
function chatRequest(): CanonicalRequest {
  return {
    model: 'gpt-4.1-mini',
    system: [{ type: 'text', text: prose(2000, 1) }],
    messages: Array.from({ length: 6 }, (_, i) => ({
      role: i % 2 ? ('assistant' as const) : ('user' as const),
      content: [{ type: 'text' as const, text: prose(500, i + 2) }],
    })),
    temperature: 0,
    maxTokens: 512,
    stream: false,
    streamUsage: false,
    passthrough: { format: 'openai', fields: {} },
  };
}

function tool(i: number): ToolDefinition {
  return {
    name: `tool_${i}`,
    description: prose(200, i),
    parameters: {
      type: 'object',
      properties: {
        query: { type: 'string', description: prose(80, i + 1) },
        limit: { type: 'integer', minimum: 1, maximum: 100 },
        filters: { type: 'array', items: { type: 'string', enum: ['open', 'closed', 'draft'] } },
      },
      required: ['query'],
    },
  };
}

/** The chat request with 20 tools and one tool round trip. */
function toolsRequest(): CanonicalRequest {
  const r = chatRequest();
  r.tools = Array.from({ length: 20 }, (_, i) => tool(i));
  r.messages.push({ role: 'assistant', content: [{ type: 'tool_call', id: 'call_1', name: 'tool_3', arguments: '{"query": "q3 revenue", "limit": 5}' }] });
  r.messages.push({ role: 'user', content: [{ type: 'tool_result', toolCallId: 'call_1', content: [{ type: 'text', text: prose(400, 9) }] }] });
  return r;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** p50/p99 in µs of `fn`, after a warm-up. */
async function time(fn: () => unknown, iterations: number, warmup = Math.min(2000, iterations)): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples = new Array<number>(iterations);
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    const r = fn();
    if (r instanceof Promise) await r;
    samples[i] = (performance.now() - t) * 1000;
  }
  samples.sort((a, b) => a - b);
  return { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99) };
}

const results: Record<string, number | string | null> = {};
const rows: Array<[string, string]> = [];
function record(name: string, value: number | null, unit: string): void {
  results[name] = value === null ? null : Number(value.toFixed(unit === 'µs' ? 2 : 0));
  rows.push([name, value === null ? 'n/a' : `${value.toFixed(unit === 'µs' ? 2 : 0)} ${unit}`]);
}

async function keyRows(): Promise<void> {
  for (const [label, req] of [
    ['chat', chatRequest()],
    ['20 tools', toolsRequest()],
  ] as const) {
    record(`key ${label}: canonical text`, cacheKeyText(req, scope).length, 'chars');
    record(`key ${label} p50`, (await time(() => cacheKey(req, scope), 20_000)).p50, 'µs');
    // the hashing alternatives key-sink.ts chose between
    const perPiece = () => {
      const s = new HashSink(1);
      writeKeyText(req, scope, s);
      return s.digest();
    };
    const oneString = () => createHash('sha256').update(cacheKeyText(req, scope)).digest('hex');
    record(`key sink ${label}: update per piece p50`, (await time(perPiece, 20_000)).p50, 'µs');
    record(`key sink ${label}: one string p50`, (await time(oneString, 20_000)).p50, 'µs');
  }
}

function entryFor(key: string, value: Uint8Array | string): NewCacheEntry {
  const t = Date.now();
  return { key, tenant: 'acme', model: 'gpt-4.1-mini', createdAt: t, expiresAt: t + 3_600_000, value };
}

async function memoryRows(): Promise<void> {
  const store = openMemoryStore({ maxBytes: 256 * 1024 * 1024 });
  const keys = Array.from({ length: 10_000 }, () => randomBytes(32).toString('hex'));
  const value = JSON.stringify({ id: 'chatcmpl-1', content: prose(1500, 3) });
  let i = 0;
  const set = await time(() => store.set(entryFor(keys[i++ % keys.length]!, value)), 50_000);
  record('memory set p50', set.p50, 'µs');
  record('memory set p99', set.p99, 'µs');
  const get = await time(() => store.get(keys[i++ % keys.length]!, 'acme'), 100_000);
  record('memory get p50', get.p50, 'µs');
  record('memory get p99', get.p99, 'µs');
  const peek = await time(() => store.peek(keys[i++ % keys.length]!, 'acme'), 100_000);
  record('memory peek (sync) p50', peek.p50, 'µs');
  const req = chatRequest();
  const hitKey = cacheKey(req, scope);
  await store.set(entryFor(hitKey, value));
  record('exact hit path (key + get) p50, chat', (await time(() => store.get(cacheKey(req, scope), 'acme'), 20_000)).p50, 'µs');
  await store.close();
}

/** 200k inserts of random sizes (100 B – 64 KB, log-uniform) into a 64 MiB store. */
async function boundRows(): Promise<void> {
  const maxBytes = 64 * 1024 * 1024;
  const gc = (globalThis as { gc?: () => void }).gc;
  // After full collections and a pause: ArrayBuffers are freed by a concurrent sweeper, so a
  // reading right after one gc() still counts dead values.
  const liveHeap = async () => {
    for (let i = 0; i < 3; i++) {
      gc?.();
      await sleep(20);
    }
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
  };
  const base = await liveHeap();
  const store = openMemoryStore({ maxBytes });
  let peakAccounted = 0;
  let peakHeap = 0;
  const pool = randomBytes(64 * 1024);
  for (let i = 0; i < 200_000; i++) {
    const size = Math.floor(100 * Math.pow(640, Math.random()));
    const value = i % 2 ? pool.subarray(0, size) : pool.toString('latin1', 0, size);
    await store.set(entryFor(randomBytes(32).toString('hex'), value));
    if (i % 1000 === 999) {
      peakAccounted = Math.max(peakAccounted, (await store.stats()).bytes);
      if (gc && i % 20_000 === 19_999) peakHeap = Math.max(peakHeap, (await liveHeap()) - base);
    }
  }
  const stats = await store.stats();
  record('memory bound (maxBytes)', maxBytes, 'B');
  record('memory bound: peak accounted bytes', peakAccounted, 'B');
  record('memory bound: peak live heap+external growth', gc ? peakHeap : null, 'B');
  record('memory bound: evictions', stats.evictions, '');
  await store.close();
}

async function sqliteRows(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'costwise-cache-bench-'));
  const store = openSqliteCache({ path: join(dir, 'cache.db'), maxBytes: 256 * 1024 * 1024, sweepIntervalMs: 0 });
  const keys = Array.from({ length: 2000 }, () => randomBytes(32).toString('hex'));
  const value = JSON.stringify({ id: 'chatcmpl-1', content: prose(1500, 3) });
  for (const k of keys) await store.set(entryFor(k, value));
  let i = 0;
  record('sqlite get p50', (await time(() => store.get(keys[i++ % keys.length]!, 'acme'), 20_000)).p50, 'µs');
  record('sqlite set p50', (await time(() => store.set(entryFor(keys[i++ % keys.length]!, value)), 5_000)).p50, 'µs');
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

async function redisRows(): Promise<void> {
  const url = process.env.COSTWISE_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => {});
  const up = await probe.connect().then(
    () => true,
    () => false,
  );
  probe.disconnect();
  if (!up) {
    record('redis get p50 (Redis down)', null, 'µs');
    return;
  }
  const prefix = `costwise:bench:${randomBytes(4).toString('hex')}:`;
  const store = openRedisCache({ url, prefix, sweepIntervalMs: 0 });
  const keys = Array.from({ length: 2000 }, () => randomBytes(32).toString('hex'));
  const value = JSON.stringify({ id: 'chatcmpl-1', content: prose(1500, 3) });
  for (const k of keys) await store.set(entryFor(k, value));
  let i = 0;
  record('redis get p50', (await time(() => store.get(keys[i++ % keys.length]!, 'acme'), 10_000)).p50, 'µs');
  record('redis set p50', (await time(() => store.set(entryFor(keys[i++ % keys.length]!, value)), 3_000)).p50, 'µs');
  await store.close();
  const cleanup = new Redis(url);
  const left = await cleanup.keys(`${prefix}*`); // a bench-only prefix: a few thousand keys at most
  if (left.length > 0) await cleanup.del(...left);
  await cleanup.quit();
}

async function main(): Promise<void> {
  await keyRows();
  await memoryRows();
  await boundRows();
  await sqliteRows();
  await redisRows();
  const outDir = join(root, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'cache.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, ...results }, null, 2) + '\n');
  const table = new Table({ head: ['exact cache measurement', 'value'] });
  for (const row of rows) table.push(row);
  process.stdout.write(table.toString() + '\nwritten to bench/results/cache.json\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`cache bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
