// The Keys and Budgets pages in a real browser: a team and a virtual key are made through the
// Keys page, whose secret is shown once; the key then serves a request through the gateway (the
// OpenAI SDK), its spend shows on the Budgets page against the key's, the team's and a tag's
// budget, and the key is rotated and revoked from the Keys page. Screenshots go to
// test-artifacts/screenshots/keys-*.png and budgets-*.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import OpenAI from 'openai';
import { z } from 'zod';
import type { BudgetView, KeyView } from '../../src/server/admin-api.js';
import { ledger, startTestEnv, type TestEnv } from '../helpers/env.js';
import { fetchJson } from '../helpers/json.js';
import { rejectionOf } from '../helpers/assert.js';
import { browserUnavailable, launch, screenshotDir } from './browser.js';

const unavailable = browserUnavailable();
if (unavailable !== null && process.env['CI']) throw new Error(`the browser tests cannot run in CI: ${unavailable}`);
if (unavailable !== null) process.stderr.write(`skipping the keys and budgets browser tests: ${unavailable}\n`);

// The DOM globals page.evaluate() callbacks below read (they run in the browser, which has them):
// declared here rather than adding the DOM lib to the whole test program.
declare const document: { documentElement: { scrollWidth: number } };
declare const navigator: { clipboard: { readText(): Promise<string> } };

const Budget = z.object({
  subject: z.string(),
  period: z.enum(['day', 'week', 'month', 'total']),
  limit_usd: z.string(),
  spent_usd: z.string(),
  reserved_usd: z.string(),
  remaining_usd: z.string(),
  used: z.number(),
  burn_usd_per_day: z.string(),
  runs_out_at: z.number().nullable(),
}) satisfies z.ZodType<Partial<BudgetView>>;
const Budgets = z.object({ data: z.array(Budget) });
const Keys = z.object({
  data: z.array(
    z.object({ id: z.string(), name: z.string(), prefix: z.string(), status: z.enum(['active', 'revoked', 'expired', 'disabled']) }) satisfies z.ZodType<
      Partial<KeyView>
    >,
  ),
});

const SECRET = /^cw-[0-9A-Za-z]{43}$/;
const TAG = 'e2e-checkout';

let env: TestEnv;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let shots: string;
const pageErrors: string[] = [];
/** The key made through the page: its id and its current secret. */
const made = { id: '', secret: '' };

function client(secret: string): OpenAI {
  return new OpenAI({ apiKey: secret, baseURL: `${env.gateway.url}/v1`, maxRetries: 0 });
}

/** One chat completion with `secret`; the request id the gateway gave it. */
async function chat(secret: string): Promise<string> {
  const { response } = await client(secret)
    .chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'Hello from a virtual key' }], max_completion_tokens: 30 })
    .withResponse();
  return response.headers.get('x-costwise-request-id')!;
}

/** The error a chat completion with `secret` is refused with. */
function refused(secret: string): Promise<InstanceType<typeof OpenAI.APIError>> {
  return rejectionOf(chat(secret), OpenAI.APIError);
}

async function budgets(): Promise<z.output<typeof Budgets>['data']> {
  return (await fetchJson(`${env.gateway.url}/api/budgets`, Budgets)).data;
}

async function shot(name: string, target: Page = page): Promise<void> {
  await target.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
}

async function open(nav: 'keys' | 'budgets', ready: string): Promise<void> {
  await page.getByTestId(`nav-${nav}`).click();
  await page.getByTestId(ready).first().waitFor();
}

function keyRow(id: string) {
  return page.locator(`[data-testid="keys-table"] tr[data-key="${id}"]`);
}

describe.skipIf(unavailable !== null)('keys and budgets pages in chromium', () => {
  beforeAll(async () => {
    shots = screenshotDir();
    env = await startTestEnv({ config: { governance: { tagBudgets: { [TAG]: [{ usd: 0.002, period: 'total' }] } } } });
    browser = await launch();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.gateway.url });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  // Closed in the order they were started (see dashboard.test.ts).
  afterAll(async () => {
    await env.close();
    await browser.close();
  });

  it('says there are no keys yet; the Budgets page lists the configured tag budget', async () => {
    await page.goto(`${env.gateway.url}/ui/`);
    await open('keys', 'keys-empty');
    expect(await page.getByTestId('keys-empty').textContent()).toContain('No virtual keys yet');
    await page.getByTestId('teams-empty').waitFor();
    await open('budgets', 'budgets-table');
    const row = page.locator(`tr[data-subject="tag:${TAG}"]`);
    expect(await row.getByTestId('budget-name').textContent()).toBe(TAG);
    expect(await row.getByTestId('meter-spent').getAttribute('data-value')).toBe('0');
    expect(await row.getByTestId('budget-runs-out').textContent()).toBe('not at the current rate');
    await page.getByTestId('key-spend-empty').waitFor();
  });

  it('adds a team, then creates a key in it through the form; the secret is shown once, with a copy button', async () => {
    await open('keys', 'new-team');
    await page.getByTestId('new-team-name').fill('Research');
    await page.getByTestId('new-team-id').fill('research');
    await page.getByTestId('new-team-budget').fill('10');
    await page.getByTestId('new-team-submit').click();
    await page.locator('[data-testid="teams-table"] tr[data-team="research"]').waitFor();

    await page.getByTestId('new-key-name').fill('checkout-service');
    await page.getByTestId('new-key-team').selectOption('research');
    await page.getByTestId('new-key-budget').fill('0.5');
    await page.getByTestId('new-key-period').selectOption('day');
    await page.getByTestId('new-key-rpm').fill('60');
    await page.getByTestId('new-key-tags').fill(TAG);
    await page.getByTestId('new-key-submit').click();

    const once = page.getByTestId('secret-once');
    await once.waitFor();
    expect(await once.textContent()).toContain('you will not see it again');
    made.secret = await page.getByTestId('secret-value').inputValue();
    made.id = (await once.getAttribute('data-key'))!;
    expect(made.secret).toMatch(SECRET);
    await page.getByTestId('secret-copy').click();
    await expect.poll(() => page.getByTestId('secret-copy').textContent()).toBe('Copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(made.secret);

    const row = keyRow(made.id);
    await row.waitFor();
    expect(await row.getAttribute('data-name')).toBe('checkout-service');
    expect(await row.getByTestId('key-status').textContent()).toBe('active');
    expect(made.secret.startsWith((await row.getByTestId('key-prefix').textContent())!.replace('…', ''))).toBe(true);
    expect(await row.textContent()).toContain('Research');
    expect(await row.textContent()).toContain('60 / –');
    expect(await row.getByTestId('key-budget').getByTestId('meter-limit').getAttribute('data-value')).toBe('0.5');
    await shot('keys-created');

    // The API never shows the secret again, and neither does the page once dismissed or reloaded.
    const listed = await fetch(`${env.gateway.url}/api/keys`).then((r) => r.text());
    expect(listed).not.toContain(made.secret);
    expect(Keys.parse(JSON.parse(listed)).data.map((k) => k.id)).toEqual([made.id]);
    await page.getByTestId('secret-done').click();
    expect(await page.getByTestId('secret-once').count()).toBe(0);
    expect(await page.content()).not.toContain(made.secret);
    await page.reload();
    await keyRow(made.id).waitFor();
    expect(await page.content()).not.toContain(made.secret);
  });

  it('serves a request with the key; its spend shows on the Budgets page against the key, the team and the tag', async () => {
    // A key exists now: a call without one (or with another) is refused.
    expect((await refused('sk-not-a-virtual-key')).status).toBe(401);
    const requestId = await chat(made.secret);
    const row = (await ledger(env)).find((r) => r.requestId === requestId)!;
    expect(row.keyId).toBe(made.id);
    expect(Number(row.cost_usd)).toBeGreaterThan(0);
    // Settled to the exact cost (the reservation released) once the request has ended.
    await expect
      .poll(async () => (await budgets()).filter((b) => b.spent_usd === row.cost_usd && b.reserved_usd === '0').map((b) => b.subject))
      .toEqual(expect.arrayContaining([`key:${made.id}`, 'team:research', `tag:${TAG}`]));

    await open('budgets', 'budgets-table');
    const api = await budgets();
    // Tightest first, as the API orders them: the tag's tiny total budget leads.
    const rows = await page.locator('[data-testid="budgets-table"] tbody tr').all();
    const subjects = await Promise.all(rows.map((r) => r.getAttribute('data-subject')));
    expect(subjects).toEqual(api.map((b) => b.subject));
    expect(subjects[0]).toBe(`tag:${TAG}`);
    for (const b of api) {
      const tr = page.locator(`tr[data-subject="${b.subject}"]`);
      expect(await tr.getByTestId('meter-spent').getAttribute('data-value')).toBe(b.spent_usd);
      expect(await tr.getByTestId('meter-limit').getAttribute('data-value')).toBe(b.limit_usd);
      expect(await tr.getByTestId('budget-reserved').getAttribute('data-value')).toBe(b.reserved_usd);
      expect(await tr.getByTestId('budget-remaining').getAttribute('data-value')).toBe(b.remaining_usd);
      expect(await tr.getByTestId('budget-burn').getAttribute('data-value')).toBe(b.burn_usd_per_day);
    }
    const key = page.locator(`tr[data-subject="key:${made.id}"]`);
    expect(await key.getByTestId('budget-name').textContent()).toBe('checkout-service');
    expect(await page.locator('tr[data-subject="team:research"]').getByTestId('budget-name').textContent()).toBe('Research');
    // $0.50 a day lasts the day at this rate; the tag's $0.002 in total runs out on a date.
    expect(await key.getByTestId('budget-runs-out').textContent()).toBe('not before the period ends');
    const tag = page.locator(`tr[data-subject="tag:${TAG}"] [data-testid="budget-runs-out"]`);
    expect(await tag.getAttribute('data-state')).toBe('runs-out');
    // now + remaining ÷ burn: the page read it a moment before this test did.
    const runsOut = Number(await tag.getAttribute('data-value')) - api.find((b) => b.subject === `tag:${TAG}`)!.runs_out_at!;
    expect(Math.abs(runsOut)).toBeLessThan(60_000);
    await page.locator('[data-testid="chart-key-spend"] canvas').waitFor();
    expect(await page.getByTestId('key-spend').textContent()).toContain('checkout-service');
    await shot('budgets');
  });

  it('rotates the key from the Keys page: the new secret is shown once, the old one stops working', async () => {
    await open('keys', 'keys-table');
    await keyRow(made.id).getByTestId('key-rotate').click();
    await keyRow(made.id).getByTestId('key-confirm').click();
    const once = page.getByTestId('secret-once');
    await once.waitFor();
    expect(await once.textContent()).toContain('New secret for checkout-service');
    expect(await once.textContent()).toContain('you will not see it again');
    const rotated = await page.getByTestId('secret-value').inputValue();
    expect(rotated).toMatch(SECRET);
    expect(rotated).not.toBe(made.secret);
    await shot('keys-rotated');
    expect((await refused(made.secret)).status).toBe(401);
    made.secret = rotated;
    await chat(made.secret);
    await page.getByTestId('secret-done').click();
  });

  it('revokes the key from the Keys page: its status changes, it is refused, and its budget leaves the Budgets page', async () => {
    const row = keyRow(made.id);
    await row.getByTestId('key-revoke').click();
    expect(await row.textContent()).toContain('Calls with it fail at once.');
    await shot('keys-revoke-confirm');
    await row.getByTestId('key-confirm').click();
    await expect.poll(() => row.getByTestId('key-status').textContent()).toBe('revoked');
    expect(await row.getByTestId('key-revoke').count()).toBe(0);
    expect((await fetchJson(`${env.gateway.url}/api/keys`, Keys)).data.find((k) => k.id === made.id)?.status).toBe('revoked');
    expect((await refused(made.secret)).status).toBe(401);
    await shot('keys-revoked');

    await open('budgets', 'budgets-table');
    expect(await page.locator(`tr[data-subject="key:${made.id}"]`).count()).toBe(0);
    await page.locator('tr[data-subject="team:research"]').waitFor();
  });

  it('fits a phone screen', async () => {
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    try {
      for (const [path, ready] of [
        ['keys', 'keys-table'],
        ['budgets', 'budgets-table'],
      ] as const) {
        await phone.goto(`${env.gateway.url}/ui/${path}`);
        await phone.getByTestId(ready).waitFor();
        // Nothing wider than the phone: wide tables scroll inside their card.
        expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
        await shot(`${path}-phone`, phone);
      }
    } finally {
      await phone.close();
    }
    expect(pageErrors).toEqual([]);
  });
});
