// Sealing days into spend_daily. A day is sealed once the writers have moved past it: after a write
// whose newest row is more than SEAL_LAG_MS into a later day (and that much of it has passed by
// this replica's clock), the days from spend_daily_sealed.day up to it get their cells in
// spend_daily, summed from spend_hourly in one INSERT, and spend_daily_sealed.day moves on. The lag
// is for the writers behind this one (another replica's queue, a spool shipped at a restart, a
// clock running late): a row of a sealed day updates its cell in place, and many of those would
// bloat the table again (two seeding writers an hour or more apart left 73 MB instead of 17). The table lock (the one writers take, so they
// wait, and so does another replica sealing) makes the sums and the move one step: a write that
// commits before it is in the sums, one after it finds the day sealed and adds to spend_daily
// itself (the trigger in schema.ts). The blocks of days that the move completes are summed into
// spend_blocks in the same step (migration 10). Normally this runs once a day, and takes milliseconds.
import type { Sql } from 'postgres';
import { SUMS, type Tables } from './schema.js';

const DAY_MS = 86_400_000;
const SEAL_LAG_MS = 2 * 3_600_000;
const HOURS_PER_DAY = 24;
const DIMS = `('model', 'key', 'tag', 'technique')`;

export interface DailySealer {
  /** After a committed write whose newest row has time `newestTs`: seals the days before it, when there are any. */
  afterWrite(newestTs: number): Promise<void>;
}

export function dailySealer(opts: { sql: Sql; t: Tables; now?: () => number; log: (message: string) => void }): DailySealer {
  const { sql, t } = opts;
  const now = opts.now ?? Date.now;
  const sums = SUMS.join(', ');
  // dim IN (…) makes each dimension one range of the (dim, hour, key) index, not a scan of the table.
  const insert = `INSERT INTO ${t.daily} AS d (dim, day, key, ${sums})
    SELECT dim, hour / ${HOURS_PER_DAY}, key, ${SUMS.map((c) => `sum(${c})`).join(', ')} FROM ${t.hourly}
    WHERE dim IN ${DIMS} AND hour >= $1::int8 AND hour < $2::int8 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (dim, day, key) DO UPDATE SET ${SUMS.map((c) => `${c} = d.${c} + excluded.${c}`).join(', ')}`;
  let sealed = -1; // the first day not sealed, as last seen (-1: not read yet)
  let failing = false;

  async function seal(to: number): Promise<number> {
    return sql.begin(async (tx) => {
      await tx.unsafe(`LOCK TABLE ${t.hourly} IN SHARE ROW EXCLUSIVE MODE`);
      const [row] = await tx.unsafe<{ day: string }[]>(`SELECT day::text AS day FROM ${t.sealed}`);
      const from = Number(row?.day ?? 0);
      if (to <= from) return from;
      await tx.unsafe(insert, [from * HOURS_PER_DAY, to * HOURS_PER_DAY]);
      await tx.unsafe(`UPDATE ${t.sealed} SET day = $1::int8`, [to]);
      await tx.unsafe(`SELECT ${t.schema}.spend_blocks_build($1::int8, $2::int8)`, [from, to]);
      return to;
    });
  }

  return {
    async afterWrite(newestTs) {
      const to = Math.floor((Math.min(newestTs, now()) - SEAL_LAG_MS) / DAY_MS);
      if (to <= sealed) return;
      try {
        sealed = await seal(to);
        if (failing) opts.log('costwise: sealing spend_daily works again');
        failing = false;
      } catch (err) {
        // Queries stay exact (they read the unsealed days from spend_hourly); the next write tries again.
        if (!failing) opts.log(`costwise: sealing spend_daily failed, tried again after the next write: ${err instanceof Error ? err.message : String(err)}`);
        failing = true;
      }
    },
  };
}
