// Replays a trace through one policy: a fresh emulator and gateway on one simulated clock, the
// trace's requests sent one at a time in arrival order, then the ledger read back.
//
// One at a time because the outcome of a request depends on what came before it (prompt caches,
// the response cache, reuse statistics, breakers): with several in flight, their interleaving
// would decide the costs and two runs could differ. Sequential sends make a replay a pure
// function of (trace, policy, seed).
import { startEmulator } from '../emulator/server.js';
import type { OutcomeOptions } from '../emulator/outcomes.js';
import { startGateway } from '../server/gateway.js';
import type { LedgerRow, SpendBucket } from '../storage/types.js';
import { SimClock, simulatedResilience } from './clock.js';
import { RELATIVE_EPOCH_MS } from './formats/mooncake.js';
import { replayConfig, type ReplayPolicy } from './policy.js';
import { CountAhead } from './count-ahead.js';
import { httpSender } from './send.js';
import { directSender } from './send-direct.js';
import { DeferredWork } from './deferred.js';
import type { Trace, WireRequest } from './types.js';

export type ReplaySpeed = 'max' | 'realtime';
/** `http`: loopback HTTP to the listening gateway; `direct`: its request listener in-process (send-direct.ts). */
export type ReplayTransport = 'http' | 'direct';

export interface RunOptions {
  speed: ReplaySpeed;
  transport: ReplayTransport;
  /** Seeds the retry/balancing PRNG (the emulator uses the policy's `emulator.seed`). */
  seed: number;
  onProgress?: (done: number, total: number) => void;
  /** Count the next requests' prompts in a worker thread (count-ahead.ts); default true. */
  countAhead?: boolean;
  /** Recorded answers for the replay's emulator (an outcome trace with responses). */
  outcomes?: OutcomeOptions;
}

/** What one request got back. */
export interface SentRequest {
  line: number;
  status: number;
  requestId: string | null;
  error: string | null;
}

export interface PolicyRun {
  policy: ReplayPolicy;
  sent: SentRequest[];
  /** Every ledger row the replay produced, sub-calls and provider charges included. */
  rows: LedgerRow[];
  /** `GET /api/spend?group_by=technique`, from the same store. */
  byTechnique: SpendBucket[];
  /** Wall time of the send loop (for the speed note on stderr; never part of a report). */
  wallMs: number;
}

// The trace shows traffic that was served: the emulator's default rate limits must not refuse it.
const UNLIMITED = { requestsPerMinute: Number.MAX_SAFE_INTEGER, tokensPerMinute: Number.MAX_SAFE_INTEGER };

/** Requests built (and their prompts handed to the count worker) ahead of the one being sent. */
const LOOKAHEAD = 32;

/**
 * The trace's wire requests in order, each built LOOKAHEAD requests before it is sent, so the
 * count worker has its prompt texts while the requests before it are served.
 */
function* aheadOf(trace: Trace, counter: CountAhead | null): Generator<WireRequest, undefined> {
  const reqs = trace.requests;
  const built: WireRequest[] = [];
  let next = 0;
  for (let i = 0; i < reqs.length; i++) {
    for (; next < reqs.length && next <= i + (counter ? LOOKAHEAD : 0); next++) {
      const w = reqs[next]!.build();
      if (counter && w.prompt) counter.submit(w.prompt.model, w.prompt.texts, next);
      built.push(w);
    }
    if (next === reqs.length) counter?.flush();
    counter?.sending(i);
    yield built.shift()!;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function runPolicy(trace: Trace, policy: ReplayPolicy, opts: RunOptions): Promise<PolicyRun> {
  const first = trace.requests[0]?.ts ?? RELATIVE_EPOCH_MS;
  // Before the servers start, so that a missing worker build fails here and leaks nothing.
  const counter = opts.countAhead === false ? null : new CountAhead();
  const clock = new SimClock(first);
  // Batches (deferred requests) advance only when polled, at instants the replay chooses (deferred.ts).
  const emulator = await startEmulator({
    port: 0,
    seed: policy.config.emulator.seed,
    now: clock.now,
    requireAuth: false,
    rateLimits: UNLIMITED,
    batch: { background: false },
    ...(opts.outcomes ? { outcomes: opts.outcomes } : {}),
  });
  let gateway;
  try {
    gateway = await startGateway({
      config: replayConfig(policy.config, emulator.url),
      clock: clock.now,
      resilienceDeps: simulatedResilience(clock, opts.seed),
      port: 0,
      host: '127.0.0.1',
      batchLoop: 'manual',
    });
  } catch (err) {
    await emulator.close();
    throw err;
  }
  const sender = opts.transport === 'direct' ? directSender(gateway.deps) : httpSender(gateway.url);
  const wires = aheadOf(trace, counter);
  const deferred = new DeferredWork(gateway.deps.batches, clock);
  const sent: SentRequest[] = [];
  const started = performance.now();
  try {
    for (const [i, req] of trace.requests.entries()) {
      if (opts.speed === 'realtime') {
        const due = req.ts - first - (performance.now() - started);
        if (due > 0) await sleep(due);
      }
      await deferred.until(req.ts);
      clock.advanceTo(req.ts);
      const result = await sender.send(wires.next().value!);
      // Shadow calls (advisor.shadow) started by now finish before the next request is sent.
      await gateway.deps.shadow?.drain();
      if (result.status === 202) deferred.deferred();
      sent.push({ line: req.line, ...result });
      opts.onProgress?.(i + 1, trace.requests.length);
    }
    await deferred.drain();
    await gateway.deps.shadow?.drain();
    const wallMs = performance.now() - started;
    // As at shutdown: context caches still alive at the trace's last instant are deleted and their
    // unused storage refunded on the ledger (gateway.close() repeats this harmlessly).
    await gateway.deps.adapters.close();
    await gateway.deps.store.flush();
    const rows = await gateway.deps.store.ledgerRows({ limit: Number.MAX_SAFE_INTEGER });
    const byTechnique = await gateway.deps.store.spend({ groupBy: 'technique' });
    return { policy, sent, rows, byTechnique, wallMs };
  } finally {
    await counter?.close();
    await sender.close();
    await gateway.close();
    await emulator.close();
  }
}
