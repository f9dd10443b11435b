// The labels in a PostgreSQL ledger's schema (the ledger's migration 9 makes the tables), shared
// by every replica. A batch travels as one array per column, unnested on the server.
import postgres, { type Sql } from 'postgres';
import { quotedSchema } from '../postgres/schema.js';
import { textArray } from '../postgres/write.js';
import { PromptQueue } from './queue.js';
import { lastPerRequest, type CapturedPrompt, type Feedback, type LabelReader, type LabelStore } from './types.js';

export class PostgresLabelStore implements LabelStore {
  private readonly feedbackTable: string;
  private readonly promptsTable: string;
  private readonly queue: PromptQueue;

  /**
   * `sql`: the gateway's pool (its owner closes it) or a connection of the reader's own (closed by
   * close()). `present`: false when an older schema has no label tables yet (read as none).
   */
  constructor(
    private readonly sql: Sql,
    schema: string,
    private readonly ownsClient: boolean,
    private readonly present = true,
  ) {
    const s = quotedSchema(schema);
    this.feedbackTable = `${s}.feedback`;
    this.promptsTable = `${s}.captured_prompts`;
    this.queue = new PromptQueue(async (batch) => {
      await this.sql.unsafe(
        `INSERT INTO ${this.promptsTable} (request_id, ts, text) SELECT * FROM unnest($1::text[], $2::int8[], $3::text[])
         ON CONFLICT (request_id) DO NOTHING`,
        [textArray(batch.map((p) => p.requestId)), `{${batch.map((p) => p.ts).join(',')}}`, textArray(batch.map((p) => p.text))],
      );
      return true;
    });
  }

  async putFeedback(items: readonly Feedback[]): Promise<void> {
    const last = lastPerRequest(items);
    if (last.length === 0) return;
    // One statement: all or none.
    await this.sql.unsafe(
      `INSERT INTO ${this.feedbackTable} (request_id, score, comment, ts) SELECT * FROM unnest($1::text[], $2::float8[], $3::text[], $4::int8[])
       ON CONFLICT (request_id) DO UPDATE SET score = EXCLUDED.score, comment = EXCLUDED.comment, ts = EXCLUDED.ts`,
      [
        textArray(last.map((f) => f.requestId)),
        `{${last.map((f) => String(f.score)).join(',')}}`,
        textArray(last.map((f) => f.comment)),
        `{${last.map((f) => f.ts).join(',')}}`,
      ],
    );
  }

  async feedback(from: number): Promise<Feedback[]> {
    if (!this.present) return [];
    const rows = await this.sql.unsafe<{ request_id: string; score: number; comment: string | null; ts: string }[]>(
      `SELECT request_id, score, comment, ts FROM ${this.feedbackTable} WHERE ts >= $1::int8 ORDER BY ts, request_id`,
      [from],
    );
    return rows.map((r) => ({ requestId: r.request_id, score: r.score, comment: r.comment, ts: Number(r.ts) }));
  }

  async prompts(from: number): Promise<CapturedPrompt[]> {
    if (!this.present) return [];
    const rows = await this.sql.unsafe<{ request_id: string; ts: string; text: string }[]>(
      `SELECT request_id, ts, text FROM ${this.promptsTable} WHERE ts >= $1::int8 ORDER BY ts, request_id`,
      [from],
    );
    return rows.map((r) => ({ requestId: r.request_id, ts: Number(r.ts), text: r.text }));
  }

  capturePrompt(p: CapturedPrompt): void {
    this.queue.push(p);
  }

  flush(): Promise<void> {
    return this.queue.flush();
  }

  async close(): Promise<void> {
    await this.queue.flush();
    if (this.ownsClient) await this.sql.end({ timeout: 5 });
  }
}

/** The labels of a PostgreSQL ledger, on a connection of their own (never migrates). */
export async function openPostgresLabelReader(opts: { url: string; schema: string; connectTimeoutMs?: number }): Promise<LabelReader> {
  const sql = postgres(opts.url, { max: 1, connect_timeout: Math.ceil((opts.connectTimeoutMs ?? 10_000) / 1000), onnotice: () => undefined });
  try {
    const [row] = await sql`SELECT to_regclass(${`${quotedSchema(opts.schema)}.feedback`}) IS NOT NULL AS present`;
    return new PostgresLabelStore(sql, opts.schema, true, row?.['present'] === true);
  } catch (err) {
    await sql.end({ timeout: 1 });
    throw err;
  }
}
