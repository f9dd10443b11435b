// The ledger with an observer on every row appended: whatever writes rows (requests, sub-calls,
// provider charges, batch items), the metrics see exactly the rows the ledger gets.
import type { DurableStore, LedgerRow } from '../storage/types.js';

export function observeLedger(store: DurableStore, observe: (row: LedgerRow) => void): DurableStore {
  return {
    appendLedger(row) {
      try {
        observe(row);
      } catch (err) {
        process.stderr.write(`costwise: metrics could not count ledger row ${row.requestId}: ${err instanceof Error ? err.message : String(err)}\n`);
      }
      store.appendLedger(row);
    },
    ...(store.durable !== undefined ? { durable: () => store.durable?.() } : {}),
    flush: () => store.flush(),
    spend: (query) => store.spend(query),
    ledgerRows: (options) => store.ledgerRows(options),
    dashboard: (query) => store.dashboard(query),
    prune: (step) => store.prune(step),
    close: () => store.close(),
  };
}
