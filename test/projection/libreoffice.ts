// A real spreadsheet engine for the workbook tests: LibreOffice headless opens the .xlsx, recalculates
// every formula (a private profile sets "recalculate on load: always", so the cached results the
// workbook carries are not what is read back) and writes one CSV per sheet.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

export const SOFFICE = process.env['COSTWISE_SOFFICE'] ?? '/usr/bin/soffice';

export function libreOfficeUnavailable(): string | null {
  return existsSync(SOFFICE) ? null : `${SOFFICE} is missing (apt-get install -y libreoffice-calc; .ci/run does)`;
}

const RECALC_ALWAYS = `<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
`;

// Comma, double quote, UTF-8, from row 1, full precision (not "as shown"), every sheet to its own file.
const CSV_FILTER = 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1';

/** Recalculates `xlsx` in LibreOffice; returns each sheet's cells as text, by sheet name. */
export async function recalculate(xlsx: string, workDir: string): Promise<Map<string, string[][]>> {
  const profile = join(workDir, 'lo-profile');
  mkdirSync(join(profile, 'user'), { recursive: true });
  writeFileSync(join(profile, 'user', 'registrymodifications.xcu'), RECALC_ALWAYS);
  const out = join(workDir, 'lo-csv');
  mkdirSync(out, { recursive: true });
  await promisify(execFile)(
    SOFFICE,
    [`-env:UserInstallation=${pathToFileURL(profile).href}`, '--headless', '--convert-to', CSV_FILTER, '--outdir', out, xlsx],
    {
      timeout: 180_000,
    },
  );
  const stem = basename(xlsx, extname(xlsx));
  const sheets = new Map<string, string[][]>();
  for (const file of readdirSync(out)) {
    if (!file.startsWith(`${stem}-`) || !file.endsWith('.csv')) continue;
    sheets.set(file.slice(stem.length + 1, -4), parseCsv(readFileSync(join(out, file), 'utf8')));
  }
  return sheets;
}

/** RFC 4180 CSV (quoted fields, doubled quotes, newlines inside quotes). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** LibreOffice's CSV writes a percentage-formatted cell as "9.17733333333333%". */
function percent(text: string): number {
  return text.endsWith('%') ? Number(text.slice(0, -1)) / 100 : Number(text);
}

export interface MonthCells {
  requests: number;
  naive: number;
  optimized: number;
  savings: number[];
  hitRate: number;
}

/** The month table of a "Months <scale>x" sheet: month → {naive, optimised, requests, savings, hit rate}. */
export function monthTable(sheet: string[][]): Map<number, MonthCells> {
  const head = sheet.findIndex((r) => r[0] === 'month' && r[1] === 'requests at 1×');
  if (head < 0) throw new Error('no month table on the sheet');
  const col = (name: string): number => {
    const i = sheet[head]!.indexOf(name);
    if (i < 0) throw new Error(`no column "${name}"`);
    return i;
  };
  const out = new Map<number, MonthCells>();
  for (let r = head + 1; r < sheet.length && sheet[r]![0] !== 'total'; r++) {
    const cells = sheet[r]!;
    const savings = sheet[head]!.flatMap((h, i) => (h.startsWith('saving: ') ? [Number(cells[i])] : []));
    out.set(Number(cells[0]), {
      requests: Number(cells[col('requests')]),
      naive: Number(cells[col('naive')]),
      optimized: Number(cells[col('optimised')]),
      savings,
      hitRate: percent(cells[col('response-cache hit rate')]!),
    });
  }
  return out;
}
