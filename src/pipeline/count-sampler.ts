// Sampling by count, not chance: with share 0.25 every fourth call is taken, so a replay of the same
// trace samples the same requests each run (shadow evaluation, prompt capture).
export class CountSampler {
  private seen = 0;

  constructor(private readonly share: number) {}

  /** Counts one call; true when it is one of the sampled share. */
  take(): boolean {
    const before = Math.floor(this.seen * this.share);
    this.seen++;
    return Math.floor(this.seen * this.share) !== before;
  }
}
