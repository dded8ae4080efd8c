import { DEFAULT_FRONT_END, type FrontEndConfig } from '../../src/audio/frontend-config.js';
import { listSongs } from './corpus.js';
import {
  type CacheableFrontEnd,
  type CachedSong,
  type CachedStem,
  cacheableFrontEnd,
  codeEnergies,
  readSongFeatures,
} from './feature-cache.js';
import { Rng } from './random.js';
import { type ExampleSamplerOptions, SamplerError, type TrainingBatch } from './sampler.js';

/**
 * ExampleSampler's examples formed in the feature domain from the per-stem feature cache
 * (feature-cache.ts): an example is a read of cached codes and an addition of energies, with no
 * audio decoding and no transform. Same drawing rules as ExampleSampler — a random song of the
 * resident pool, an aligned 8 s crop (on the hop grid), sounding stems above `silenceDb`, one
 * target, a random non-empty subset of the others as context, each stem at its mix gain times a
 * random ±gainRangeDb — and the same batch layout. The acoustic teacher needs audio, so it is not
 * available here.
 */

interface ResidentSong {
  song: CachedSong;
  frames: number;
  /** Per stem: prefix sums of hop energies, for the crop's mean square in O(1). */
  energySums: Float64Array[];
}

const MAX_ATTEMPTS = 200;

export type CachedSamplerOptions = Omit<ExampleSamplerOptions, 'teacherColumns' | 'teacherTempoBins'> & {
  teacherColumns?: 0;
};

export class CachedExampleSampler {
  readonly config: FrontEndConfig;
  readonly songIds: readonly string[];
  readonly frontEnd: CacheableFrontEnd;
  private readonly corpusDir: string;
  private readonly rng: Rng;
  private readonly residentSongs: number;
  private readonly examplesPerSwap: number;
  private readonly gainRangeDb: number;
  private readonly silenceDb: number;
  private readonly targetLeak: number;
  private readonly fullContextProbability: number;
  private readonly energies: Float64Array;
  private readonly pool: ResidentSong[] = [];
  private readonly accumulator: Float64Array;
  private readonly targetLog = new Float32Array(256);
  private examplesSinceSwap = 0;

  constructor(options: CachedSamplerOptions) {
    if ((options as ExampleSamplerOptions).teacherColumns)
      throw new RangeError(
        'the feature-cache sampler has no audio, so it cannot compute the acoustic teacher',
      );
    this.config = options.config ?? DEFAULT_FRONT_END;
    this.frontEnd = cacheableFrontEnd(this.config);
    this.corpusDir = options.corpusDir;
    this.songIds = options.songIds ?? listSongs(options.corpusDir, options.split);
    if (this.songIds.length === 0)
      throw new SamplerError('EMPTY_SPLIT', `no songs in split ${options.split} of ${options.corpusDir}`);
    this.rng = new Rng(options.seed);
    this.residentSongs = Math.min(options.residentSongs ?? 64, this.songIds.length);
    this.examplesPerSwap = options.examplesPerSwap ?? 8;
    this.gainRangeDb = options.gainRangeDb ?? 6;
    this.silenceDb = options.silenceDb ?? -50;
    this.targetLeak = options.targetLeak ?? 0;
    this.fullContextProbability = options.fullContextProbability ?? 0;
    this.energies = codeEnergies(this.config.logEpsilon);
    this.accumulator = new Float64Array(this.frontEnd.bins * this.config.chunkFrames);
    for (const songId of this.rng.shuffle(this.songIds).slice(0, this.residentSongs))
      this.pool.push(this.load(songId));
  }

  private load(songId: string): ResidentSong {
    const song = readSongFeatures(this.corpusDir, this.frontEnd, songId);
    const energySums = song.stems.map((stem) => {
      const sums = new Float64Array(stem.frames + 1);
      for (let f = 0; f < stem.frames; f++) sums[f + 1] = sums[f] + stem.hopEnergy[f];
      return sums;
    });
    return { song, frames: Math.min(...song.stems.map((stem) => stem.frames)), energySums };
  }

  private maybeSwap(): void {
    if (++this.examplesSinceSwap < this.examplesPerSwap || this.residentSongs === this.songIds.length) return;
    this.examplesSinceSwap = 0;
    const resident = new Set(this.pool.map((entry) => entry.song.songId));
    let candidate = this.rng.pick(this.songIds);
    while (resident.has(candidate)) candidate = this.rng.pick(this.songIds);
    this.pool[this.rng.int(0, this.pool.length - 1)] = this.load(candidate);
  }

  private randomGain(mixGain: number): number {
    return mixGain * 10 ** (this.rng.uniform(-this.gainRangeDb, this.gainRangeDb) / 20);
  }

  /** Adds g² · energy of the stem's crop into the accumulator (bin-major, chunkFrames per bin). */
  private addEnergy(stem: CachedStem, startFrame: number, power: number): void {
    const { chunkFrames } = this.config;
    const { accumulator, energies } = this;
    for (let bin = 0; bin < this.frontEnd.bins; bin++) {
      const from = bin * stem.frames + startFrame;
      const to = bin * chunkFrames;
      for (let f = 0; f < chunkFrames; f++) accumulator[to + f] += power * energies[stem.codes[from + f]];
    }
  }

  /** ln(accumulated energy + ε(1 − Σg²)) normalised, into `out` at `offset`. */
  private writeContext(out: Float32Array, offset: number, powerSum: number): void {
    const { normMean, normStd, logEpsilon } = this.config;
    const invStd = 1 / normStd;
    // Each code's energy carries its own ε; the mix has one.
    const correction = logEpsilon * (1 - powerSum);
    const { accumulator } = this;
    for (let i = 0; i < accumulator.length; i++) {
      out[offset + i] = (Math.log(Math.max(accumulator[i] + correction, logEpsilon)) - normMean) * invStd;
    }
  }

  /** A single stem at power g²: a 256-entry table of normalised logs, then a lookup per value. */
  private writeTarget(
    stem: CachedStem,
    startFrame: number,
    power: number,
    out: Float32Array,
    offset: number,
  ): void {
    const { normMean, normStd, logEpsilon, chunkFrames } = this.config;
    const table = this.targetLog;
    for (let q = 0; q < 256; q++) {
      const energy = power * (this.energies[q] - logEpsilon) + logEpsilon;
      table[q] = (Math.log(energy) - normMean) / normStd;
    }
    for (let bin = 0; bin < this.frontEnd.bins; bin++) {
      const from = bin * stem.frames + startFrame;
      const to = offset + bin * chunkFrames;
      for (let f = 0; f < chunkFrames; f++) out[to + f] = table[stem.codes[from + f]];
    }
  }

  private sounding(entry: ResidentSong, index: number, startFrame: number): boolean {
    const sums = entry.energySums[index];
    const meanSquare =
      (sums[startFrame + this.config.chunkFrames] - sums[startFrame]) / this.config.chunkFrames;
    return 10 * Math.log10(meanSquare + 1e-20) >= this.silenceDb;
  }

  /** Draws one example and writes its context and target features at `offset`. */
  private drawInto(batch: TrainingBatch, b: number): void {
    const perExample = this.frontEnd.bins * this.config.chunkFrames;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const entry = this.rng.pick(this.pool);
      if (entry.frames < this.config.chunkFrames) continue;
      const startFrame = this.rng.int(0, entry.frames - this.config.chunkFrames);
      const sounding = entry.song.stems.filter((_, index) => this.sounding(entry, index, startFrame));
      if (sounding.length < 2) continue;
      const targetIndex = this.rng.int(0, sounding.length - 1);
      const target = sounding[targetIndex];
      const others = sounding.filter((_, index) => index !== targetIndex);
      const chosen =
        this.fullContextProbability > 0 && this.rng.uniform(0, 1) < this.fullContextProbability
          ? others
          : this.rng.shuffle(others).slice(0, this.rng.int(1, others.length));
      this.accumulator.fill(0);
      let powerSum = 0;
      for (const stem of chosen) {
        const power = this.randomGain(stem.gain) ** 2;
        this.addEnergy(stem, startFrame, power);
        powerSum += power;
      }
      const targetPower = this.randomGain(target.gain) ** 2;
      if (this.targetLeak > 0) {
        const leak = this.targetLeak ** 2 * targetPower;
        this.addEnergy(target, startFrame, leak);
        powerSum += leak;
      }
      this.writeContext(batch.context, b * perExample, powerSum);
      this.writeTarget(target, startFrame, targetPower, batch.target, b * perExample);
      batch.instrumentIds[b] = target.instrumentId;
      batch.songIds.push(entry.song.songId);
      batch.startSamples[b] = startFrame * this.config.hopLength;
      batch.targetStems.push(target.name);
      return;
    }
    throw new SamplerError('NO_USABLE_CROP', `no crop with two sounding stems in ${MAX_ATTEMPTS} attempts`);
  }

  /** A batch laid out as ExampleSampler's: [B, bins, chunkFrames] context and target features. */
  nextBatch(batchSize: number): TrainingBatch {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batch size ${batchSize}`);
    const perExample = this.frontEnd.bins * this.config.chunkFrames;
    const batch: TrainingBatch = {
      context: new Float32Array(batchSize * perExample),
      target: new Float32Array(batchSize * perExample),
      instrumentIds: new Int32Array(batchSize),
      songIds: [],
      startSamples: new Int32Array(batchSize),
      targetStems: [],
      batchSize,
    };
    for (let b = 0; b < batchSize; b++) {
      this.maybeSwap();
      this.drawInto(batch, b);
    }
    return batch;
  }
}
