// Browser harness for the e2e tests: Debian's chromium driven by playwright-core (never a
// downloaded browser), and the screenshot folder under test-artifacts/.
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { uiRoot } from '../../src/server/ui.js';

export const CHROMIUM = process.env['COSTWISE_CHROMIUM'] ?? '/usr/bin/chromium';

/**
 * Why the browser tests cannot run here, or null when they can. In CI a missing browser or build
 * is a failure, not a skip: the caller throws the reason.
 */
export function browserUnavailable(): string | null {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing (install Debian's chromium: apt-get install -y chromium; .ci/run does)`;
  if (!existsSync(`${uiRoot()}/index.html`)) return `the dashboard is not built in ${uiRoot()} (run \`npm run build\`; \`npm test\` does)`;
  return null;
}

export function launch(): Promise<Browser> {
  // --no-sandbox: CI and developer machines run as root, where chromium's sandbox cannot start.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

export function screenshotDir(): string {
  const dir = fileURLToPath(new URL('../../test-artifacts/screenshots/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  return dir;
}
