// Two `costwise serve` processes on one Redis (a prefix of its own) in front of one provider (the
// emulator: one Anthropic prompt cache, as replicas sharing an API key share Anthropic's): a
// system prompt sent twice through replica 1 is, for replica 2, already seen twice and already
// cached — it plans a read of it on its first request, and the provider serves that read. A third
// process with `promptCache.sharedStats: false` plans from its own traffic only: the same prompt
// is new to it.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { dropPrefix, redisAvailable, REDIS_URL, uniquePrefix } from '../governance/helpers.js';
import { fetchJson } from '../helpers/json.js';
import { startBin } from '../helpers/process.js';

const HAS_REDIS = await redisAvailable('replica prompt-cache tests');

const Sharing = z.object({
  shared: z.object({ replica: z.string(), published: z.number(), merged: z.number(), dropped: z.number(), error: z.string().nullable() }).nullable(),
});

const policy = Array.from({ length: 150 }, (_, i) => `Rule ${i} for permits: cite the bylaw, stay polite and never guess opening hours or fees.`).join('\n');

describe.runIf(HAS_REDIS)('prompt-cache planning shared by replicas over Redis', () => {
  const children: ChildProcess[] = [];
  const prefix = uniquePrefix('promptcache');
  let emulator: RunningEmulator;
  let urls: string[] = [];

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    const dir = mkdtempSync(join(tmpdir(), 'costwise-pc-replicas-'));
    const config = (name: string, extra: string) => {
      const file = join(dir, `${name}.yaml`);
      writeFileSync(
        file,
        [
          `storage: { ledger: { path: ${JSON.stringify(join(dir, `${name}.db`))} }, dataDir: ${JSON.stringify(join(dir, name))}, state: { kind: redis, url: ${JSON.stringify(REDIS_URL)}, prefix: ${JSON.stringify(prefix)} } }`,
          `providers: [ { name: anthropic, kind: anthropic, baseUrl: ${JSON.stringify(emulator.url)}, apiKey: emulated } ]`,
          'models: [ { name: claude-sonnet-4-5, provider: anthropic } ]',
          extra,
        ].join('\n'),
      );
      return file;
    };
    const shared = config('shared', '');
    const alone = config('alone', 'promptCache: { sharedStats: false }');
    urls = [];
    for (const file of [shared, shared, alone]) urls.push((await startBin(['serve', '--config', file, '--port', '0'], {}, children)).url);
  }, 60_000);

  afterAll(async () => {
    for (const c of children) c.kill('SIGTERM');
    await emulator.close();
    await dropPrefix(prefix);
  });

  async function ask(url: string, question: string): Promise<{ plan: string; read: number; write: number }> {
    const client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: url, maxRetries: 0 });
    const { data, response } = await client.messages
      .create(
        { model: 'claude-sonnet-4-5', max_tokens: 20, system: policy, messages: [{ role: 'user', content: question }] },
        { headers: { 'x-emulator-output-tokens': '5' } },
      )
      .withResponse();
    return {
      plan: response.headers.get('x-costwise-prompt-cache') ?? '',
      read: data.usage.cache_read_input_tokens ?? 0,
      write: (data.usage.cache_creation?.ephemeral_5m_input_tokens ?? 0) + (data.usage.cache_creation?.ephemeral_1h_input_tokens ?? 0),
    };
  }

  const sharing = (url: string) => fetchJson(`${url}/api/promptcache`, Sharing);

  it("replica 2's first request reads the system prompt replica 1 wrote, knowing it is cached and recurring", async () => {
    const [one, two, alone] = urls as [string, string, string];
    const first = await ask(one, 'How do I renew my permit?');
    expect(first.plan).toMatch(/^planned:5m/);
    expect(first.plan).not.toMatch(/cached=|seen=/);
    expect(first.write).toBeGreaterThan(3000);
    const second = await ask(one, 'Can visitors park overnight?');
    expect(second.plan).toMatch(/cached=\d+; seen=2$/);
    expect(second.read).toBeGreaterThan(3000);

    // Replica 1's two arrivals and two sent requests reach replica 2 in the background.
    const deadline = Date.now() + 3_000;
    while ((await sharing(two)).shared!.merged < 4) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 25));
    }
    const viaTwo = await ask(two, 'Is there a fee for a lost permit?');
    const cached = Number(/cached=(\d+)/.exec(viaTwo.plan)?.[1]);
    expect(cached).toBeGreaterThan(3000);
    expect(viaTwo.plan).toMatch(/; seen=3$/);
    expect(viaTwo.read).toBeGreaterThan(3000); // one provider cache: replica 1's write, read through replica 2
    expect(viaTwo.read).toBe(second.read);

    // The process that does not share: the same prompt is new to it (though the provider has it).
    const viaAlone = await ask(alone, 'Where do I apply?');
    expect(viaAlone.plan).toMatch(/^planned:5m/);
    expect(viaAlone.plan).not.toMatch(/cached=|seen=/);
    expect((await sharing(alone)).shared).toBeNull();

    const one1 = (await sharing(one)).shared!;
    const two1 = (await sharing(two)).shared!;
    expect(one1.replica).not.toBe(two1.replica);
    expect(one1.error).toBeNull();
    expect(one1.dropped + two1.dropped).toBe(0);
  }, 30_000);
});
