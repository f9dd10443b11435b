// A durable store whose rows are spooled first (spool.ts): `appendLedger` queues the row for this
// turn's spool write (`durable()` resolves once it is on disk), then queues it for the store as before. Once the store has
// written the rows (a flush every `confirmEveryMs`), the spool lets them go. On open, the rows that
// stopped processes left in the spool directory are shipped to the store before anything else;
// the store ignores a request id it already has, so a row is never billed twice. Those rows are
// also `recovered`, for the budgets (server/spool-budgets.ts): with `holdLeftovers`, their files
// stay until `recovered.settled()`, so a start that fails before the budgets have them ships them
// again next time.
import { tupleJson } from './ledger-worker-protocol.js';
import { openSpool, readLeftovers } from './spool.js';
import type { DurableStore, LedgerRow } from './types.js';

export interface SpooledStoreOptions {
  dir: string;
  /** How often written rows are confirmed to the spool (default 1 s). */
  confirmEveryMs?: number;
  /** Keep the leftover files until `recovered.settled()` (default: removed once shipped). */
  holdLeftovers?: boolean;
  log?: (message: string) => void;
}

export interface RecoveredRows {
  /** The rows stopped processes left, now in the store (some were there already). */
  readonly rows: readonly LedgerRow[];
  /** Everything that needed the rows has them: their files go. */
  settled(): void;
}

export interface SpooledStore extends DurableStore {
  readonly recovered: RecoveredRows;
}

export async function openSpooledStore(inner: DurableStore, opts: SpooledStoreOptions): Promise<SpooledStore> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const leftovers = readLeftovers({ dir: opts.dir });
  if (leftovers.rows.length > 0) {
    for (const row of leftovers.rows) inner.appendLedger(row);
    await inner.flush();
    if (opts.holdLeftovers !== true) leftovers.shipped();
    log(`costwise: shipped ${leftovers.rows.length} ledger row(s) a stopped process left in its spool (${opts.dir})`);
  }
  let recoveredRows: readonly LedgerRow[] = leftovers.rows;
  const recovered: RecoveredRows = {
    get rows() {
      return recoveredRows;
    },
    settled() {
      leftovers.shipped();
      recoveredRows = []; // not kept for the life of the store
    },
  };
  let spoolBroken = false;
  const broken = (err: unknown): void => {
    if (spoolBroken) return;
    spoolBroken = true;
    log(`costwise: the ledger spool cannot be written (${err instanceof Error ? err.message : String(err)}); rows are no longer safe from a crash`);
  };
  const spool = openSpool({ dir: opts.dir, onError: broken });
  let appended = 0;
  let confirming: Promise<void> | null = null;

  /** Rows appended before this call are in the store: the spool may forget them. */
  const confirm = (): Promise<void> => {
    const upTo = appended;
    return inner.flush().then(() => spool.confirm(upTo));
  };
  const timer = setInterval(() => {
    if (confirming !== null || appended === 0) return;
    confirming = confirm()
      .catch(() => undefined) // the store says why in its own log; the rows stay spooled
      .finally(() => (confirming = null));
  }, opts.confirmEveryMs ?? 1_000);
  timer.unref();

  return {
    recovered,
    appendLedger(row: LedgerRow): void {
      let json: string | undefined;
      try {
        json = tupleJson(row); // the spool's line, and the form the ledger worker takes the row in
      } catch {
        inner.appendLedger(row); // a row JSON cannot hold: the store reports it
        return;
      }
      if (!spoolBroken) {
        try {
          appended = spool.append(json);
        } catch (err) {
          broken(err);
        }
      }
      inner.appendLedger(row, json);
    },
    durable: () => spool.durable(),
    flush: confirm,
    spend: (q) => inner.spend(q),
    ledgerRows: (o) => inner.ledgerRows(o),
    dashboard: (q) => inner.dashboard(q),
    prune: (s) => inner.prune(s),
    async close() {
      clearInterval(timer);
      await confirming;
      try {
        await confirm();
      } finally {
        spool.close();
        await inner.close();
      }
    },
  };
}
