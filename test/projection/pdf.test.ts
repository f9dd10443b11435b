// `costwise project --format pdf`: the HTML report printed by Debian's headless chromium. The PDF is
// rendered back to images with poppler's pdftoppm: the month table's figures are on it as text and
// the charts' colours are on its pages. An --out that cannot be written is refused up front.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeProject, OutputError, type ProjectOptions } from '../../src/cli/project.js';
import { runProject } from '../../src/cli/project.js';
import { TempDir } from './fixtures.js';

const EXAMPLE = new URL('../../examples/scenario.yaml', import.meta.url).pathname;
const CHROMIUM = process.env['COSTWISE_CHROMIUM'] ?? '/usr/bin/chromium';
const missing = [CHROMIUM, '/usr/bin/pdftoppm', '/usr/bin/pdftotext'].filter((p) => !existsSync(p));
if (missing.length && process.env['CI']) throw new Error(`missing: ${missing.join(', ')} (.ci/run installs chromium and poppler-utils)`);

let tmp: TempDir;
beforeAll(() => (tmp = new TempDir()));
afterAll(() => tmp.dispose());

const opts = (o: Partial<ProjectOptions>): ProjectOptions => ({ days: 30, months: 12, growth: 0, format: 'table', ...o });

/** Pixels of a binary PPM (P6) whose colour is clearly not grey: the charts' lines and bars. */
function colouredPixels(ppm: Buffer): number {
  const header = ppm.toString('latin1', 0, 64).match(/^P6\s+(\d+)\s+(\d+)\s+(\d+)\s/);
  if (!header) throw new Error('not a binary PPM');
  let n = 0;
  for (let i = header[0].length; i + 2 < ppm.length; i += 3) {
    const r = ppm[i]!;
    const g = ppm[i + 1]!;
    const b = ppm[i + 2]!;
    if (Math.max(r, g, b) - Math.min(r, g, b) > 60) n++;
  }
  return n;
}

describe.skipIf(missing.length > 0)('--format pdf', () => {
  it('prints the report: month table and charts on the rendered pages', async () => {
    const out = tmp.path('proposal.pdf');
    await runProject(opts({ scenario: EXAMPLE, format: 'pdf', out }));
    expect(readFileSync(out).subarray(0, 5).toString()).toBe('%PDF-');
    const text = execFileSync('/usr/bin/pdftotext', ['-layout', out, '-'], { encoding: 'utf8' });
    for (const s of [
      'State benefits help desk: cost projection',
      'Month by month at 1× (USD)',
      'Month by month at 10× (USD)',
      'Saving by technique',
      '1,198.14',
      '11,934.04',
    ])
      expect(text).toContain(s);
    const pages = tmp.path('pages');
    mkdirSync(pages);
    execFileSync('/usr/bin/pdftoppm', ['-r', '40', out, join(pages, 'page')]);
    const files = readdirSync(pages).filter((f) => f.endsWith('.ppm'));
    expect(files.length).toBeGreaterThanOrEqual(2);
    const coloured = files.map((f) => colouredPixels(readFileSync(join(pages, f))));
    // The first pages carry the cost, savings and scale charts (red, green, blue, orange…).
    expect(Math.max(...coloured)).toBeGreaterThan(500);
    const png = tmp.path('first');
    execFileSync('/usr/bin/pdftoppm', ['-png', '-r', '40', '-f', '1', '-l', '1', out, png]);
    expect(readdirSync(tmp.dir).some((f) => f.startsWith('first') && f.endsWith('.png'))).toBe(true);
  }, 120_000);

  it('an --out that cannot be written is a clear error before anything is printed', async () => {
    await expect(executeProject(opts({ scenario: EXAMPLE, format: 'pdf', out: tmp.path('no/such/dir/p.pdf') }))).rejects.toThrow(
      new OutputError(`--out ${tmp.path('no/such/dir/p.pdf')}: cannot write the report: the directory ${tmp.path('no/such/dir')} does not exist`),
    );
    await expect(executeProject(opts({ scenario: EXAMPLE, format: 'xlsx', out: tmp.dir }))).rejects.toThrow(
      /--out .*: cannot write the report: it is a directory/,
    );
    await expect(executeProject(opts({ scenario: EXAMPLE, format: 'xlsx' }))).rejects.toThrow('--format xlsx writes a file: give --out <file>');
  });

  it('the command exits 2 with the reason on standard error', () => {
    const bin = new URL('../../bin/costwise.js', import.meta.url).pathname;
    if (!existsSync(new URL('../../dist/src/cli/index.js', import.meta.url))) return; // needs a build (npm test builds first)
    const r = spawnSync(process.execPath, [bin, 'project', '--scenario', EXAMPLE, '--format', 'xlsx', '--out', '/proc/costwise/model.xlsx'], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('costwise project: --out /proc/costwise/model.xlsx: cannot write the report: the directory /proc/costwise does not exist');
  });
});
