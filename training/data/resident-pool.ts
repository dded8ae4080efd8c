import type { Rng } from './random.js';

/**
 * The songs a sampler keeps decoded in memory: a random subset of the split that slowly turns
 * over (one song replaced every `examplesPerSwap` examples), so sampling never waits on the disk
 * for long, the pool covers the split over time, and the whole stream is a deterministic function
 * of the sampler's seed. Shared by ExampleSampler (audio) and CachedExampleSampler (feature cache).
 */
export class ResidentPool<T> {
  readonly songs: T[] = [];
  private examplesSinceSwap = 0;

  constructor(
    private readonly rng: Rng,
    private readonly songIds: readonly string[],
    size: number,
    private readonly examplesPerSwap: number,
    private readonly load: (songId: string) => T,
    private readonly idOf: (song: T) => string,
  ) {
    for (const songId of rng.shuffle(songIds).slice(0, size)) this.songs.push(load(songId));
  }

  /** Call once per example: replaces one resident song by a song not resident now when it is time. */
  maybeSwap(): void {
    if (++this.examplesSinceSwap < this.examplesPerSwap || this.songs.length === this.songIds.length) return;
    this.examplesSinceSwap = 0;
    const resident = new Set(this.songs.map(this.idOf));
    let candidate = this.rng.pick(this.songIds);
    while (resident.has(candidate)) candidate = this.rng.pick(this.songIds);
    this.songs[this.rng.int(0, this.songs.length - 1)] = this.load(candidate);
  }
}
