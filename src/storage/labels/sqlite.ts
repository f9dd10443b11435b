// The labels in a SQLite ledger's file, on a connection of their own in the calling thread: scores
// come from the admin API (a handful of statements), prompts in batches (queue.ts). The ledger's
// worker writes the same file; WAL lets readers on, and the busy timeout orders the writers. A
// busy wait blocks the thread, so a prompt batch written on the queue's timer (the gateway's event
// loop, with requests in flight) waits at most BUSY_PROMPTS_MS for the worker's commit, and tries
// again on the next round; scores, flush() and close() wait up to the connection's 5 s.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { configure, migrate } from '../sqlite-schema.js';
import { PromptQueue } from './queue.js';
import { lastPerRequest, type CapturedPrompt, type Feedback, type LabelReader, type LabelStore } from './types.js';

const BUSY_MS = 5_000;
const BUSY_PROMPTS_MS = 20;

interface FeedbackRow {
  request_id: string;
  score: number;
  comment: string | null;
  ts: number;
}

class SqliteLabelReader implements LabelReader {
  constructor(
    protected readonly db: Database.Database,
    /** false for an older ledger read as it is (the tables come with migration 9). */
    private readonly present: boolean,
  ) {}

  feedback(from: number): Promise<Feedback[]> {
    if (!this.present) return Promise.resolve([]);
    const rows = this.db.prepare('SELECT request_id, score, comment, ts FROM feedback WHERE ts >= ? ORDER BY ts, request_id').all(from) as FeedbackRow[];
    return Promise.resolve(rows.map((r) => ({ requestId: r.request_id, score: r.score, comment: r.comment, ts: r.ts })));
  }

  prompts(from: number): Promise<CapturedPrompt[]> {
    if (!this.present) return Promise.resolve([]);
    const rows = this.db.prepare('SELECT request_id, ts, text FROM captured_prompts WHERE ts >= ? ORDER BY ts, request_id').all(from) as {
      request_id: string;
      ts: number;
      text: string;
    }[];
    return Promise.resolve(rows.map((r) => ({ requestId: r.request_id, ts: r.ts, text: r.text })));
  }

  close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }
}

export class SqliteLabelStore extends SqliteLabelReader implements LabelStore {
  private readonly queue: PromptQueue;
  private readonly upsert: (items: readonly Feedback[]) => void;
  /** Set while flush() or close() waits for the queue: those writes may wait the full timeout. */
  private patient = false;

  /** The ledger file at `path` (created and migrated when it is not yet). */
  constructor(path: string) {
    if (path !== ':memory:' && path !== '') mkdirSync(dirname(resolve(path)), { recursive: true });
    const db = new Database(path, { timeout: BUSY_MS });
    configure(db);
    migrate(db);
    super(db, true);
    const put = db.prepare(
      `INSERT INTO feedback (request_id, score, comment, ts) VALUES (?, ?, ?, ?)
       ON CONFLICT (request_id) DO UPDATE SET score = excluded.score, comment = excluded.comment, ts = excluded.ts`,
    );
    this.upsert = db.transaction((items: readonly Feedback[]) => {
      for (const f of items) put.run(f.requestId, f.score, f.comment, f.ts);
    });
    const capture = db.prepare('INSERT INTO captured_prompts (request_id, ts, text) VALUES (?, ?, ?) ON CONFLICT (request_id) DO NOTHING');
    const captureAll = db.transaction((batch: readonly CapturedPrompt[]) => {
      for (const p of batch) capture.run(p.requestId, p.ts, p.text);
    });
    this.queue = new PromptQueue((batch) => {
      if (this.patient) {
        captureAll.immediate(batch);
        return true;
      }
      db.pragma(`busy_timeout = ${BUSY_PROMPTS_MS}`);
      try {
        captureAll.immediate(batch);
        return true;
      } catch (err) {
        if ((err as { code?: unknown }).code === 'SQLITE_BUSY') return false;
        throw err;
      } finally {
        db.pragma(`busy_timeout = ${BUSY_MS}`);
      }
    });
  }

  putFeedback(items: readonly Feedback[]): Promise<void> {
    try {
      this.upsert(lastPerRequest(items));
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  capturePrompt(p: CapturedPrompt): void {
    this.queue.push(p);
  }

  async flush(): Promise<void> {
    this.patient = true;
    try {
      await this.queue.flush();
    } finally {
      this.patient = false;
    }
  }

  override async close(): Promise<void> {
    await this.flush();
    await super.close();
  }
}

/** The labels of the SQLite ledger at `path`, read-only (a missing file is an error; an older schema reads as none). */
export function openSqliteLabelReader(path: string): LabelReader {
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: 5_000 });
  const present = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'feedback'").get() !== undefined;
  return new SqliteLabelReader(db, present);
}
