// The load of the gateway benchmarks (bench/gateway.ts, bench/gateway-storage.ts): one chat
// request, autocannon at saturation, and sequential latency on one connection.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { Pool } from 'undici';

export const BODY = JSON.stringify({
  model: 'gpt-4.1-mini',
  messages: [
    { role: 'system', content: 'You are a helpful assistant for a city council help desk.' },
    { role: 'user', content: 'When is the bulky waste collection in my district?' },
  ],
  max_tokens: 64,
});

/** What a load is sent to: a server, its process (for CPU time), and the key to send. */
export interface Target {
  url: string;
  pid?: number | undefined;
  /** Sent as `Authorization: Bearer …` (default `bench`, which an open gateway ignores). */
  apiKey?: string;
}

/** User + system CPU time of a process so far, in ms (Linux /proc). */
export function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks at USER_HZ = 100
  } catch {
    return NaN;
  }
}

export interface Measured {
  /** CPU time the proxy process spent per request, µs: overhead independent of machine contention. */
  cpuUsPerRequest: number;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

function headers(target: Target): Record<string, string> {
  return { 'content-type': 'application/json', authorization: `Bearer ${target.apiKey ?? 'bench'}` };
}

/** Throughput at saturation: `connections` connections for `duration` seconds. */
export async function load(target: Target, connections: number, duration: number): Promise<Measured> {
  const pid = target.pid;
  const cpu0 = pid ? cpuMs(pid) : NaN;
  const r = await autocannon({ url: `${target.url}/v1/chat/completions`, method: 'POST', connections, duration, headers: headers(target), body: BODY });
  const cpuUsPerRequest = ((cpuMs(pid ?? 0) - cpu0) * 1000) / Math.max(1, r.requests.total);
  return { cpuUsPerRequest, requestsPerSec: r.requests.average, p50Ms: r.latency.p50, p99Ms: r.latency.p99, errors: r.errors, non2xx: r.non2xx };
}

/** Latency without queueing: one connection, sequential requests (after 200 unmeasured), precise per-request timing. */
export async function sequentialLatency(target: Target, count: number, body = BODY): Promise<{ p50Ms: number; p99Ms: number }> {
  const pool = new Pool(target.url, { connections: 1 });
  const times: number[] = [];
  for (let i = 0; i < count + 200; i++) {
    const t0 = performance.now();
    const res = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers: headers(target), body });
    await res.body.arrayBuffer();
    if (res.statusCode !== 200) throw new Error(`${target.url}: status ${res.statusCode}`);
    if (i >= 200) times.push(performance.now() - t0);
  }
  await pool.close();
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
  return { p50Ms: q(0.5), p99Ms: q(0.99) };
}

/** The median: a shared 2-core machine has outliers in both directions. */
export function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}
