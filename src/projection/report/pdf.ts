// `costwise project --format pdf`: the HTML report printed by a headless Chromium already on the
// machine (Debian's chromium by default; COSTWISE_CHROMIUM names another). Nothing is downloaded,
// and no browser library is needed at run time: Chromium's own --print-to-pdf does the printing.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];
const PRINT_TIMEOUT_MS = 120_000;

export class PdfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PdfError';
  }
}

export function chromiumPath(): string {
  const named = process.env['COSTWISE_CHROMIUM'];
  if (named) {
    if (!existsSync(named)) throw new PdfError(`COSTWISE_CHROMIUM: no browser at ${named}`);
    return named;
  }
  const found = CANDIDATES.find((p) => existsSync(p));
  if (!found)
    throw new PdfError(
      `--format pdf needs a Chromium to print with: none of ${CANDIDATES.join(', ')} exists (apt-get install chromium, or set COSTWISE_CHROMIUM)`,
    );
  return found;
}

/** Prints a self-contained HTML page (no scripts, no external requests) to PDF bytes. */
export async function htmlToPdf(html: string): Promise<Uint8Array> {
  const browser = chromiumPath();
  const dir = mkdtempSync(join(tmpdir(), 'costwise-pdf-'));
  try {
    const page = join(dir, 'report.html');
    const pdf = join(dir, 'report.pdf');
    writeFileSync(page, html);
    const args = [
      '--headless',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--no-pdf-header-footer',
      `--user-data-dir=${join(dir, 'profile')}`,
      `--print-to-pdf=${pdf}`,
      pathToFileURL(page).href,
    ];
    // Chromium's sandbox cannot start as root (CI containers); the page is our own static report.
    if (process.getuid?.() === 0) args.unshift('--no-sandbox');
    await new Promise<void>((resolve, reject) => {
      execFile(browser, args, { timeout: PRINT_TIMEOUT_MS }, (err, _stdout, stderr) => {
        if (err)
          reject(
            new PdfError(
              `${browser} could not print the report: ${err.message.split('\n')[0]}${stderr ? `\n${stderr.trim().split('\n').slice(-3).join('\n')}` : ''}`,
            ),
          );
        else resolve();
      });
    });
    if (!existsSync(pdf)) throw new PdfError(`${browser} exited without writing a PDF`);
    return new Uint8Array(readFileSync(pdf));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
