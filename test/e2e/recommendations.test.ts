// The dashboard's Recommendations page in a real browser: 200 tagged requests to Sonnet through the
// Anthropic SDK, each shadowed on Haiku (the emulator echoes the prompt, so the two always agree),
// then the page must show the advice of GET /api/advice: Haiku for the tag, with its rule.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestEnv, ledger, type TestEnv } from '../helpers/env.js';
import type { AdviceResponse } from '../../src/server/admin-api.js';
import { browserUnavailable, launch, screenshotDir } from './browser.js';

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
    env = await startTestEnv({ config: { advisor: { shadow: { sample: 1, candidates: ['claude-haiku-4-5'] } } } });
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
      await env.anthropic.messages.create(
        { model: 'claude-sonnet-4-5', max_tokens: 30, messages: [{ role: 'user', content: `Summarise report ${i}` }] },
        { headers: { 'x-costwise-tags': 'summaries', 'x-emulator-echo': '1' } },
      );
    }
    await expect.poll(async () => (await ledger(env)).filter((r) => r.technique === 'shadow').length, { timeout: 10_000 }).toBe(N);
    const advice = (await (await fetch(`${env.gateway.url}/api/advice?days=30`)).json()) as AdviceResponse;
    const rec = advice.recommendations.find((r) => r.kind === 'model')!;
    expect(rec).toMatchObject({ scope: 'tag:summaries', current_model: 'claude-sonnet-4-5', recommended_model: 'claude-haiku-4-5' });
    expect(rec.evidence.model).toMatchObject({ shadow_samples: N, agreements: N });

    await page.goto(`${env.gateway.url}/ui/recommendations`);
    const card = page.getByTestId('recommendation').filter({ hasText: 'claude-sonnet-4-5 → claude-haiku-4-5' });
    await card.waitFor();
    expect(await card.textContent()).toContain('tag:summaries');
    expect(await card.getByTestId('rule').textContent()).toBe(rec.rule);
    await page.screenshot({ path: `${screenshotDir()}/recommendations.png`, fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
