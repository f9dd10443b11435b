// The prompt-cache planner's observations shared by replicas over one Redis stream, off the
// request path: `publish` only appends to a buffer; a timer sends the buffer every `flushMs` as
// stream entries (one pipelined XADD round-trip, the stream capped at about `maxLen` entries), and
// a reader on its own connection blocks on XREAD and merges the other replicas' events as they
// come. So a replica sees another's arrival or cache write about flushMs + one round-trip later
// (≤ ~250 ms with the defaults), and a Redis that is slow or down never delays a request: events
// wait in the buffer (at most `maxBuffered`, the oldest dropped) or are dropped, and planning goes
// on from what this replica knows.
//
// A replica that starts merges what the stream still holds (the last ~maxLen entries), skipping
// events older than `horizonMs` (1 h: the longest a cache entry lives), so a restart does not
// begin cold. Events carry each replica's clock: hosts are expected to keep time (NTP); an event
// merged late is applied at its own time, not at the time it arrived.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { TTL_MS } from './cost-model.js';
import { decodeEvents, encodeEvents, type PlannerEvent } from './observations.js';

export interface SharedPlannerOptions {
  url: string;
  /** The stream's key; replicas behind one provider cache use the same one. */
  key: string;
  /** How often buffered events are sent. */
  flushMs?: number;
  /** Stream entries kept (approximately: MAXLEN ~). */
  maxLen?: number;
  /** Events waiting to be sent; beyond this the oldest are dropped. */
  maxBuffered?: number;
  /** Events older than this are not merged (a starting replica reading the stream's history). */
  horizonMs?: number;
  /** The planner's clock (events are timestamped with it). */
  now?: () => number;
  log?: (message: string) => void;
}

export interface SharedPlannerStats {
  /** This process's id in the stream (its own entries are skipped). */
  replica: string;
  published: number;
  merged: number;
  dropped: number;
  /** The last Redis failure, if the link is failing now. */
  error: string | null;
}

/** Events per stream entry: a flush of a busy replica is split, so no entry grows without bound. */
const EVENTS_PER_ENTRY = 256;
/** Entries per XREAD. */
const READ_COUNT = 16;
/**
 * Events merged per event-loop turn. Merging one costs about 70 µs for a 30-block prompt (an
 * arrival or a sent request), so a turn stays under ~3 ms and requests in between are not held up.
 */
const MERGE_SLICE = 32;
const BLOCK_MS = 2_000;
const RETRY_MS = 1_000;
const CLOSE_FLUSH_MS = 1_000;

export class RedisPlannerSync {
  readonly replica = randomUUID();
  private readonly writer: Redis;
  private readonly reader: Redis;
  private readonly flushMs: number;
  private readonly maxLen: number;
  private readonly maxBuffered: number;
  private readonly horizonMs: number;
  private readonly now: () => number;
  private readonly log: (message: string) => void;
  private buffer: PlannerEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> = Promise.resolve();
  private reading: Promise<void> = Promise.resolve();
  private closed = false;
  /** Resolves on close: the read loop races every wait against it (a pending XREAD or reconnect may never settle). */
  private readonly stopped: Promise<void>;
  private stop: () => void = () => {};
  /** Stream ids are Redis's wall-clock ms: start at the horizon, not at entries too old to merge. */
  private lastId: string;
  private readonly counts = { published: 0, merged: 0, dropped: 0 };
  private error: string | null = null;

  constructor(private readonly opts: SharedPlannerOptions) {
    this.flushMs = opts.flushMs ?? 200;
    this.maxLen = opts.maxLen ?? 5_000;
    this.maxBuffered = opts.maxBuffered ?? 10_000;
    this.horizonMs = opts.horizonMs ?? TTL_MS['1h'];
    this.lastId = `${Math.max(0, Date.now() - this.horizonMs)}-0`;
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? ((m) => process.stderr.write(`${m}\n`));
    this.writer = new Redis(opts.url, { maxRetriesPerRequest: 1, commandTimeout: 2_000, lazyConnect: true });
    // A blocking XREAD must not time out on the client side; failures come back per call.
    this.reader = new Redis(opts.url, { maxRetriesPerRequest: 1, lazyConnect: true });
    for (const c of [this.writer, this.reader]) c.on('error', () => {});
    this.stopped = new Promise((resolve) => (this.stop = resolve));
  }

  /** Queues one of this replica's events (no I/O here: this runs on the request path). */
  publish(event: PlannerEvent): void {
    if (this.closed) return;
    this.buffer.push(event);
    if (this.buffer.length > this.maxBuffered) {
      // The oldest quarter at once, so a Redis that stays down costs no per-request shifting.
      const drop = Math.ceil(this.maxBuffered / 4);
      this.buffer.splice(0, drop);
      this.counts.dropped += drop;
    }
  }

  /** Starts sending and merging; `merge` receives every other replica's events, in stream order. */
  start(merge: (event: PlannerEvent) => void): void {
    this.timer = setInterval(() => void this.flush(), this.flushMs);
    this.timer.unref();
    this.reading = this.readLoop(merge);
  }

  stats(): SharedPlannerStats {
    return { replica: this.replica, ...this.counts, error: this.error };
  }

  /** Sends what is buffered (also called by the timer). Never rejects. */
  flush(): Promise<void> {
    this.sending = this.sending.then(() => this.send());
    return this.sending;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.stop();
    // The last events, unless Redis is failing: then closing does not wait for its reconnects.
    await Promise.race([this.flush(), new Promise((r) => setTimeout(r, CLOSE_FLUSH_MS).unref())]);
    await this.reading;
    this.reader.disconnect();
    this.writer.disconnect();
  }

  private async send(): Promise<void> {
    if (this.buffer.length === 0) return;
    const events = this.buffer;
    this.buffer = [];
    const pipe = this.writer.pipeline();
    for (let i = 0; i < events.length; i += EVENTS_PER_ENTRY) {
      pipe.xadd(this.opts.key, 'MAXLEN', '~', this.maxLen, '*', 'r', this.replica, 'e', encodeEvents(events.slice(i, i + EVENTS_PER_ENTRY)));
    }
    try {
      const results = (await pipe.exec()) ?? [];
      const failed = results.find(([err]) => err);
      if (failed) throw failed[0]!;
      this.counts.published += events.length;
      this.recovered();
    } catch (err) {
      this.counts.dropped += events.length;
      this.failed(err);
    }
  }

  private async readLoop(merge: (event: PlannerEvent) => void): Promise<void> {
    while (this.open()) {
      try {
        if (this.reader.status === 'wait') await this.untilStopped(this.reader.connect());
        const res = await this.untilStopped(this.reader.xread('COUNT', READ_COUNT, 'BLOCK', BLOCK_MS, 'STREAMS', this.opts.key, this.lastId));
        if (!this.open()) return;
        this.recovered();
        for (const [, entries] of res ?? []) for (const [id, fields] of entries) await this.mergeEntry(id, fields, merge);
      } catch (err) {
        if (!this.open()) return;
        this.failed(err);
        await this.untilStopped(new Promise((r) => setTimeout(r, RETRY_MS).unref()));
      }
    }
  }

  /** The promise's value, or undefined once closed (whichever comes first). */
  private untilStopped<T>(p: Promise<T>): Promise<T | undefined> {
    p.catch(() => {}); // settles after close too: never unhandled
    return Promise.race([p, this.stopped.then(() => undefined)]);
  }

  /** A method, not the field: `closed` changes while the loop awaits. */
  private open(): boolean {
    return !this.closed;
  }

  /** Merges one entry's events, yielding the event loop every MERGE_SLICE events. */
  private async mergeEntry(id: string, fields: readonly string[], merge: (event: PlannerEvent) => void): Promise<void> {
    this.lastId = id;
    let origin: string | undefined;
    let payload: string | undefined;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i] === 'r') origin = fields[i + 1];
      else if (fields[i] === 'e') payload = fields[i + 1];
    }
    if (origin === this.replica || payload === undefined) return;
    const oldest = this.now() - this.horizonMs;
    let slice = 0;
    for (const e of decodeEvents(payload)) {
      if (e.at < oldest) continue;
      if (++slice > MERGE_SLICE) {
        await new Promise((r) => setImmediate(r));
        if (!this.open()) return;
        slice = 1;
      }
      merge(e);
      this.counts.merged++;
    }
  }

  private failed(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (this.error === null) this.log(`costwise: prompt-cache sharing over Redis is failing (${message}); planning goes on from this replica's own traffic`);
    this.error = message;
  }

  private recovered(): void {
    if (this.error !== null) this.log('costwise: prompt-cache sharing over Redis recovered');
    this.error = null;
  }
}
