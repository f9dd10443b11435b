// Leases of the PostgreSQL batch store, with two stores on one schema standing for two replicas:
// replicas leasing at once take disjoint batches and every batch is taken; a live lease is not
// taken; an expired one is, and the pipeline items its owner was running are pending again (once);
// a released one is free at once; deferred requests appended at once from both are numbered
// without a gap or a duplicate. Times are passed in, so expiry needs no waiting.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresBatchStore, type PostgresBatchStore } from '../../src/batch/postgres/store.js';
import type { Lease } from '../../src/batch/store.js';
import type { BatchRecord, ItemRecord } from '../../src/batch/types.js';
import { PG_URL, postgresUp, schemaName } from '../storage/backends.js';
import { dropSchema } from './helpers.js';

const HAS_PG = await postgresUp();
const T0 = 1_800_000_000_000;
const LEASE_MS = 30_000;
const STATES = ['collecting', 'in_progress', 'cancelling'] as const;

const lease = (owner: string, now: number): Lease => ({ owner, now, until: now + LEASE_MS });

function batch(id: string, state: BatchRecord['state'], createdAt: number): BatchRecord {
  const estimate = {
    requests: 0,
    input_tokens: 0,
    expected_output_tokens: 0,
    worst_output_tokens: 0,
    expected_usd: '0',
    worst_usd: '0',
    sync_expected_usd: '0',
    saving_usd: '0',
    output_basis: {},
    models: {},
  };
  return {
    id,
    format: 'openai',
    state,
    endpoint: '/v1/chat/completions',
    models: [],
    inputFileId: null,
    outputFileId: null,
    errorFileId: null,
    total: 0,
    estimate,
    metadata: null,
    lineErrors: [],
    tenant: 'default',
    keyId: 'k',
    tags: [],
    forwardHeaders: {},
    createdAt,
    approvedAt: createdAt,
    inProgressAt: createdAt,
    cancelRequestedAt: null,
    endedAt: null,
    expiresAt: createdAt + 86_400_000,
    origin: 'api',
  };
}

function item(batchId: string, seq: number): ItemRecord {
  return {
    batchId,
    seq,
    customId: `c${seq}`,
    upstreamCustomId: `c${seq}`,
    request: '{}',
    route: 'pipeline',
    deploymentKey: 'emu/gemini-2.5-flash',
    servedModel: 'gemini-2.5-flash',
    requestedModel: null,
    technique: null,
    routeReason: null,
    state: 'pending',
    providerBatchId: null,
    result: null,
    costPico: 0,
    baselinePico: 0,
    billed: false,
  };
}

describe.runIf(HAS_PG)('PostgreSQL batch leases between two replicas', () => {
  const schema = schemaName();
  let a: PostgresBatchStore;
  let b: PostgresBatchStore;

  beforeAll(async () => {
    a = openPostgresBatchStore({ url: PG_URL, schema });
    b = openPostgresBatchStore({ url: PG_URL, schema });
    // Both migrate at once: one applies the migrations, the other finds them applied.
    await Promise.all([a.ready(), b.ready()]);
  });

  afterAll(async () => {
    await a.close();
    await b.close();
    await dropSchema(schema);
  });

  it('two replicas leasing at once take disjoint batches, all of them; a live lease stays with its owner', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `batch_lease_${i}`);
    for (const [i, id] of ids.entries()) await a.insertBatch(batch(id, 'in_progress', T0 + i), [item(id, 0)]);
    const [ofA, ofB] = await Promise.all([a.leaseBatches(STATES, lease('A', T0)), b.leaseBatches(STATES, lease('B', T0))]);
    const taken = [...ofA.batches, ...ofB.batches].map((x) => x.id).sort();
    expect(taken).toEqual([...ids].sort());
    expect(ofA.takenOver).toEqual([]);
    expect(ofB.takenOver).toEqual([]);
    // Within the lease, each keeps its own and gets nothing of the other's.
    const againA = await a.leaseBatches(STATES, lease('A', T0 + 1_000));
    const againB = await b.leaseBatches(STATES, lease('B', T0 + 1_000));
    expect(againA.batches.map((x) => x.id).sort()).toEqual(ofA.batches.map((x) => x.id).sort());
    expect(againB.batches.map((x) => x.id).sort()).toEqual(ofB.batches.map((x) => x.id).sort());
    // Clean up for the next test: every one ended.
    for (const id of ids) await a.transition(id, ['in_progress'], 'completed');
  });

  it('an expired lease is taken over, with its running pipeline items pending again; a renewed or released one as its owner says', async () => {
    const id = 'batch_takeover';
    await a.insertBatch(batch(id, 'in_progress', T0), [item(id, 0), item(id, 1)]);
    expect((await a.leaseBatches(STATES, lease('A', T0))).batches.map((x) => x.id)).toEqual([id]);
    expect(await a.claim(id, 0)).toBe(true);
    // B looks within A's lease: nothing for it.
    expect((await b.leaseBatches(STATES, lease('B', T0 + LEASE_MS - 1))).batches).toEqual([]);
    // A stops renewing; past its lease B takes the batch, and A's running item is pending again.
    const late = await b.leaseBatches(STATES, lease('B', T0 + LEASE_MS + 1));
    expect(late.batches.map((x) => x.id)).toEqual([id]);
    expect(late.takenOver).toEqual([id]);
    expect((await b.counts(id)).running).toBe(0);
    expect((await b.counts(id)).pending).toBe(2);
    // B renews it (its own, not taken over again) …
    expect(await b.claim(id, 0)).toBe(true);
    await b.renewLeases(lease('B', T0 + 2 * LEASE_MS));
    const renewed = await b.leaseBatches(STATES, lease('B', T0 + 2 * LEASE_MS + 10));
    expect(renewed.takenOver).toEqual([]);
    expect((await b.counts(id)).running).toBe(1);
    expect((await a.leaseBatches(STATES, lease('A', T0 + 2 * LEASE_MS + 20))).batches).toEqual([]);
    // … and releases it on a clean stop: A may take it at once.
    await b.releaseLeases('B');
    const freed = await a.leaseBatches(STATES, lease('A', T0 + 2 * LEASE_MS + 30));
    expect(freed.batches.map((x) => x.id)).toEqual([id]);
    expect(freed.takenOver).toEqual([]);
    await a.transition(id, ['in_progress'], 'completed');
  });

  it('deferred requests appended at once through both replicas are numbered 0..n-1, each once, and stop when the group is flushed', async () => {
    const id = 'batch_collecting';
    await a.insertBatch({ ...batch(id, 'collecting', T0), origin: 'deferral' }, []);
    const append = (store: PostgresBatchStore, n: number) =>
      store.appendDeferred({
        batchId: id,
        item: (seq) => ({ item: { ...item(id, seq), customId: `job_${n}` }, model: n % 2 === 0 ? 'gemini-2.5-flash' : 'gpt-4.1-nano' }),
        job: { id: `job_${n}`, format: 'openai', createdAt: T0, notAfter: T0 + 1, webhook: false },
        reservation: n % 5 === 0 ? JSON.stringify({ n }) : null,
      });
    const joined = await Promise.all(Array.from({ length: 20 }, (_, n) => append(n % 2 === 0 ? a : b, n)));
    expect(joined.map((j) => j!.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const stored = (await a.batch(id))!;
    expect(stored.total).toBe(20);
    expect(stored.models.sort()).toEqual(['gemini-2.5-flash', 'gpt-4.1-nano']);
    expect(await a.holdsOf(id)).toHaveLength(4);
    expect(await a.transition(id, ['collecting'], 'in_progress')).toBe(true);
    expect(await append(b, 99)).toBeNull();
  });
});
