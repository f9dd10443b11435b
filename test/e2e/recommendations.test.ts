// The dashboard's Recommendations page in a real browser: 200 tagged requests to GPT-4.1 through the
// OpenAI SDK, each shadowed on GPT-4.1-nano (the emulator echoes the prompt, so the two always agree),
// then the page must show the advice of GET /api/advice (and `costwise advise` on the same SQLite
// ledger must give the same): nano for the tag, with its rule.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestEnv, ledger, type TestEnv } from '../helpers/env.js';
import type { AdviceResponse } from '../../src/server/admin-api.js';
import { browserUnavailable, launch, screenshotDir } from './browser.js';
import { BIN } from '../helpers/process.js';

const run = promisify(execFile);

const unavailable = browserUnavailable();
if (unavailable !== null && process.env['CI']) throw new Error(`the browser tests cannot run in CI: ${unavailable}`);
if (unavailable !== null) process.stderr.write(`skipping the recommendations browser test: ${unavailable}\n`);

const N = 200;

describe.skipIf(unavailable !== null)('Recommendations page', () => {
  let env: TestEnv;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    env = await startTestEnv({ config: { advisor: { shadow: { sample: 1, candidates: ['gpt-4.1-nano'] } } } });
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });
  afterAll(async () => {
    await env.close();
    await browser.close();
  });

  it('shows the cheaper model shadow evaluation vouches for, with the rule of /api/advice', async () => {
    for (let i = 0; i < N; i++) {
      await env.openai.chat.completions.create(
        { model: 'gpt-4.1', max_completion_tokens: 30, messages: [{ role: 'user', content: `Summarise report ${i}` }] },
        { headers: { 'x-costwise-tags': 'summaries', 'x-emulator-echo': '1' } },
      );
    }
    await expect.poll(async () => (await ledger(env)).filter((r) => r.technique === 'shadow').length, { timeout: 10_000 }).toBe(N);
    const advice = (await (await fetch(`${env.gateway.url}/api/advice?days=30`)).json()) as AdviceResponse;
    const rec = advice.recommendations.find((r) => r.kind === 'model')!;
    expect(rec).toMatchObject({ scope: 'tag:summaries', current_model: 'gpt-4.1', recommended_model: 'gpt-4.1-nano' });
    expect(rec.evidence.model).toMatchObject({ shadow_samples: N, agreements: N });

    // `costwise advise` on the same SQLite ledger gives the same advice.
    await env.gateway.deps.store.flush();
    const config = join(dirname(env.dbPath), 'advise.yaml');
    writeFileSync(config, `storage: { ledger: { path: ${JSON.stringify(env.dbPath)} } }\n`);
    const cli = await run(process.execPath, [BIN, 'advise', '-c', config, '--format', 'json']);
    const fromCli = JSON.parse(cli.stdout) as AdviceResponse;
    expect(fromCli.recommendations).toEqual(advice.recommendations);
    expect(fromCli.rejected).toEqual(advice.rejected);

    await page.goto(`${env.gateway.url}/ui/recommendations`);
    const card = page.getByTestId('recommendation').filter({ hasText: 'gpt-4.1 → gpt-4.1-nano' });
    await card.waitFor();
    expect(await card.textContent()).toContain('tag:summaries');
    expect(await card.getByTestId('rule').textContent()).toBe(rec.rule);
    await page.screenshot({ path: `${screenshotDir()}/recommendations.png`, fullPage: true });
    expect(await card.getByTestId('graded').count()).toBe(0);

    // Graded answers (POST /api/feedback): every served and shadow answer right, so the card shows
    // the paired accuracy loss, 0 over 200 pairs, with its interval.
    const shadows = (await ledger(env)).filter((r) => r.technique === 'shadow');
    const feedback = shadows.flatMap((r) => [
      { request_id: r.requestId, score: 1 },
      { request_id: r.parentId!, score: true },
    ]);
    const posted = await fetch(`${env.gateway.url}/api/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ feedback }),
    });
    expect(await posted.json()).toEqual({ stored: 2 * N });
    const graded = (await (await fetch(`${env.gateway.url}/api/advice?days=30`)).json()) as AdviceResponse;
    const g = graded.recommendations.find((r) => r.kind === 'model')!.evidence.model!.graded!;
    expect(g).toMatchObject({ pairs: N, served_only_right: 0, candidate_only_right: 0, accuracy_loss: 0 });
    await page.reload();
    const gradedCard = page.getByTestId('recommendation').filter({ hasText: 'gpt-4.1 → gpt-4.1-nano' });
    await gradedCard.getByTestId('graded').waitFor();
    expect(await gradedCard.getByTestId('graded').textContent()).toContain(`graded: ${N} pairs, accuracy loss 0`);
    expect(pageErrors).toEqual([]);
  });
});
