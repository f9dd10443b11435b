// `costwise ledger export`'s writer over both backends' scanners: CSV that an RFC 4180 parser reads
// back field for field (quotes, commas, line breaks, tags, attempts), exact money, JSON Lines; and
// streaming: on a 100,000-row ledger the first chunk reaches the output while almost every row is
// still unread, and a slow output holds the reading back (rows read − rows written stays bounded).
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_HEADER, csvLine, jsonLine, writeExport } from '../../src/cli/ledger-export.js';
import { parseCsv } from '../../src/routing/learned/csv.js';
import { openSqliteStore } from '../../src/storage/sqlite.js';
import { openLedgerScanner, type LedgerScanner } from '../../src/storage/index.js';
import type { LedgerRow } from '../../src/storage/types.js';
import { usdToPico } from '../helpers/env.js';
import { PG_URL, PgLedger, postgresUp, seedPostgres, type Backend } from './backends.js';
import { T0, TempLedger, row } from './support.js';

const PG = await postgresUp();
const BACKENDS: readonly Backend[] = ['sqlite', ...(PG ? (['postgres'] as const) : [])];
const ROWS = 100_000;

/** An output that takes each chunk only after a turn of the event loop, and counts its lines. */
class SlowSink extends Writable {
  lines = 0;
  text = '';
  constructor(private readonly keep: boolean) {
    super({ highWaterMark: 16 * 1024, decodeStrings: false });
  }
  override _write(chunk: string, _enc: BufferEncoding, done: (err?: Error) => void): void {
    setImmediate(() => {
      for (let i = chunk.indexOf('\n'); i !== -1; i = chunk.indexOf('\n', i + 1)) this.lines += 1;
      if (this.keep) this.text += chunk;
      done();
    });
  }
}

/** The scanner's rows, counting how many have been pulled. */
async function* counted(rows: AsyncIterable<LedgerRow>, seen: { n: number }): AsyncIterable<LedgerRow> {
  for await (const r of rows) {
    seen.n += 1;
    yield r;
  }
}

describe('CSV and JSON Lines records', () => {
  const tricky = row({
    requestId: 'req,"quoted"',
    tags: ['team:ml', 'a;b'],
    route: 'rule:x->m; fallback:529->m',
    errorKind: 'line\nbreak\r\nand CR',
    costPico: 1,
    baselinePico: Number.MAX_SAFE_INTEGER,
    promptCachePico: 0,
    attempts: [
      { deployment: 'm@p/eu', status: 529, error: 'overloaded', ms: 1.5 },
      { deployment: 'm@p', status: 200, ms: 3 },
    ],
  });

  it('CSV: quoted where needed, read back field for field; money exact; tags joined as the header takes them', () => {
    const [header, line, line2] = parseCsv(CSV_HEADER + csvLine(tricky) + csvLine(row({ requestId: 'plain' })));
    const rec = Object.fromEntries(header!.map((h, i) => [h, line![i]]));
    expect(rec['request_id']).toBe('req,"quoted"');
    expect(rec['tags']).toBe('team:ml,a;b');
    expect(rec['error_kind']).toBe('line\nbreak\r\nand CR');
    expect(rec['cost_usd']).toBe('0.000000000001');
    expect(rec['baseline_usd']).toBe('9007.199254740991');
    expect(rec['prompt_cache_saving_usd']).toBe('0');
    expect(rec['time']).toBe(new Date(T0).toISOString());
    expect(rec['parent_id']).toBe('');
    expect(JSON.parse(rec['attempts']!)).toEqual(tricky.attempts);
    expect(line2![header!.indexOf('tags')]).toBe('');
    expect(line2).toHaveLength(header!.length);
  });

  it('JSON Lines: one object a line, the same columns, tags and attempts as arrays', () => {
    const rec = JSON.parse(jsonLine(tricky)) as Record<string, unknown>;
    expect(Object.keys(rec).join(',') + '\r\n').toBe(CSV_HEADER);
    expect(rec).toMatchObject({ request_id: 'req,"quoted"', tags: ['team:ml', 'a;b'], cost_usd: '0.000000000001', stream: false, parent_id: null });
  });
});

describe.each(BACKENDS)('%s: a 100,000-row export streams', (backend) => {
  let scanner: LedgerScanner;
  let cleanup: () => Promise<void>;
  let costPico = 0n;

  beforeAll(async () => {
    if (backend === 'sqlite') {
      const t = new TempLedger();
      const store = openSqliteStore({ path: t.path, maxBatch: 10_000 });
      for (let i = 0; i < ROWS; i++) {
        const c = 1_000_000 + i; // pico-dollars that do not round to any decimal place
        costPico += BigInt(c);
        store.appendLedger(row({ requestId: `r${i}`, ts: T0 + i, costPico: c, tags: i % 7 === 0 ? ['x', 'y,z'] : [] }));
      }
      await store.close();
      scanner = openLedgerScanner({ kind: 'sqlite', path: t.path });
      cleanup = () => t.dispose();
    } else {
      const p = new PgLedger();
      await seedPostgres(p, ROWS);
      costPico = 5n * BigInt(ROWS);
      scanner = openLedgerScanner({ kind: 'postgres', url: PG_URL, schema: p.schema });
      cleanup = () => p.dispose();
    }
  }, 60_000);
  afterAll(async () => {
    await scanner.close();
    await cleanup();
  });

  it('first bytes out while almost every row is unread; a slow output bounds rows read ahead; the cost column sums exactly', async () => {
    const seen = { n: 0 };
    const sink = new SlowSink(backend === 'sqlite');
    let readAtFirstWrite = -1;
    let maxAhead = 0;
    const original = sink.write.bind(sink);
    sink.write = ((chunk: string, ...rest: never[]) => {
      if (readAtFirstWrite < 0) readAtFirstWrite = seen.n;
      maxAhead = Math.max(maxAhead, seen.n - sink.lines);
      return original(chunk, ...rest);
    }) as typeof sink.write;
    const summary = await writeExport(counted(scanner.rows({ from: 0, to: Number.MAX_SAFE_INTEGER }), seen), sink, { format: 'csv' });
    await new Promise<void>((resolve) => sink.end(resolve));
    expect(summary.rows).toBe(ROWS);
    expect(sink.lines).toBe(ROWS + 1);
    expect(readAtFirstWrite).toBeGreaterThan(0);
    expect(readAtFirstWrite).toBeLessThan(2_000); // one 64 KiB chunk of rows, not the ledger
    expect(maxAhead).toBeLessThan(5_000); // a chunk and a fetch ahead of the output, at most
    expect(summary.costPico).toBe(costPico);
    if (sink.text !== '') {
      const records = parseCsv(sink.text);
      const col = records[0]!.indexOf('cost_usd');
      expect(records.slice(1).reduce((s, r) => s + usdToPico(r[col]!), 0n)).toBe(costPico);
    }
    console.log(`${backend}: ${ROWS} rows; first chunk written after ${readAtFirstWrite} rows read; at most ${maxAhead} rows read ahead of the output`);
  }, 60_000);
});
