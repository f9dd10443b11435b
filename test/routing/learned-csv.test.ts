import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CsvError, parseCsv } from '../../src/routing/learned/csv.js';

describe('parseCsv (RFC 4180)', () => {
  it('parses plain records with LF and CRLF endings', () => {
    expect(parseCsv('a,b\n1,2\n')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
    expect(parseCsv('a,b\r\n1,2\r\n3,4')).toEqual([
      ['a', 'b'],
      ['1', '2'],
      ['3', '4'],
    ]);
  });
  it('handles quoted fields with commas, doubled quotes and embedded newlines', () => {
    const text = 'prompt,x\r\n"Hello, ""world""\r\nline 2\nline 3",True\r\n"",\n';
    expect(parseCsv(text)).toEqual([
      ['prompt', 'x'],
      ['Hello, "world"\r\nline 2\nline 3', 'True'],
      ['', ''],
    ]);
  });
  it('keeps empty fields and drops a BOM', () => {
    expect(parseCsv('\uFEFFa,,c\n,,\n')).toEqual([
      ['a', '', 'c'],
      ['', '', ''],
    ]);
  });
  it('rejects an unterminated quote', () => {
    expect(() => parseCsv('a\n"oops\n')).toThrow(CsvError);
  });
  it('round-trips any table written with quoting', () => {
    const cell = fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\n', '\r', ' ', 'é') });
    fc.assert(
      fc.property(fc.array(fc.array(cell, { minLength: 2, maxLength: 2 }), { minLength: 1, maxLength: 5 }), (table) => {
        const text = table.map((r) => r.map((c) => `"${c.replace(/"/g, '""')}"`).join(',')).join('\r\n');
        expect(parseCsv(text)).toEqual(table);
      }),
    );
  });
});
