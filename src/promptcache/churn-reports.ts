// Where GET /api/promptcache reads the prefix-churn report from. One process (SQLite ledger): its
// own detector. Replicas on one PostgreSQL ledger: each writes its detector's rows to the ledger's
// schema every `intervalMs` (and when it stops), and answers the sum over every replica's rows.
import type { ChurnReport, PrefixChurnDetector } from './churn.js';
import { mergeChurnReports } from './churn.js';
import type { ChurnReportStore } from './churn-postgres.js';

/** Whose traffic a report covers. */
export type ChurnScope = 'replica' | 'all_replicas';

export interface ChurnReading {
  scope: ChurnScope;
  reports: ChurnReport[];
}

export interface ChurnReports {
  read(): Promise<ChurnReading>;
  close(): Promise<void>;
}

export function localChurnReports(detector: PrefixChurnDetector): ChurnReports {
  return { read: () => Promise.resolve({ scope: 'replica', reports: detector.report() }), close: () => Promise.resolve() };
}

export interface SharedChurnOptions {
  detector: PrefixChurnDetector;
  store: ChurnReportStore;
  /** This process's id: its rows' key. */
  replica: string;
  /** How often this replica's changed rows are written (default 10 s). */
  intervalMs?: number;
  /** Rows not updated for this long are ignored and deleted (default 7 days). */
  maxAgeMs?: number;
  now?: () => number;
  log?: (message: string) => void;
}

const DAY_MS = 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;

export class SharedChurnReports implements ChurnReports {
  private readonly intervalMs: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private readonly log: (message: string) => void;
  /** Per route, the request count last written: a route is written again only when it changed. */
  private written = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  /** Publishes run one at a time, so a row is never written older over newer. */
  private publishing: Promise<void> = Promise.resolve();
  private lastPrune = 0;

  constructor(private readonly opts: SharedChurnOptions) {
    this.intervalMs = opts.intervalMs ?? 10_000;
    this.maxAgeMs = opts.maxAgeMs ?? 7 * DAY_MS;
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? ((m) => process.stderr.write(`${m}\n`));
  }

  /** Writes every `intervalMs`; the first write (now) also migrates the table and prunes aged rows. */
  start(): void {
    if (this.timer) return;
    const publish = () => {
      this.publish().catch((err: unknown) => this.log(`costwise: writing the prefix-churn report: ${(err as Error).message}`));
    };
    publish();
    this.timer = setInterval(publish, this.intervalMs);
    this.timer.unref();
  }

  /** Writes the routes whose report changed since the last write (and prunes aged rows now and then). */
  publish(): Promise<void> {
    const run = this.publishing.then(() => this.publishNow());
    this.publishing = run.catch(() => undefined);
    return run;
  }

  /** Every replica's report summed; this replica's own rows are written first, so they are current. */
  async read(): Promise<ChurnReading> {
    try {
      await this.publish();
      return { scope: 'all_replicas', reports: mergeChurnReports(await this.opts.store.read(this.now() - this.maxAgeMs)) };
    } catch (err) {
      this.log(`costwise: reading the replicas' prefix-churn reports (answering this replica's): ${(err as Error).message}`);
      return { scope: 'replica', reports: this.opts.detector.report() };
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.publish().catch((err: unknown) => this.log(`costwise: writing the prefix-churn report on stop: ${(err as Error).message}`));
    await this.opts.store.close();
  }

  private async publishNow(): Promise<void> {
    const report = this.opts.detector.report();
    const at = this.now();
    await this.opts.store.upsert(
      this.opts.replica,
      report.filter((r) => this.written.get(r.route) !== r.requests),
      at,
    );
    // Rebuilt from the detector's routes, so routes it has dropped are forgotten here too.
    this.written = new Map(report.map((r) => [r.route, r.requests]));
    if (at - this.lastPrune >= PRUNE_EVERY_MS) {
      await this.opts.store.prune(at - this.maxAgeMs);
      this.lastPrune = at;
    }
  }
}
