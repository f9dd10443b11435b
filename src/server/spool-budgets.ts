// Budgets for the rows a killed process left in its spool. The restarted process has shipped them
// to the ledger (storage/spooled.ts); here each request's cost (its row and its sub-calls') is
// charged to the budgets of its key, team chain and tags, under the request id. A request the
// killed process settled before it died left that id behind (ReserveRequest.chargeId), so it
// counts once; one it answered but never settled is counted now, instead of its reservation
// lapsing as if nothing had been spent. Batch items are billed by their batch's own reservation,
// and are not charged here.
import { budgetScopes, type ChargeStatus } from '../governance/index.js';
import type { Governance } from '../pipeline/governance.js';
import type { LedgerRow } from '../storage/types.js';
import { isRequestId } from './ids.js';

/** A request's key, tags and time (from its own row when spooled, else from a sub-call's) and its cost. */
interface SpooledRequest {
  keyId: string;
  tags: readonly string[];
  ts: number;
  pico: bigint;
}

export interface SpoolCharges {
  /** Requests charged to at least one budget now. */
  charged: number;
  /** Requests the killed process had already settled (or a previous recovery charged). */
  duplicate: number;
  /** Charges left to the ledger's retry queue (the shared state is down). */
  queued: number;
}

export async function chargeSpooledRequests(rows: readonly LedgerRow[], governance: Governance): Promise<SpoolCharges> {
  const counts: SpoolCharges = { charged: 0, duplicate: 0, queued: 0 };
  for (const [id, r] of byRequest(rows)) {
    if (r.pico <= 0n) continue;
    const found = governance.resolver.byId(r.keyId);
    if (found === undefined) continue; // no key (open auth), or one since deleted: no budgets
    const scopes = budgetScopes({
      key: found.key,
      teams: found.teams,
      tags: r.tags,
      tagBudgets: governance.tagBudgets,
      at: r.ts,
      timeZone: governance.settings.timeZone,
    });
    if (scopes.length === 0) continue;
    const status: ChargeStatus = await governance.budgets.charge({ id, scopes, amountPico: r.pico });
    counts[status] += 1;
    if (status === 'charged') governance.alerts.check(scopes);
  }
  return counts;
}

/** Gateway requests' rows summed per request id (a sub-call's row under its parent's). */
function byRequest(rows: readonly LedgerRow[]): Map<string, SpooledRequest> {
  const requests = new Map<string, SpooledRequest>();
  const seen = new Set<string>();
  for (const row of rows) {
    if (seen.has(row.requestId)) continue; // spooled twice: counted once, as the ledger does
    seen.add(row.requestId);
    const id = row.parentId ?? row.requestId;
    if (!isRequestId(id)) continue;
    let r = requests.get(id);
    if (r === undefined) requests.set(id, (r = { keyId: row.keyId, tags: row.tags, ts: row.ts, pico: 0n }));
    else if (row.parentId === null) Object.assign(r, { keyId: row.keyId, tags: row.tags, ts: row.ts });
    r.pico += BigInt(row.costPico);
  }
  return requests;
}
