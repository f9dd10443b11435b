// SQLite durable store (the embedded default).
//
// Writes: appendLedger validates the row and queues a snapshot of it; a timer (or a full batch)
// writes the queue in transactions of up to `maxBatch` rows. Each transaction inserts the rows
// (INSERT OR IGNORE on request_id), their tags, and the hourly spend rollups of the rows it really
// inserted — so the rollups always agree with the ledger. A failed write keeps its rows queued and
// is retried with backoff; nothing is thrown at the caller, nothing is dropped without a log line.
//
// Reads: spend() adds whole hours from `spend_hourly` to the raw ledger rows of the partial hours
// at either edge of [from, to), so its cost is bounded by hours × groups, not by ledger size.
//
// Money: INTEGER pico-dollars, summed as two integer parts (whole micro-dollars and the pico
// remainder) read as BigInt, so sums are exact in SQLite up to ~$9.2 trillion. SpendBucket money
// fields are `number`: a bucket above 2^53 pico (~$9,007) comes back as the nearest double.
import Database from 'better-sqlite3';
import type { DurableStore, LedgerRow, SpendBucket, SpendQuery } from './types.js';

export interface SqliteStoreOptions {
  /** Database file, or ':memory:'. */
  path: string;
  /** Longest time a row waits in the queue before it is written (default 50 ms). */
  flushIntervalMs?: number;
  /** Rows per transaction; a queue this long is written on the next turn (default 500). */
  maxBatch?: number;
  /** How long a write waits for another connection's lock before it counts as failed (default 200 ms). */
  busyTimeoutMs?: number;
  /** Where write failures are reported (default: stderr). */
  log?: (message: string) => void;
}

const UNTAGGED = '(untagged)';
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const MAX_RETRY_MS = 5_000;

// Append-only: a released migration is never edited; a schema change is a new entry.
const MIGRATIONS: readonly string[] = [
  // ledger.id is an explicit INTEGER PRIMARY KEY, so VACUUM cannot renumber what ledger_tags
  // refers to. spend_hourly holds, per hour, one row per served model, key and tag (UNTAGGED for
  // rows without tags); money there is split into micro-dollars and pico remainder like the sums.
  // No (served_model, ts) / (key_id, ts) indexes: spend reads the rollup, and those two indexes
  // cost ~40% of the write time (measured); add them in a new migration when a query needs them.
  `CREATE TABLE ledger (
     id                    INTEGER PRIMARY KEY,
     request_id            TEXT NOT NULL UNIQUE,
     ts                    INTEGER NOT NULL,
     tenant                TEXT NOT NULL,
     key_id                TEXT NOT NULL,
     tags                  TEXT NOT NULL,
     ingress               TEXT NOT NULL,
     endpoint              TEXT NOT NULL,
     requested_model       TEXT NOT NULL,
     served_model          TEXT NOT NULL,
     provider              TEXT NOT NULL,
     input_tokens          INTEGER NOT NULL,
     cache_read_tokens     INTEGER NOT NULL,
     cache_write_5m_tokens INTEGER NOT NULL,
     cache_write_1h_tokens INTEGER NOT NULL,
     output_tokens         INTEGER NOT NULL,
     reasoning_tokens      INTEGER NOT NULL,
     cost_pico             INTEGER NOT NULL,
     baseline_pico         INTEGER NOT NULL,
     latency_ms            REAL NOT NULL,
     status                INTEGER NOT NULL,
     stream                INTEGER NOT NULL,
     error_kind            TEXT
   ) STRICT;
   CREATE INDEX ledger_ts ON ledger (ts);
   CREATE TABLE ledger_tags (
     ledger_id INTEGER NOT NULL REFERENCES ledger (id),
     tag       TEXT NOT NULL,
     PRIMARY KEY (ledger_id, tag)
   ) STRICT, WITHOUT ROWID;
   CREATE INDEX ledger_tags_tag ON ledger_tags (tag);
   CREATE TABLE spend_hourly (
     dim                   TEXT NOT NULL CHECK (dim IN ('model', 'key', 'tag')),
     hour                  INTEGER NOT NULL,
     key                   TEXT NOT NULL,
     requests              INTEGER NOT NULL,
     input_tokens          INTEGER NOT NULL,
     cache_read_tokens     INTEGER NOT NULL,
     cache_write_5m_tokens INTEGER NOT NULL,
     cache_write_1h_tokens INTEGER NOT NULL,
     output_tokens         INTEGER NOT NULL,
     cost_micro            INTEGER NOT NULL,
     cost_rem              INTEGER NOT NULL,
     baseline_micro        INTEGER NOT NULL,
     baseline_rem          INTEGER NOT NULL,
     PRIMARY KEY (dim, hour, key)
   ) STRICT, WITHOUT ROWID;`,
];

const COLUMNS = `request_id, ts, tenant, key_id, tags, ingress, endpoint, requested_model, served_model,
  provider, input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens,
  output_tokens, reasoning_tokens, cost_pico, baseline_pico, latency_ms, status, stream, error_kind`;

/** Summed per bucket, in this order, by the rollup and by every spend query arm. */
const SUMS = ['requests', 'input_tokens', 'cache_read_tokens', 'cache_write_5m_tokens',
  'cache_write_1h_tokens', 'output_tokens', 'cost_micro', 'cost_rem', 'baseline_micro', 'baseline_rem'] as const;

type SqlValue = string | number | null;
type Dim = 'model' | 'key' | 'tag';

/** A validated snapshot of a row: its column values (see COLUMNS) and what it adds to the rollups. */
interface QueuedRow {
  params: SqlValue[];
  tags: string[];
  hour: number;
  model: string;
  keyId: string;
  /** One value per SUMS entry. */
  sums: number[];
}

interface RollupCell {
  dim: Dim;
  hour: number;
  key: string;
  sums: number[];
}

interface DbRow {
  request_id: string; ts: number; tenant: string; key_id: string; tags: string; ingress: string;
  endpoint: string; requested_model: string; served_model: string; provider: string;
  input_tokens: number; cache_read_tokens: number; cache_write_5m_tokens: number;
  cache_write_1h_tokens: number; output_tokens: number; reasoning_tokens: number;
  cost_pico: number; baseline_pico: number; latency_ms: number; status: number; stream: number;
  error_kind: string | null;
}

type DbBucket = { key: string | bigint } & Record<(typeof SUMS)[number], bigint | null>;

export function openSqliteStore(opts: SqliteStoreOptions): DurableStore {
  const flushIntervalMs = opts.flushIntervalMs ?? 50;
  const maxBatch = Math.max(1, Math.floor(opts.maxBatch ?? 500));
  const log = opts.log ?? ((message: string) => process.stderr.write(`${message}\n`));

  const db = new Database(opts.path, { timeout: opts.busyTimeoutMs ?? 200 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -32768'); // 32 MiB: keeps the request_id index hot for random ids
  try {
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }

  const insertRow = db.prepare(`INSERT OR IGNORE INTO ledger (${COLUMNS}) VALUES (${Array(22).fill('?').join(', ')})`);
  const insertTag = db.prepare('INSERT OR IGNORE INTO ledger_tags (ledger_id, tag) VALUES (?, ?)');
  const upsertCell = db.prepare(
    `INSERT INTO spend_hourly (dim, hour, key, ${SUMS.join(', ')}) VALUES (?, ?, ?, ${SUMS.map(() => '?').join(', ')})
     ON CONFLICT (dim, hour, key) DO UPDATE SET ${SUMS.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')}`,
  );
  const selectRows = db.prepare(`SELECT ${COLUMNS} FROM ledger ORDER BY ts DESC, id DESC LIMIT ? OFFSET ?`);
  const spendStatements = new Map<SpendQuery['groupBy'], Database.Statement>();

  const queue: QueuedRow[] = [];
  let appended = 0; // rows ever queued
  let written = 0; // rows ever committed (a duplicate request id counts: it was handled)
  let timer: NodeJS.Timeout | null = null;
  let immediate: NodeJS.Immediate | null = null;
  let failures = 0; // consecutive failed writes
  let state: 'open' | 'closing' | 'closed' = 'open'; // appends are accepted until 'closed'
  let droppedAfterClose = 0;
  let rejected = 0;
  let closing: Promise<void> | null = null;

  const writeTransaction = db.transaction((count: number) => {
    const cells = new Map<string, RollupCell>();
    const add = (dim: Dim, hour: number, key: string, sums: number[]) => {
      const id = `${dim}\u0000${hour}\u0000${key}`;
      const cell = cells.get(id);
      if (cell === undefined) {
        cells.set(id, { dim, hour, key, sums: [...sums] });
      } else if (!addInto(cell.sums, sums)) {
        upsertCell.run(dim, hour, key, cell.sums); // a sum would leave the exact range: write it now
        cell.sums = [...sums];
      }
    };
    for (let i = 0; i < count; i++) {
      const row = queue[i];
      if (row === undefined) break;
      const result = insertRow.run(row.params);
      if (result.changes !== 1) continue; // duplicate request id
      for (const tag of row.tags) insertTag.run(result.lastInsertRowid, tag);
      add('model', row.hour, row.model, row.sums);
      add('key', row.hour, row.keyId, row.sums);
      if (row.tags.length === 0) add('tag', row.hour, UNTAGGED, row.sums);
      for (const tag of row.tags) add('tag', row.hour, tag, row.sums);
    }
    for (const cell of cells.values()) upsertCell.run(cell.dim, cell.hour, cell.key, cell.sums);
  });

  /** Writes the oldest batch in one transaction; throws (rows stay queued) on failure. */
  function writeBatch(): void {
    const count = Math.min(queue.length, maxBatch);
    try {
      writeTransaction(count);
    } catch (err) {
      failures += 1;
      if (failures === 1) log(`costwise: ledger write failed, ${queue.length} rows kept queued and retried: ${errorText(err)}`);
      throw err;
    }
    queue.splice(0, count);
    written += count;
    if (failures > 0) {
      log(`costwise: ledger writes recovered after ${failures} failed attempts`);
      failures = 0;
    }
  }

  function schedule(): void {
    if (state === 'closed' || queue.length === 0 || immediate !== null) return;
    if (failures === 0 && queue.length >= maxBatch) {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      immediate = setImmediate(tick);
    } else if (timer === null) {
      const delay = failures === 0 ? flushIntervalMs : Math.min(flushIntervalMs * 2 ** failures, MAX_RETRY_MS);
      timer = setTimeout(tick, delay).unref();
    }
  }

  function tick(): void {
    timer = null;
    immediate = null;
    try {
      writeBatch();
    } catch {
      // logged by writeBatch; schedule() retries with backoff
    }
    if (queue.length > 0 && failures === 0) immediate = setImmediate(tick);
    else schedule();
  }

  async function flush(): Promise<void> {
    const target = appended;
    while (written < target) {
      if (state === 'closed') throw new Error('costwise: the ledger store is closed');
      try {
        writeBatch();
      } catch (err) {
        schedule();
        throw new Error(`costwise: ledger flush failed, ${queue.length} rows still queued: ${errorText(err)}`, { cause: err });
      }
      if (written < target) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Read-your-writes for queries: writes what is queued, unless writes are currently failing. */
  function drainForRead(): void {
    if (state === 'closed') throw new Error('costwise: the ledger store is closed');
    while (failures === 0 && queue.length > 0) {
      try {
        writeBatch();
      } catch {
        schedule();
      }
    }
  }

  return {
    appendLedger(row: LedgerRow): void {
      if (state === 'closed') {
        droppedAfterClose += 1;
        if (droppedAfterClose === 1) log(`costwise: ledger row ${String(row?.requestId)} appended after close was dropped`);
        return;
      }
      const problem = invalidReason(row);
      if (problem !== null) {
        rejected += 1;
        if (/^10*$/.test(String(rejected))) {
          log(`costwise: ledger row ${String(row?.requestId)} rejected, not stored: ${problem} (${rejected} rejected so far)`);
        }
        return;
      }
      queue.push(encode(row));
      appended += 1;
      schedule();
    },

    flush,

    async spend(query: SpendQuery): Promise<SpendBucket[]> {
      const params = spendParams(query);
      drainForRead();
      let stmt = spendStatements.get(query.groupBy);
      if (stmt === undefined) {
        stmt = db.prepare(spendSql(query.groupBy)).safeIntegers(true);
        spendStatements.set(query.groupBy, stmt);
      }
      return toBuckets(stmt.all(params) as DbBucket[], query.groupBy);
    },

    async ledgerRows(options: { limit: number; offset?: number }): Promise<LedgerRow[]> {
      const offset = options.offset ?? 0;
      if (!Number.isSafeInteger(options.limit) || options.limit < 0) throw new Error(`costwise: invalid limit ${options.limit}`);
      if (!Number.isSafeInteger(offset) || offset < 0) throw new Error(`costwise: invalid offset ${offset}`);
      drainForRead();
      return (selectRows.all(options.limit, offset) as DbRow[]).map(decode);
    },

    close(): Promise<void> {
      closing ??= (async () => {
        state = 'closing';
        try {
          // Rows appended while closing (requests finishing during shutdown) are written too.
          while (queue.length > 0) await flush();
        } catch (err) {
          throw new Error(`costwise: ledger store closed with ${queue.length} rows unwritten: ${errorText(err)}`, { cause: err });
        } finally {
          if (timer !== null) clearTimeout(timer);
          if (immediate !== null) clearImmediate(immediate);
          state = 'closed';
          db.close();
        }
      })();
      return closing;
    },
  };
}

function migrate(db: Database.Database): void {
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT');
    const current = (db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null }).v ?? 0;
    if (current > MIGRATIONS.length) {
      throw new Error(`costwise: database schema version ${current} is newer than this build understands (${MIGRATIONS.length})`);
    }
    const record = db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)');
    MIGRATIONS.forEach((sql, index) => {
      if (index + 1 <= current) return;
      db.exec(sql);
      record.run(index + 1, Date.now());
    });
  }).immediate();
}

/** Adds src into target unless a sum would leave the safe-integer range (then returns false). */
function addInto(target: number[], src: readonly number[]): boolean {
  for (let i = 0; i < target.length; i++) {
    if (!Number.isSafeInteger((target[i] ?? 0) + (src[i] ?? 0))) return false;
  }
  for (let i = 0; i < target.length; i++) target[i] = (target[i] ?? 0) + (src[i] ?? 0);
  return true;
}

/**
 * Bounds for the three arms of a spend query: whole hours [hStart, hEnd) from the rollup, raw
 * ledger rows in [from, edgeLo) and [edgeHi, to). ts >= 0 is enforced on append.
 */
function spendParams(query: SpendQuery): Record<string, number> {
  if (!['model', 'day', 'tag', 'key'].includes(query.groupBy)) {
    throw new Error(`costwise: unknown spend grouping ${String(query.groupBy)}`);
  }
  for (const [name, value] of [['from', query.from], ['to', query.to]] as const) {
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
      throw new Error(`costwise: spend bound ${name} must be a finite number of epoch ms, got ${String(value)}`);
    }
  }
  const from = Math.max(query.from ?? 0, 0);
  const to = Math.min(query.to ?? Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const hStart = Math.ceil(from / HOUR_MS);
  const hEnd = Math.floor(to / HOUR_MS);
  if (hStart >= hEnd) return { hStart: 0, hEnd: 0, from, edgeLo: to, edgeHi: to, to };
  return { hStart, hEnd, from, edgeLo: hStart * HOUR_MS, edgeHi: hEnd * HOUR_MS, to };
}

function spendSql(groupBy: SpendQuery['groupBy']): string {
  const dim: Dim = groupBy === 'day' ? 'model' : groupBy;
  const rollupKey = groupBy === 'day' ? 'hour / 24' : 'key';
  const rawKey = { model: 'l.served_model', key: 'l.key_id', day: `l.ts / ${DAY_MS}`, tag: `coalesce(t.tag, '${UNTAGGED}')` }[groupBy];
  const join = groupBy === 'tag' ? 'LEFT JOIN ledger_tags t ON t.ledger_id = l.id' : '';
  const rawSums = `count(*), sum(l.input_tokens), sum(l.cache_read_tokens), sum(l.cache_write_5m_tokens),
    sum(l.cache_write_1h_tokens), sum(l.output_tokens), sum(l.cost_pico / 1000000), sum(l.cost_pico % 1000000),
    sum(l.baseline_pico / 1000000), sum(l.baseline_pico % 1000000)`;
  const raw = (lo: string, hi: string) =>
    `SELECT ${rawKey}, ${rawSums} FROM ledger l INDEXED BY ledger_ts ${join}
     WHERE l.ts >= ${lo} AND l.ts < ${hi} GROUP BY 1`;
  return `SELECT key, ${SUMS.map((c) => `sum(${c}) AS ${c}`).join(', ')} FROM (
      SELECT ${rollupKey} AS key, ${SUMS.map((c) => `sum(${c}) AS ${c}`).join(', ')} FROM spend_hourly
        WHERE dim = '${dim}' AND hour >= @hStart AND hour < @hEnd GROUP BY 1
      UNION ALL ${raw('@from', '@edgeLo')}
      UNION ALL ${raw('@edgeHi', '@to')}
    ) GROUP BY key`;
}

function toBuckets(rows: DbBucket[], groupBy: SpendQuery['groupBy']): SpendBucket[] {
  const exact = rows.map((r) => ({
    key: groupBy === 'day' ? new Date(Number(r.key) * DAY_MS).toISOString().slice(0, 10) : String(r.key),
    cost: (r.cost_micro ?? 0n) * 1_000_000n + (r.cost_rem ?? 0n),
    baseline: (r.baseline_micro ?? 0n) * 1_000_000n + (r.baseline_rem ?? 0n),
    row: r,
  }));
  exact.sort((a, b) => {
    if (groupBy !== 'day' && a.cost !== b.cost) return a.cost > b.cost ? -1 : 1;
    return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  });
  return exact.map(({ key, cost, baseline, row }) => ({
    key,
    requests: Number(row.requests),
    inputTokens: Number(row.input_tokens ?? 0n),
    cacheReadTokens: Number(row.cache_read_tokens ?? 0n),
    cacheWrite5mTokens: Number(row.cache_write_5m_tokens ?? 0n),
    cacheWrite1hTokens: Number(row.cache_write_1h_tokens ?? 0n),
    outputTokens: Number(row.output_tokens ?? 0n),
    costPico: Number(cost),
    baselinePico: Number(baseline),
  }));
}

const STRING_FIELDS = ['requestId', 'tenant', 'keyId', 'ingress', 'endpoint', 'requestedModel', 'servedModel', 'provider'] as const;
const INTEGER_FIELDS = ['inputTokens', 'cacheReadTokens', 'cacheWrite5mTokens', 'cacheWrite1hTokens',
  'outputTokens', 'reasoningTokens', 'costPico', 'baselinePico', 'status'] as const;

/** Why a row cannot be stored faithfully, or null. Checked on append so a bad row never blocks a batch. */
function invalidReason(row: LedgerRow): string | null {
  if (typeof row !== 'object' || row === null) return 'not an object';
  for (const f of STRING_FIELDS) if (typeof row[f] !== 'string') return `${f} is not a string`;
  if (row.requestId === '') return 'requestId is empty';
  if (!Number.isSafeInteger(row.ts) || row.ts < 0) return `ts ${row.ts} is not a non-negative integer of epoch ms`;
  for (const f of INTEGER_FIELDS) if (!Number.isSafeInteger(row[f])) return `${f} ${row[f]} is not a safe integer`;
  if (typeof row.latencyMs !== 'number' || !Number.isFinite(row.latencyMs)) return `latencyMs ${row.latencyMs} is not finite`;
  if (typeof row.stream !== 'boolean') return 'stream is not a boolean';
  if (row.errorKind !== null && typeof row.errorKind !== 'string') return 'errorKind is not a string or null';
  if (!Array.isArray(row.tags) || !row.tags.every((t) => typeof t === 'string')) return 'tags is not an array of strings';
  return null;
}

/** Splits pico-dollars into whole micro-dollars and the pico remainder, as SQLite's / and % do. */
function split(pico: number): [number, number] {
  const micro = Math.trunc(pico / 1_000_000);
  return [micro, pico - micro * 1_000_000];
}

function encode(row: LedgerRow): QueuedRow {
  return {
    params: [row.requestId, row.ts, row.tenant, row.keyId, JSON.stringify(row.tags), row.ingress,
      row.endpoint, row.requestedModel, row.servedModel, row.provider, row.inputTokens,
      row.cacheReadTokens, row.cacheWrite5mTokens, row.cacheWrite1hTokens, row.outputTokens,
      row.reasoningTokens, row.costPico, row.baselinePico, row.latencyMs, row.status,
      row.stream ? 1 : 0, row.errorKind],
    tags: row.tags.length < 2 ? [...row.tags] : [...new Set(row.tags)],
    hour: Math.floor(row.ts / HOUR_MS),
    model: row.servedModel,
    keyId: row.keyId,
    sums: [1, row.inputTokens, row.cacheReadTokens, row.cacheWrite5mTokens, row.cacheWrite1hTokens,
      row.outputTokens, ...split(row.costPico), ...split(row.baselinePico)],
  };
}

function decode(r: DbRow): LedgerRow {
  return {
    requestId: r.request_id, ts: r.ts, tenant: r.tenant, keyId: r.key_id,
    tags: JSON.parse(r.tags) as string[], ingress: r.ingress, endpoint: r.endpoint,
    requestedModel: r.requested_model, servedModel: r.served_model, provider: r.provider,
    inputTokens: r.input_tokens, cacheReadTokens: r.cache_read_tokens,
    cacheWrite5mTokens: r.cache_write_5m_tokens, cacheWrite1hTokens: r.cache_write_1h_tokens,
    outputTokens: r.output_tokens, reasoningTokens: r.reasoning_tokens, costPico: r.cost_pico,
    baselinePico: r.baseline_pico, latencyMs: r.latency_ms, status: r.status,
    stream: r.stream === 1, errorKind: r.error_kind,
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
