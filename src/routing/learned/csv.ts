// RFC 4180 CSV parsing: comma separator, fields optionally double-quoted, `""` inside a quoted field
// is one quote, quoted fields may hold commas and line breaks, records end with CRLF or LF.
// A UTF-8 byte-order mark at the start is dropped. A final line break does not start a new record.

export class CsvError extends Error {
  override readonly name = 'CsvError';
}

/** Parse CSV text into records (arrays of fields). Throws CsvError on an unterminated quote. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;
  let atRecordStart = true;
  while (i < n) {
    const ch = text[i];
    if (ch === '"' && field.length === 0) {
      // quoted field
      i++;
      let start = i;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) throw new CsvError(`unterminated quoted field starting near offset ${start - 1}`);
        field += text.slice(start, q);
        if (text[q + 1] === '"') {
          field += '"';
          i = q + 2;
          start = i;
          continue;
        }
        i = q + 1;
        break;
      }
      atRecordStart = false;
      // anything up to the next separator is kept verbatim (lenient on `"a"b`)
      continue;
    }
    if (ch === ',') {
      record.push(field);
      field = '';
      atRecordStart = false;
      i++;
      continue;
    }
    if (ch === '\r' || ch === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      atRecordStart = true;
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
      continue;
    }
    // unquoted run: copy until the next special character
    let j = i;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (c === 44 /* , */ || c === 10 || c === 13) break;
      j++;
    }
    field += text.slice(i, j);
    atRecordStart = false;
    i = j;
  }
  if (!atRecordStart) {
    record.push(field);
    records.push(record);
  }
  return records;
}

/** Records as objects keyed by the header row. Missing trailing fields become ''. */
export function parseCsvObjects(text: string): { header: string[]; rows: string[][] } {
  const all = parseCsv(text);
  const header = all[0];
  if (header === undefined) throw new CsvError('empty CSV: no header row');
  return { header, rows: all.slice(1).filter((r) => !(r.length === 1 && r[0] === '')) };
}
