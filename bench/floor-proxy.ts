// A second reference point for `npm run bench`: the bare proxy (bare-proxy.ts) plus only the work any
// gateway that bills exactly must do on every request, each done the simplest way — parse the
// caller's JSON and write it out again for the upstream, parse the answer's JSON for its usage and
// write it out again for the caller, and make one ledger line durable before the answer ends (a
// file append per event-loop turn through costwise's own spool, the lines then inserted into SQLite by a worker thread every
// 100 ms). No routing, cache, headers or telemetry. What costwise adds beyond this floor is its own
// overhead; the floor's distance from the bare proxy is the price of exact accounting itself.
import { mkdtempSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Pool } from 'undici';
import { openSpool } from '../src/storage/spool.js';
import { serveProxy } from './proxy-server.js';

const upstream = process.argv[2];
const port = Number(process.argv[3] ?? 0);
if (!upstream) throw new Error('usage: floor-proxy <upstream-url> [port]');
const pool = new Pool(upstream, { connections: 128, pipelining: 1 });
const dir = mkdtempSync(join(tmpdir(), 'costwise-floor-'));

// The SQLite writer: rows arrive as one JSON array text per 100 ms and go in one transaction.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec('CREATE TABLE ledger (id INTEGER PRIMARY KEY, request_id TEXT NOT NULL UNIQUE, ts INTEGER, model TEXT, input_tokens INTEGER, output_tokens INTEGER, cost_pico INTEGER, status INTEGER)');
const insert = db.prepare('INSERT OR IGNORE INTO ledger (request_id, ts, model, input_tokens, output_tokens, cost_pico, status) VALUES (?, ?, ?, ?, ?, ?, ?)');
const write = db.transaction((rows) => { for (const r of rows) insert.run(r[0], r[1], r[2], r[3], r[4], r[5], r[6]); });
parentPort.on('message', (json) => write(JSON.parse(json)));
`;
const worker = new Worker(WORKER, { eval: true, workerData: { path: join(dir, 'ledger.db'), sqlite: fileURLToPath(import.meta.resolve('better-sqlite3')) } });
worker.unref();

// The ledger's own spool (src/storage/spool.ts): the lines of a turn in one write, answers held
// until it is done. The SQLite worker gets the lines every 100 ms.
const spool = openSpool({ dir: join(dir, 'spool') });
let waiting: string[] = [];
setInterval(() => {
  if (waiting.length === 0) return;
  worker.postMessage(`[${waiting.join(',')}]`);
  waiting = [];
}, 100).unref();

function appendRow(line: string): Promise<void> | undefined {
  spool.append(line);
  waiting.push(line);
  return spool.durable();
}

let sequence = 0;
const PRICE_IN_PICO = 400_000; // $0.40 per million tokens, in pico-dollars per token
const PRICE_OUT_PICO = 1_600_000;

interface Answer {
  model?: string;
  usage?: { prompt_tokens?: number; completion_tokens?: number };
}

async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { model: string };
    const up = await pool.request({
      path: req.url ?? '/',
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: req.headers['authorization'] ?? '' },
      body: JSON.stringify(request),
    });
    const answer = JSON.parse(await up.body.text()) as Answer;
    const input = answer.usage?.prompt_tokens ?? 0;
    const output = answer.usage?.completion_tokens ?? 0;
    const requestId = `floor_${process.pid}_${++sequence}`;
    const row = [requestId, Date.now(), request.model, input, output, input * PRICE_IN_PICO + output * PRICE_OUT_PICO, up.statusCode];
    const body = JSON.stringify(answer);
    await appendRow(JSON.stringify(row));
    res.writeHead(up.statusCode, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-request-id': requestId });
    res.end(body);
  } catch {
    res.writeHead(502).end();
  }
}

serveProxy('floor proxy', port, forward);
process.on('SIGTERM', () => {
  spool.close();
  process.exit(0);
});
