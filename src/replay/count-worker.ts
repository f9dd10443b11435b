// The worker thread of count-ahead.ts: counts the prompt texts of requests the replay is about
// to send, with what the emulator bills with (countTextTokens, minus its memo), and posts the
// counts back. Protocol: count-ahead.ts (CountJob in, CountResult out). The texts come once each
// (count-ahead.ts dedupes them against the memo and its pending set), so a memo here would only
// hash every text again.
import { parentPort, workerData } from 'node:worker_threads';
import { countTextTokensUnmemoised } from '../tokens/text.js';
import { SKIPPED, type CountItem, type CountJob, type CountResult, type CountWorkerData } from './count-ahead.js';
import { digitText } from './synth.js';

const port = parentPort;
if (port === null) throw new Error('costwise: count-worker.js is a worker_threads entry, not a program');
const { progress } = workerData as CountWorkerData;

const textOf = (item: CountItem): string => (typeof item === 'string' ? item : digitText(item.key, item.tokens));

/** Counts sent back at once at least (each message costs the busy main thread a wake-up). */
const MIN_RESULT = 8;

port.on('message', (job: CountJob) => {
  let counts: number[] = [];
  let from = 0;
  job.items.forEach((item, i) => {
    counts.push(job.needBy[i]! <= Atomics.load(progress, 0) ? SKIPPED : countTextTokensUnmemoised(textOf(item), job.model));
    const last = i === job.items.length - 1;
    if (!last && (job.needBy[i + 1] === job.needBy[i] || counts.length < MIN_RESULT)) return;
    const result: CountResult = { id: job.id, from, counts };
    port.postMessage(result);
    from = i + 1;
    counts = [];
  });
});
