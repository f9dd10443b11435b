// Recovery pieces in-process: a provider batch left `creating` by a crash (the create reached the
// provider, its id was never stored) is adopted, not created again; and batch prices of every
// token class, cache reads and writes included, are exactly half the list price.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { expectedPico, type TestEnv } from '../helpers/env.js';
import { fetchJson } from '../helpers/json.js';
import { BATCH_BACKENDS, chatLine, startBatchEnv, uploadJsonl, waitOpenAI } from './helpers.js';
import { openAIBatchClient } from '../../src/batch/providers/openai.js';
import { chargeNative } from '../../src/batch/ledger.js';
import type { CanonicalRequest } from '../../src/core/canonical.js';

describe.each(BATCH_BACKENDS)('over the %s batch store', (backend) => {
  let env: TestEnv;
  beforeAll(async () => {
    // The loop runs only when the test kicks it, so nothing reconciles while the "crash" is staged.
    env = await startBatchEnv({ pollIntervalMs: 600_000 }, backend);
  });
  afterAll(() => env.close());

  describe('recovery', () => {
    it('adopts the provider batch a lost create made instead of submitting the items again', async () => {
      const svc = env.gateway.deps.batches;
      const fileId = await uploadJsonl(env.openai, [chatLine('r1', 'gpt-4.1-nano', 'Hi', { max_completion_tokens: 5 })]);
      const b = await env.openai.batches.create(
        { input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h' },
        { headers: { 'x-costwise-approval': 'required' } },
      );
      const item = (await svc.store.items(b.id))[0]!;
      const deployment = env.gateway.deps.catalog.get('gpt-4.1-nano')!;
      // What the runner does before a create: the provider batch row and the item's move, in one transaction …
      const pb = {
        id: 'cwpb_lost',
        batchId: b.id,
        providerName: 'openai',
        kind: 'openai' as const,
        deploymentKey: item.deploymentKey!,
        state: 'creating' as const,
        upstreamId: null,
        items: 1,
        createdAt: Date.now(),
        cancelSent: false,
      };
      expect(await svc.store.assign(pb, [item.seq])).toBe(1);
      // … then the create reaches the provider, and the process dies before storing its id.
      const body = openAIBatchClient.toUpstreamBody(JSON.parse(item.request) as CanonicalRequest, deployment.upstreamModel, []);
      const upstreamId = await openAIBatchClient.create(deployment.provider, [{ customId: item.upstreamCustomId, body }], { tag: pb.id, forwardHeaders: {} });
      await svc.store.transition(b.id, ['awaiting_approval'], 'in_progress', { approvedAt: Date.now(), inProgressAt: Date.now() });
      const deadline = Date.now() + 10_000;
      while (!['completed', 'failed', 'expired', 'cancelled'].includes((await svc.get(b.id))!.state) && Date.now() < deadline) {
        await svc.settle();
        await new Promise((r) => setTimeout(r, 20));
      }
      const done = await waitOpenAI(env.openai, b.id, 1000);
      expect(done.status).toBe('completed');
      expect((await svc.store.providerBatchesIn(['collected'])).find((p) => p.id === pb.id)?.upstreamId).toBe(upstreamId);
      const batches = z.object({ data: z.array(z.object({ metadata: z.record(z.string(), z.string()).nullable() })) });
      const upstream = await fetchJson(`${env.emulator.url}/v1/batches`, batches, { headers: { authorization: 'Bearer x' } });
      expect(upstream.data.filter((x) => x.metadata?.costwise_batch === pb.id)).toHaveLength(1);
    });

    it('prices every token class at half the list price, cache reads and writes included; the baseline is synchronous and uncached', () => {
      const haiku = env.gateway.deps.catalog.get('claude-haiku-4-5')!;
      const usage = { inputTokens: 101, cacheReadTokens: 2000, cacheWrite5mTokens: 300, cacheWrite1hTokens: 50, outputTokens: 41, reasoningTokens: 0 };
      const charge = chargeNative(usage, haiku, undefined);
      expect(BigInt(charge.costPico) * 2n).toBe(expectedPico('claude-haiku-4-5', { input: 101, cacheRead: 2000, write5m: 300, write1h: 50, output: 41 }));
      expect(BigInt(charge.baselinePico)).toBe(expectedPico('claude-haiku-4-5', { input: 101 + 2000 + 300 + 50, output: 41 }));
      // A batch routed away from the model asked for: the baseline is on the model asked for.
      const sonnet = env.gateway.deps.catalog.get('claude-sonnet-4-5')!;
      expect(BigInt(chargeNative(usage, haiku, sonnet).baselinePico)).toBe(expectedPico('claude-sonnet-4-5', { input: 2451, output: 41 }));
    });
  });
});
