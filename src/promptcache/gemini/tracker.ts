// How often each prefix was seen recently: a bounded LRU of timestamps per prefix hash.
// Memory is at most maxKeys × maxStamps numbers; the oldest prefix is dropped first.

export interface TrackerLimits {
  maxKeys: number;
  /** Sightings kept per prefix; more than this within a window counts as this many. */
  maxStamps: number;
}

export class ReuseTracker {
  private readonly seen = new Map<string, number[]>();
  /** Prefixes not to try again before a time (a refused or failed create). */
  private readonly blocked = new Map<string, number>();

  constructor(private readonly limits: TrackerLimits) {}

  get size(): number {
    return this.seen.size;
  }

  /** Records a sighting at `now` and returns how many EARLIER sightings fall within `windowMs`. */
  sight(key: string, now: number, windowMs: number): number {
    const stamps = (this.seen.get(key) ?? []).filter((t) => now - t < windowMs);
    const earlier = stamps.length;
    stamps.push(now);
    if (stamps.length > this.limits.maxStamps) stamps.splice(0, stamps.length - this.limits.maxStamps);
    this.seen.delete(key); // re-insert: Map order is the LRU order
    this.seen.set(key, stamps);
    this.evict(this.seen);
    return earlier;
  }

  /** Sightings within `windowMs` of `now` (no recording). */
  recent(key: string, now: number, windowMs: number): number {
    return (this.seen.get(key) ?? []).filter((t) => now - t < windowMs).length;
  }

  block(key: string, until: number): void {
    this.blocked.delete(key);
    this.blocked.set(key, until);
    this.evict(this.blocked);
  }

  isBlocked(key: string, now: number): boolean {
    const until = this.blocked.get(key);
    if (until === undefined) return false;
    if (until > now) return true;
    this.blocked.delete(key);
    return false;
  }

  private evict<V>(map: Map<string, V>): void {
    while (map.size > this.limits.maxKeys) {
      const oldest = map.keys().next().value;
      if (oldest === undefined) return;
      map.delete(oldest);
    }
  }
}
