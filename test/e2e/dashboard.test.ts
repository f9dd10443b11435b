// The dashboard in a real browser: requests go through the gateway with the official SDKs, then
// every page is opened and its figures checked against the ledger. Screenshots go to
// test-artifacts/screenshots/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import Anthropic from '@anthropic-ai/sdk';
import { z } from 'zod';
import { startTestEnv, usdToPico, type TestEnv } from '../helpers/env.js';
import { LedgerPage, type LedgerRowJson } from '../helpers/api-json.js';
import { fetchJson } from '../helpers/json.js';
import { browserUnavailable, launch, screenshotDir } from './browser.js';

const unavailable = browserUnavailable();
if (unavailable !== null && process.env['CI']) throw new Error(`the browser tests cannot run in CI: ${unavailable}`);
if (unavailable !== null) process.stderr.write(`skipping the dashboard browser tests: ${unavailable}\n`);

// The one DOM global a page.evaluate() callback below reads (it runs in the browser, which has it):
// declared here rather than adding the DOM lib to the whole test program, where it would also
// retype fetch's Response.json() as returning any.
declare const document: { documentElement: { scrollWidth: number } };

interface Sent {
  id: string;
  model: string;
}

let env: TestEnv;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const sent: Sent[] = [];
let shots: string;

function api<S extends z.ZodType>(path: string, schema: S): Promise<z.output<S>> {
  return fetchJson(`${env.gateway.url}${path}`, schema);
}

async function ledger(): Promise<LedgerRowJson[]> {
  return (await api('/api/requests?limit=1000', LedgerPage)).data;
}

async function shot(name: string, target: Page = page): Promise<void> {
  await target.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
}

async function goto(nav: string, ready: string): Promise<void> {
  await page.getByTestId(`nav-${nav}`).click();
  await page.getByTestId(ready).first().waitFor();
}

describe.skipIf(unavailable !== null)('dashboard in chromium', () => {
  beforeAll(async () => {
    shots = screenshotDir();
    env = await startTestEnv();
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  // Closed in the order they were started: if a start failed, what started before it is closed
  // first, and only then does the close of what never started fail the hook.
  afterAll(async () => {
    await env.close();
    await browser.close();
  });

  it('says what to do on a fresh install', async () => {
    await page.goto(`${env.gateway.url}/ui/`);
    await page.getByTestId('overview-empty').waitFor();
    expect(await page.getByTestId('overview-empty').textContent()).toContain('No requests in this range yet');
    await shot('overview-empty');
    await goto('requests', 'requests-empty');
  });

  it('sends requests through the gateway with the official SDKs', async () => {
    const chat = async (model: string, extra: { temperature?: number } = {}) => {
      const { response } = await env.openai.chat.completions
        .create({ model, messages: [{ role: 'user', content: `Say hello to the dashboard (${model})` }], max_completion_tokens: 30, ...extra })
        .withResponse();
      sent.push({ id: response.headers.get('x-costwise-request-id')!, model });
      return response;
    };
    await chat('gpt-4.1-mini');
    await chat('gemini-2.5-flash');
    await chat('auto'); // routed to the default tier
    const { response } = await env.anthropic.messages
      .create({ model: 'claude-haiku-4-5', max_tokens: 30, messages: [{ role: 'user', content: 'Hello from the Anthropic SDK' }] })
      .withResponse();
    sent.push({ id: response.headers.get('x-costwise-request-id')!, model: 'claude-haiku-4-5' });
    await chat('gpt-4.1-nano', { temperature: 0 });
    const hit = await chat('gpt-4.1-nano', { temperature: 0 });
    expect(hit.headers.get('x-costwise-cache')).toBe('hit-exact');
    expect((await ledger()).map((r) => r.requestId)).toEqual(expect.arrayContaining(sent.map((s) => s.id)));
  });

  it('shows on the overview the totals of /api/spend, which add up the ledger', async () => {
    await page.goto(`${env.gateway.url}/ui/`);
    await page.getByTestId('total-cost').waitFor();
    const spend = await api(
      '/api/spend?group_by=technique',
      z.object({ total: z.object({ cost_usd: z.string(), saving_usd: z.string(), baseline_usd: z.string() }) }),
    );
    const rows = await ledger();
    const topLevel = rows.filter((r) => r.parentId === null);
    expect(usdToPico(spend.total.cost_usd)).toBe(rows.reduce((n, r) => n + usdToPico(r.cost_usd), 0n));
    expect(usdToPico(spend.total.baseline_usd)).toBe(rows.reduce((n, r) => n + usdToPico(r.baseline_usd), 0n));
    expect(await page.getByTestId('total-cost').getAttribute('data-value')).toBe(spend.total.cost_usd);
    expect(await page.getByTestId('total-saving').getAttribute('data-value')).toBe(spend.total.saving_usd);
    expect(await page.getByTestId('total-baseline').getAttribute('data-value')).toBe(spend.total.baseline_usd);
    expect(await page.getByTestId('total-requests').textContent()).toBe(String(topLevel.length));
    expect(Number(spend.total.saving_usd)).toBeGreaterThan(0); // the cache hit saved its whole baseline
    await page.locator('[data-testid="chart-spend"] canvas').waitFor();
    await page.getByTestId('saving-split').getByText('Response cache (exact)').waitFor();
    await page.getByTestId('percentiles').locator('tbody tr').first().waitFor();
    await shot('overview');
  });

  it('lists every request id, searches, and opens one request in detail', async () => {
    await goto('requests', 'requests-table');
    const table = page.getByTestId('requests-table');
    for (const s of sent) await expect.poll(() => table.textContent()).toContain(s.id);
    await shot('requests');

    const routed = (await ledger()).find((r) => r.requestId === sent.find((s) => s.model === 'auto')!.id)!;
    await page.getByTestId('search').fill(routed.requestId);
    await expect.poll(() => page.getByTestId('request-link').allTextContents()).toEqual([routed.requestId]);
    await page.getByTestId('request-link').click();
    await page.getByTestId('request-detail').waitFor();
    expect(await page.getByTestId('requested-model').textContent()).toBe('auto');
    expect(await page.getByTestId('served-model').textContent()).toContain(routed.servedModel);
    expect(await page.getByTestId('route').textContent()).toBe(routed.route);
    expect(await page.getByTestId('detail-cost').locator('[data-value]').getAttribute('data-value')).toBe(routed.cost_usd);
    expect(await page.getByTestId('detail-baseline').locator('[data-value]').getAttribute('data-value')).toBe(routed.baseline_usd);
    await shot('request-detail');
  });

  it('shows the routing mix, the cache hit rate, the empty batches list', async () => {
    const topLevel = (await ledger()).filter((r) => r.parentId === null);
    await goto('routing', 'routing-requests');
    expect(await page.getByTestId('routing-requests').textContent()).toBe(String(topLevel.length));
    await page.getByTestId('by-model').getByText('gpt-4.1-nano').waitFor();
    await shot('routing');

    await goto('caching', 'hit-rate');
    const lookups = topLevel.filter((r) => r.cache !== null);
    const hits = lookups.filter((r) => r.cache === 'hit-exact').length;
    expect(hits).toBe(1);
    expect(await page.getByTestId('hit-rate').textContent()).toBe(`${((hits / lookups.length) * 100).toFixed(1)}%`);
    await shot('caching');

    // No batch was submitted yet: the page says so.
    await goto('batches', 'batches-empty');
    expect(await page.getByTestId('batches-empty').textContent()).toMatch(/No batches yet/);
    await shot('batches');
  });

  it('approves a batch that waits for approval from the Batches page; it then runs to the end', async () => {
    const anthropic = new Anthropic({ apiKey: 'sk-test-key', baseURL: env.gateway.url, maxRetries: 0 });
    const created = await anthropic.messages.batches.create(
      {
        requests: ['one', 'two', 'three'].map((n) => ({
          custom_id: `item-${n}`,
          params: { model: 'claude-haiku-4-5', max_tokens: 20, messages: [{ role: 'user' as const, content: `Batch item ${n}` }] },
        })),
      },
      { headers: { 'x-costwise-approval': 'required' } },
    );
    await page.reload();
    await goto('batches', 'batches-table');
    const row = page.locator(`tr[data-batch="${created.id}"]`);
    expect(await row.locator('td').nth(1).textContent()).toBe('awaiting_approval');
    await shot('batch-awaiting-approval');
    await row.getByTestId('approve').click();
    // approved from the UI: the batch leaves the approval state and runs on the emulator's batch API
    let status = '';
    for (let i = 0; i < 100 && status !== 'ended'; i++) {
      status = (await anthropic.messages.batches.retrieve(created.id)).processing_status;
      if (status !== 'ended') await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe('ended');
    const results = [];
    for await (const r of await anthropic.messages.batches.results(created.id)) results.push(r.result.type);
    expect(results).toEqual(['succeeded', 'succeeded', 'succeeded']);
    await page.reload();
    await goto('batches', 'batches-table');
    expect(await page.locator(`tr[data-batch="${created.id}"] td`).nth(1).textContent()).not.toBe('awaiting_approval');
    await shot('batch-approved');
  });

  it('estimates a prompt on every chat model', async () => {
    await page.getByTestId('nav-estimator').click();
    await page.getByTestId('estimate-prompt').fill('Summarise our refund policy in three bullet points.');
    await page.getByTestId('estimate-output').fill('200');
    await page.getByTestId('estimate-submit').click();
    const table = page.getByTestId('estimate-table');
    await table.waitFor();
    const models = (await api('/v1/models', z.object({ data: z.array(z.object({ id: z.string() })) }))).data
      .map((m) => m.id)
      .filter((id) => !id.startsWith('text-embedding'));
    const shown = await Promise.all((await table.locator('tbody tr').all()).map((row) => row.getAttribute('data-model')));
    expect([...shown].sort()).toEqual(expect.arrayContaining([...models].filter((m) => !m.startsWith('router/') && m !== 'auto').sort()));
    const nano = table.locator('tr[data-model="gpt-4.1-nano"] [data-value]');
    const inputTokens = Number((await table.locator('tr[data-model="gpt-4.1-nano"] td').nth(3).textContent())?.replace(/\D/g, ''));
    // gpt-4.1-nano list prices: $0.10 in, $0.40 out per million tokens.
    expect(usdToPico((await nano.getAttribute('data-value'))!)).toBe(BigInt(inputTokens) * 100_000n + 200n * 400_000n);
    await shot('estimator');
  });

  it('fits a phone screen', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    try {
      await phone.goto(`${env.gateway.url}/ui/requests`);
      await phone.getByTestId('requests-table').waitFor();
      await phone.goto(`${env.gateway.url}/ui/`);
      await phone.getByTestId('total-cost').waitFor();
      await phone.locator('[data-testid="chart-spend"] canvas').waitFor();
      // Nothing wider than the phone: wide tables scroll inside their card.
      expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await shot('overview-phone', phone);
    } finally {
      await phone.close();
    }
  });

  it('asks for the admin key when one is configured, and shows nothing without it', async () => {
    env.gateway.deps.config.server.adminKey = 'e2e-admin-key';
    const guarded = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await guarded.goto(`${env.gateway.url}/ui/`);
      await guarded.getByTestId('login').waitFor();
      expect(await guarded.getByTestId('total-cost').count()).toBe(0);
      await guarded.getByTestId('admin-key').fill('wrong');
      await guarded.getByTestId('login-submit').click();
      await guarded.getByText('That key was not accepted.').waitFor();
      await shot('login', guarded);
      await guarded.getByTestId('admin-key').fill('e2e-admin-key');
      await guarded.getByTestId('login-submit').click();
      await guarded.getByTestId('total-cost').waitFor();
    } finally {
      await guarded.close();
      delete env.gateway.deps.config.server.adminKey;
    }
    expect(pageErrors).toEqual([]);
  });
});
