// Row ↔ record mapping shared by both batch stores. Both keep the same column names, JSON as text
// and epoch ms as integers (PostgreSQL's int8 arrives as a string: Number() reads either).
import type { BatchRecord, BatchState, FileRecord, ItemRecord, ItemResult, ItemState, ProviderBatchRecord, ProviderBatchState } from './types.js';
import type { JobRecord } from './store.js';

export type Row = Record<string, unknown>;

export const str = (v: unknown): string => v as string;
const optStr = (v: unknown): string | null => (v === null || v === undefined ? null : (v as string));
const optNum = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function toBatch(r: Row): BatchRecord {
  return {
    id: str(r.id),
    format: r.format as BatchRecord['format'],
    state: r.state as BatchState,
    endpoint: str(r.endpoint),
    models: JSON.parse(str(r.models)) as string[],
    inputFileId: optStr(r.input_file_id),
    outputFileId: optStr(r.output_file_id),
    errorFileId: optStr(r.error_file_id),
    total: Number(r.total),
    estimate: JSON.parse(str(r.estimate)) as BatchRecord['estimate'],
    metadata: r.metadata === null ? null : (JSON.parse(str(r.metadata)) as Record<string, string>),
    lineErrors: JSON.parse(str(r.line_errors)) as BatchRecord['lineErrors'],
    tenant: str(r.tenant),
    keyId: str(r.key_id),
    tags: JSON.parse(str(r.tags)) as string[],
    forwardHeaders: JSON.parse(str(r.forward_headers)) as Record<string, string>,
    createdAt: Number(r.created_at),
    approvedAt: optNum(r.approved_at),
    inProgressAt: optNum(r.in_progress_at),
    cancelRequestedAt: optNum(r.cancel_requested_at),
    endedAt: optNum(r.ended_at),
    expiresAt: Number(r.expires_at),
    origin: r.origin as BatchRecord['origin'],
  };
}

export function toItem(r: Row): ItemRecord {
  return {
    batchId: str(r.batch_id),
    seq: Number(r.seq),
    customId: str(r.custom_id),
    upstreamCustomId: str(r.upstream_custom_id),
    request: str(r.request),
    route: r.route as ItemRecord['route'],
    deploymentKey: optStr(r.deployment_key),
    servedModel: optStr(r.served_model),
    requestedModel: optStr(r.requested_model),
    technique: optStr(r.technique),
    routeReason: optStr(r.route_reason),
    state: r.state as ItemState,
    providerBatchId: optStr(r.provider_batch_id),
    result: r.result === null ? null : (JSON.parse(str(r.result)) as ItemResult),
    costPico: Number(r.cost_pico),
    baselinePico: Number(r.baseline_pico),
    billed: Number(r.billed) === 1, // SQLite 0/1, PostgreSQL boolean (Number(true) is 1)
  };
}

export function toProviderBatch(r: Row): ProviderBatchRecord {
  return {
    id: str(r.id),
    batchId: str(r.batch_id),
    providerName: str(r.provider_name),
    kind: r.kind as ProviderBatchRecord['kind'],
    deploymentKey: str(r.deployment_key),
    state: r.state as ProviderBatchState,
    upstreamId: optStr(r.upstream_id),
    items: Number(r.items),
    createdAt: Number(r.created_at),
    cancelSent: Number(r.cancel_sent) === 1,
  };
}

export function toFile(r: Row): FileRecord {
  return {
    id: str(r.id),
    purpose: str(r.purpose),
    filename: str(r.filename),
    bytes: Number(r.bytes),
    lines: Number(r.lines),
    createdAt: Number(r.created_at),
    keyId: str(r.key_id),
    batchId: optStr(r.batch_id),
  };
}

export function toJob(r: Row): JobRecord {
  return {
    id: str(r.id),
    batchId: str(r.batch_id),
    customId: str(r.custom_id),
    format: str(r.format),
    createdAt: Number(r.created_at),
    notAfter: Number(r.not_after),
    webhookState: str(r.webhook_state),
  };
}

/** Forwarded headers in a canonical order, to compare two batches' sets. */
export const headerKey = (h: Readonly<Record<string, string>>): string => JSON.stringify(Object.entries(h).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** The deferral group `caller` joins among `rows` (same tags and forwarded headers), if any. */
export function sameGroup(rows: readonly Row[], tags: readonly string[], forwardHeaders: Readonly<Record<string, string>>): BatchRecord | null {
  const t = JSON.stringify(tags);
  const h = headerKey(forwardHeaders);
  for (const r of rows) {
    const b = toBatch(r);
    if (JSON.stringify(b.tags) === t && headerKey(b.forwardHeaders) === h) return b;
  }
  return null;
}

/** A value either store binds: SQLite and PostgreSQL take the same column values. */
export type ColumnValue = string | number | null;

/** The columns of an INSERT INTO batches, in BATCH_COLUMNS order. */
export const BATCH_COLUMNS = `id, format, state, endpoint, models, input_file_id, output_file_id, error_file_id, total, estimate, metadata,
  line_errors, tenant, key_id, tags, forward_headers, created_at, approved_at, in_progress_at, cancel_requested_at, ended_at, expires_at, origin`;

export function batchParams(b: BatchRecord): ColumnValue[] {
  return [
    b.id,
    b.format,
    b.state,
    b.endpoint,
    JSON.stringify(b.models),
    b.inputFileId,
    b.outputFileId,
    b.errorFileId,
    b.total,
    JSON.stringify(b.estimate),
    b.metadata === null ? null : JSON.stringify(b.metadata),
    JSON.stringify(b.lineErrors),
    b.tenant,
    b.keyId,
    JSON.stringify(b.tags),
    JSON.stringify(b.forwardHeaders),
    b.createdAt,
    b.approvedAt,
    b.inProgressAt,
    b.cancelRequestedAt,
    b.endedAt,
    b.expiresAt,
    b.origin,
  ];
}

/** The columns of an INSERT INTO the items table, in ITEM_COLUMNS order. */
export const ITEM_COLUMNS = `batch_id, seq, custom_id, upstream_custom_id, request, route, deployment_key, served_model, requested_model,
  technique, route_reason, state, result`;

export function itemParams(i: ItemRecord): ColumnValue[] {
  return [
    i.batchId,
    i.seq,
    i.customId,
    i.upstreamCustomId,
    i.request,
    i.route,
    i.deploymentKey,
    i.servedModel,
    i.requestedModel,
    i.technique,
    i.routeReason,
    i.state,
    i.result === null ? null : JSON.stringify(i.result),
  ];
}
