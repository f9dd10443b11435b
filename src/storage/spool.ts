// The ledger's spool: every row is appended to a local file before its response finishes, so a row
// survives the process being killed (SIGKILL) between the answer and the ledger's batched write.
// Rows appended in one turn of the event loop go to the file in one synchronous write at the end
// of that turn (group commit: a write syscall per turn, not per row); `durable()` is the promise a
// responder awaits before it ends its answer. The store confirms rows once they are committed; a spool whose rows
// are all confirmed is rotated away. On start, the spool files that processes which are no longer
// running left behind are read back and shipped to the ledger again (the ledger ignores a request
// id it already has, so shipping twice never bills twice).
//
// One file per process (`<pid>-<start>.spool` in the spool directory), JSON lines after a header
// line. A line cut short by a kill is the last one, and is ignored.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { LedgerRow } from './types.js';
import { fromTuple, type RowTuple } from './ledger-worker-protocol.js';

export interface LedgerSpool {
  /** Queues a row's line, its `tupleJson` (ledger-worker-protocol.ts), for this turn's write; its sequence number (1, 2, …). */
  append(tupleJson: string): number;
  /** Resolves once every row appended so far is in the file; undefined when they already are. */
  durable(): Promise<void> | undefined;
  /** Every row up to `seq` is in the ledger. */
  confirm(seq: number): void;
  /** Closes the file; it is removed when every row in it was confirmed. */
  close(): void;
  readonly path: string;
}

export interface Leftovers {
  /** Rows that earlier processes spooled and never saw confirmed (some may be in the ledger already). */
  rows: LedgerRow[];
  /** Call once `rows` are in the ledger: their files are removed. */
  shipped(): void;
}

export interface SpoolOptions {
  dir: string;
  /** A spool with every row confirmed is replaced by a new file once it is this large (default 8 MiB). */
  rotateBytes?: number;
  /** Whether a process is running (default: signal 0). */
  isRunning?: (pid: number) => boolean;
  /** A write to the spool file failed (rows stay with the store, no longer safe from a crash). */
  onError?: (err: unknown) => void;
}

// v1: each line a row object. v2: each line a JSON array in V2_FIELDS order (half the cost of an
// object). v3: each line the row's RowTuple (ledger-worker-protocol.ts), the codec the ledger worker
// uses. v4: the same, with promptTokensRemoved appended to the tuple. v5: with promptHash, maxTokens
// and stopReason appended too. Files of the older versions, left by an earlier build, are still
// read; their rows removed no prompt tokens and carry null for the v5 fields.
const HEADER_V1 = 'costwise-spool v1';
const HEADER_V2 = 'costwise-spool v2';
const HEADER_V3 = 'costwise-spool v3';
const HEADER_V4 = 'costwise-spool v4';
const HEADER_V5 = 'costwise-spool v5';
const HEADERS: ReadonlyMap<string | undefined, SpoolVersion> = new Map([
  [HEADER_V1, 1],
  [HEADER_V2, 2],
  [HEADER_V3, 3],
  [HEADER_V4, 4],
  [HEADER_V5, 5],
]);
type SpoolVersion = 1 | 2 | 3 | 4 | 5;

const V2_FIELDS = [
  'requestId',
  'ts',
  'tenant',
  'keyId',
  'tags',
  'ingress',
  'endpoint',
  'requestedModel',
  'servedModel',
  'provider',
  'inputTokens',
  'cacheReadTokens',
  'cacheWrite5mTokens',
  'cacheWrite1hTokens',
  'outputTokens',
  'reasoningTokens',
  'costPico',
  'baselinePico',
  'promptCachePico',
  'latencyMs',
  'status',
  'stream',
  'errorKind',
  'route',
  'technique',
  'parentId',
  'attempts',
  'cache',
] as const satisfies ReadonlyArray<keyof LedgerRow>;

function fromV2(values: readonly unknown[]): LedgerRow {
  const row: Record<string, unknown> = {};
  V2_FIELDS.forEach((field, i) => (row[field] = values[i]));
  return row as unknown as LedgerRow;
}

function rowOf(version: SpoolVersion, parsed: unknown): LedgerRow {
  if (version === 5) return fromTuple(parsed as RowTuple);
  if (version === 4) return fromTuple([...(parsed as unknown[]), null, null, null] as RowTuple);
  if (version === 3) return fromTuple([...(parsed as unknown[]), 0, null, null, null] as RowTuple);
  const row = version === 2 ? fromV2(parsed as unknown[]) : (parsed as LedgerRow);
  row.promptTokensRemoved = 0;
  row.promptHash = null;
  row.maxTokens = null;
  row.stopReason = null;
  return row;
}

function defaultIsRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Another replica sharing the directory may have shipped and removed it first. */
function removeIfThere(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** The spool files left by processes that are no longer running, read back. */
export function readLeftovers(opts: SpoolOptions): Leftovers {
  const isRunning = opts.isRunning ?? defaultIsRunning;
  if (!existsSync(opts.dir)) return { rows: [], shipped: () => undefined };
  const files: string[] = [];
  const rows: LedgerRow[] = [];
  for (const name of readdirSync(opts.dir).sort()) {
    const m = /^(\d+)-\d+\.spool$/.exec(name);
    if (!m || isRunning(Number(m[1]))) continue;
    const path = join(opts.dir, name);
    files.push(path);
    const lines = readFileSync(path, 'utf8').split('\n');
    const version = HEADERS.get(lines[0]);
    if (version === undefined) continue;
    for (let i = 1; i < lines.length; i++) {
      const text = lines[i]!;
      if (text === '') continue;
      try {
        const parsed = JSON.parse(text) as unknown;
        rows.push(rowOf(version, parsed));
      } catch {
        // The line a kill cut short: the process died before that row's response finished.
      }
    }
  }
  return {
    rows,
    shipped() {
      for (const f of files) removeIfThere(f);
    },
  };
}

export function openSpool(opts: SpoolOptions): LedgerSpool {
  mkdirSync(opts.dir, { recursive: true });
  const rotateBytes = opts.rotateBytes ?? 8 * 1024 * 1024;
  let generation = 0;
  let path = '';
  let fd = -1;
  let bytes = 0;
  let appended = 0;
  let confirmed = 0;

  const open = (): void => {
    path = join(opts.dir, `${process.pid}-${Date.now()}${String(generation++).padStart(3, '0')}.spool`);
    fd = openSync(path, 'a');
    const header = `${HEADER_V5}\n`;
    writeSync(fd, header);
    bytes = header.length;
  };
  const rotate = (): void => {
    closeSync(fd);
    unlinkSync(path);
    open();
  };
  open();

  // Lines of this turn, written together by a setImmediate (after the turn's I/O callbacks).
  let lines = '';
  let turn: { promise: Promise<void>; resolve: () => void } | null = null;
  const write = (): void => {
    const t = turn;
    turn = null;
    if (t === null) return;
    const chunk = lines;
    lines = '';
    try {
      writeSync(fd, chunk);
      bytes += Buffer.byteLength(chunk);
    } catch (err) {
      // Answers are not held back by a broken spool: the store still gets the rows.
      opts.onError?.(err);
    }
    t.resolve();
  };

  return {
    get path() {
      return path;
    },
    append(tupleJson) {
      lines += tupleJson + '\n';
      if (turn === null) {
        let resolve!: () => void;
        const promise = new Promise<void>((res) => (resolve = res));
        turn = { promise, resolve };
        setImmediate(write);
      }
      return ++appended;
    },
    durable() {
      return turn?.promise;
    },
    confirm(seq) {
      if (seq > confirmed) confirmed = Math.min(seq, appended);
      if (turn === null && confirmed === appended && bytes >= rotateBytes) rotate();
    },
    close() {
      if (fd < 0) return;
      write();
      closeSync(fd);
      fd = -1;
      if (confirmed === appended && existsSync(path) && statSync(path).isFile()) unlinkSync(path);
    },
  };
}
