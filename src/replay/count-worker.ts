// The worker thread of count-ahead.ts: counts the prompt texts of requests the replay is about
// to send, with the same function the emulator bills with (countTextTokens), and posts the counts
// back. Protocol: count-ahead.ts (CountJob in, CountResult out).
import { parentPort } from 'node:worker_threads';
import { countTextTokens } from '../tokens/text.js';
import type { CountJob, CountResult } from './count-ahead.js';

const port = parentPort;
if (port === null) throw new Error('costwise: count-worker.js is a worker_threads entry, not a program');

port.on('message', (job: CountJob) => {
  const result: CountResult = { id: job.id, counts: job.texts.map((t) => countTextTokens(t, job.model)) };
  port.postMessage(result);
});
