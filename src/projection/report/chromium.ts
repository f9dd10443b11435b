// A headless Chromium already on the machine (Debian's chromium by default; COSTWISE_CHROMIUM names
// another) prints the HTML report to PDF (`--format pdf`) and draws the charts as PNG for the
// workbook. Nothing is downloaded, and no browser library is needed at run time: Chromium's own
// --print-to-pdf and --screenshot do the work.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];
const RUN_TIMEOUT_MS = 120_000;

export class ChromiumError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChromiumError';
  }
}

export function chromiumPath(): string {
  const named = process.env['COSTWISE_CHROMIUM'];
  if (named) {
    if (!existsSync(named)) throw new ChromiumError(`COSTWISE_CHROMIUM: no browser at ${named}`);
    return named;
  }
  const found = CANDIDATES.find((p) => existsSync(p));
  if (!found)
    throw new ChromiumError(
      `--format pdf needs a Chromium to print with: none of ${CANDIDATES.join(', ')} exists (apt-get install chromium, or set COSTWISE_CHROMIUM)`,
    );
  return found;
}

/** Runs Chromium on `html` in a scratch directory; the file the flags name as `output` is read back. */
async function run(html: string, extension: 'pdf' | 'png', flags: (output: string) => string[]): Promise<Uint8Array> {
  const browser = chromiumPath();
  const dir = mkdtempSync(join(tmpdir(), 'costwise-chromium-'));
  try {
    const page = join(dir, 'page.html');
    const output = join(dir, `output.${extension}`);
    writeFileSync(page, html);
    const args = [
      '--headless',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--hide-scrollbars',
      `--user-data-dir=${join(dir, 'profile')}`,
      ...flags(output),
      pathToFileURL(page).href,
    ];
    // Chromium's sandbox cannot start as root (CI containers); the page is our own static report.
    if (process.getuid?.() === 0) args.unshift('--no-sandbox');
    await new Promise<void>((resolve, reject) => {
      execFile(browser, args, { timeout: RUN_TIMEOUT_MS }, (err, _stdout, stderr) => {
        if (err)
          reject(new ChromiumError(`${browser} failed: ${err.message.split('\n')[0]}${stderr ? `\n${stderr.trim().split('\n').slice(-3).join('\n')}` : ''}`));
        else resolve();
      });
    });
    if (!existsSync(output)) throw new ChromiumError(`${browser} exited without writing its output`);
    return new Uint8Array(readFileSync(output));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Prints a self-contained HTML page (no scripts, no external requests) to PDF bytes. */
export function htmlToPdf(html: string): Promise<Uint8Array> {
  return run(html, 'pdf', (output) => ['--no-pdf-header-footer', `--print-to-pdf=${output}`]);
}

/** A PNG of the top-left `width` × `height` pixels of a self-contained HTML page. */
export function htmlToPng(html: string, width: number, height: number): Promise<Uint8Array> {
  return run(html, 'png', (output) => [`--window-size=${width},${height}`, `--screenshot=${output}`]);
}
